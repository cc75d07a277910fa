"""Execute one notebook headlessly through Jupyter (nbclient) and the tslab kernel.

Called by `adeflow reproduce`; kept in Python because that is Jupyter's own API. Prints one JSON object per
line on stdout: {"event": "stream", ...} for each piece of a cell's printed output as it arrives,
{"event": "cell", ...} as each code cell finishes (with its elapsed seconds and any stream
text), then {"event": "done"} or {"event": "error", "cell": N, "ename", "evalue", "traceback"}. The executed
notebook is written atomically to OUTPUT in both cases, so a failure can be inspected cell by cell.
Usage: execute_notebook.py NOTEBOOK OUTPUT KERNEL TIMEOUT_SECONDS   (seconds a cell may run; 0: no limit)
"""
import asyncio
import json
import os
import signal
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def emit(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class StreamingClient(NotebookClient):
    """Forwards each stream output (a cell's console.log) as it arrives, so long cells show progress live.
    Remembers how the kernel process ended, read before nbclient cleans the kernel up."""

    kernel_exit = None

    async def async_execute_cell(self, *args, **kwargs):
        try:
            return await super().async_execute_cell(*args, **kwargs)
        except DeadKernelError:
            self.kernel_exit = kernel_exit_status(self)
            raise

    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") == "stream":
            emit(event="stream", cell=cell_index, name=msg["content"].get("name", "stdout"), text=msg["content"].get("text", ""))
        return super().output(outs, msg, display_id, cell_index)


def kernel_exit_status(client):
    """'killed by signal 9 (SIGKILL)' or 'exit status 1', when the kernel's process can still be asked."""
    try:
        process = client.km.provisioner.process
        code = process.wait(timeout=5) if process.poll() is None else process.poll()
    except Exception:
        return None
    if code is None:
        return None
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        hint = " (out of memory, or killed)" if -code == signal.SIGKILL else ""
        return f"killed by signal {-code} ({name}){hint}"
    return f"exit status {code}"


def write_atomic(nb, path):
    tmp = f"{path}.tmp-{os.getpid()}"
    nbformat.write(nb, tmp)
    os.replace(tmp, path)


def main():
    source, output, kernel, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    limit = timeout if timeout > 0 else None  # nbclient: None waits as long as the cell runs
    nb = nbformat.read(source, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    started = {}
    stopped = []

    def stop(signum):
        # adeflow was asked to stop: end the kernel now; nbclient then sees a dead kernel, and the executed
        # copy so far is written below
        stopped.append(signal.Signals(signum).name)
        try:
            client.km.provisioner.process.kill()
        except Exception:
            pass

    # nbclient 0.7 names its hooks loosely: on_cell_execute fires when a code cell is sent,
    # on_cell_executed when its reply (and so all its output) has arrived.
    def on_start(cell, cell_index):
        started[cell_index] = time.time()
        started["last"] = cell_index
        if not started.get("own_signals"):
            # nbclient's handlers (installed with the kernel) shut the kernel down but lose the executed copy;
            # from the first cell on, ours end the kernel and let the run finish as a dead-kernel failure
            loop = asyncio.get_event_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                loop.add_signal_handler(sig, stop, sig)
            started["own_signals"] = True

    def on_executed(cell, cell_index, execute_reply=None):
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        emit(event="cell", cell=cell_index, code_cell=code_cells.index(cell_index) + 1, code_cells=len(code_cells),
             seconds=round(time.time() - started.get(cell_index, time.time()), 2), stream=text[-2000:])

    # startup_timeout: nbclient's 60 s default was too short for tslab to start on a busy 2-core machine (a fresh
    # clone's `npm start` beside a test run failed in 01's first cell with "Kernel didn't respond in 60 seconds")
    client = StreamingClient(nb, kernel_name=kernel, timeout=limit, startup_timeout=300, allow_errors=False,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}},
                            on_cell_execute=on_start, on_cell_executed=on_executed)
    try:
        client.execute()
    except BaseException as err:  # a stop can surface as any of nbclient's exceptions, or asyncio's CancelledError
        if not stopped and not isinstance(err, (DeadKernelError, CellTimeoutError)):
            if isinstance(err, CellExecutionError):
                return cell_failed(nb, output, started, err)
            if not isinstance(err, Exception):
                raise
        failed = started.get("last")
        if stopped:
            ename, evalue = "Stopped", f"stopped by {stopped[0]}; the kernel was ended"
        elif isinstance(err, CellTimeoutError):
            ename = "CellTimeout"
            evalue = (f"the cell ran past the limit of {timeout} s a cell may run and was stopped; "
                      "ADEFLOW_CELL_TIMEOUT sets the limit in seconds (0: none)")
        elif not isinstance(err, DeadKernelError):
            # anything else nbclient or Jupyter raised: one line to adeflow, not a Python traceback
            ename, evalue = type(err).__name__, (str(err).strip().splitlines() or [""])[0][:500]
        else:
            ename, evalue = "DeadKernelError", "the kernel died" + (f": {client.kernel_exit}" if client.kernel_exit else " (killed, out of memory, or crashed)")
        write_atomic(nb, output)
        emit(event="error", cell=failed, source=nb.cells[failed].source if failed is not None else None,
             ename=ename, evalue=evalue, traceback=[])
        return 1
    write_atomic(nb, output)
    emit(event="done", cells=len(nb.cells))
    return 0


def cell_failed(nb, output, started, err):
    """A cell raised: its notebook, number, source and error go to adeflow; the executed copy is kept."""
    failed = started.get("last")
    outputs = nb.cells[failed].get("outputs", []) if failed is not None else []
    error = next((o for o in outputs if o.get("output_type") == "error"), {})
    # tslab reports TypeScript compile errors on stderr, with an empty error output
    stderr = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
    evalue = "\n".join(x for x in (error.get("evalue", ""), stderr.strip()) if x) or str(err)[-2000:]
    write_atomic(nb, output)
    emit(event="error", cell=failed, source=nb.cells[failed].source if failed is not None else None,
         ename=error.get("ename") or ("Error" if stderr else type(err).__name__), evalue=evalue,
         traceback=list(error.get("traceback", []))[-20:])
    return 1


if __name__ == "__main__":
    sys.exit(main())
