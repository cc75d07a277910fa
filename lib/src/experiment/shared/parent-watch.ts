/**
 * A watcher thread for a run's child process (started by `serveIsolatedJob`): it kills the process when its
 * parent goes away. The IPC channel's "disconnect" event is not enough: a training loop on the WebAssembly
 * backend awaits only promises that resolve as microtasks (its tensor reads), so the main thread's event loop
 * never gets a turn to deliver the event, and a killed kernel left its runs training, orphaned.
 */
import { workerData } from "node:worker_threads";
import { processAlive } from "../../io/atomic";

export interface ParentWatchData {
  /** The parent's pid when the child started. */
  parent: number;
  /** The child's own pid (a worker thread's `process.pid` is the process's, but say it explicitly). */
  self: number;
}

const POLL_MS = 500;

/** Re-parented (Linux, macOS), or no such process any more (Windows keeps the old parent id). */
function parentGone({ parent }: ParentWatchData): boolean {
  return process.ppid !== parent || !processAlive(parent);
}

if (workerData) {
  const data = workerData as ParentWatchData;
  setInterval(() => {
    if (parentGone(data)) process.kill(data.self, "SIGKILL");
  }, POLL_MS);
}
