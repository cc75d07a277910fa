"""Execute one notebook headlessly through Jupyter (nbclient) and the tslab kernel.

Called by `adeflow reproduce`; kept in Python because that is Jupyter's own API. Prints one JSON object per
line on stdout: {"event": "stream", ...} for each piece of a cell's printed output as it arrives,
{"event": "cell", ...} as each code cell finishes (with its elapsed seconds and any stream
text), then {"event": "done"} or {"event": "error", "cell": N, "ename", "evalue", "traceback"}. The executed
notebook is written atomically to OUTPUT in both cases, so a failure can be inspected cell by cell.
Usage: execute_notebook.py NOTEBOOK OUTPUT KERNEL TIMEOUT_SECONDS
"""
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def emit(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class StreamingClient(NotebookClient):
    """Forwards each stream output (a cell's console.log) as it arrives, so long cells show progress live."""

    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") == "stream":
            emit(event="stream", cell=cell_index, name=msg["content"].get("name", "stdout"), text=msg["content"].get("text", ""))
        return super().output(outs, msg, display_id, cell_index)


def write_atomic(nb, path):
    tmp = f"{path}.tmp-{os.getpid()}"
    nbformat.write(nb, tmp)
    os.replace(tmp, path)


def main():
    source, output, kernel, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    nb = nbformat.read(source, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    started = {}

    # nbclient 0.7 names its hooks loosely: on_cell_execute fires when a code cell is sent,
    # on_cell_executed when its reply (and so all its output) has arrived.
    def on_start(cell, cell_index):
        started[cell_index] = time.time()
        started["last"] = cell_index

    def on_executed(cell, cell_index, execute_reply=None):
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        emit(event="cell", cell=cell_index, code_cell=code_cells.index(cell_index) + 1, code_cells=len(code_cells),
             seconds=round(time.time() - started.get(cell_index, time.time()), 2), stream=text[-2000:])

    client = StreamingClient(nb, kernel_name=kernel, timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}},
                            on_cell_execute=on_start, on_cell_executed=on_executed)
    try:
        client.execute()
    except CellExecutionError as err:
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
    write_atomic(nb, output)
    emit(event="done", cells=len(nb.cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
