/** A stand-in run for the isolated-runs tests: answers, fails, dies or grows its memory as its job says. */
import { AdeflowError } from "../../src/errors";
import { serveIsolatedJob } from "../../src/experiment/shared/isolated-runs";

export type ProbeJob =
  | { kind: "echo"; value: number; waitMs?: number }
  | { kind: "throw"; message: string }
  | { kind: "die" }
  | { kind: "env" }
  | { kind: "allocate"; megabytes: number }
  | { kind: "spin" };

// `node --test lib/dist/test/` also loads this file on its own, as a test file: then there is no parent to
// serve, and the probe does nothing rather than fail the run.
if (process.send)
  serveIsolatedJob<ProbeJob, unknown>(async (job, log) => {
    log(`job ${job.kind} pid ${process.pid}`);
    if (job.kind === "echo") {
      console.log(`echo ${job.value} on stdout`);
      await new Promise((resolve) => setTimeout(resolve, job.waitMs ?? 0));
      return { value: job.value, pid: process.pid, startedAt: Date.now() };
    }
    if (job.kind === "throw") throw new AdeflowError(job.message);
    if (job.kind === "env")
      return {
        backend: process.env.ADEFLOW_BACKEND,
        workers: process.env.ADEFLOW_WORKERS,
        jupyter: process.env.JPY_PARENT_PID ?? null,
      };
    if (job.kind === "allocate") {
      const buffer = Buffer.alloc(job.megabytes * 2 ** 20, 1);
      return { bytes: buffer.length };
    }
    if (job.kind === "spin") {
      // like a training loop on the WebAssembly backend: its awaits (tensor reads) resolve as microtasks, so
      // the event loop never gets a turn and no IPC event (such as "disconnect") is ever delivered
      for (;;) {
        const until = Date.now() + 20;
        while (Date.now() < until);
        await Promise.resolve();
      }
    }
    console.error("about to be killed");
    process.kill(process.pid, "SIGKILL");
    return await new Promise(() => {});
  });
