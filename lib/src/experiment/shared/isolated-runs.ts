/**
 * Whole training runs in child processes, one process per run, several at once where that uses the cores
 * better.
 *
 * Why a process and not the kernel: TensorFlow.js's WebAssembly heap grows and never shrinks, and one bert-base
 * training run nearly fills its 4 GiB, so a notebook that trains several runs in one kernel (07's arms and seeds)
 * ran out of heap on the second. A child process starts with a fresh heap and gives all of it back when it
 * exits. Why several at once, one thread each: independent runs share nothing and scale with the cores, while
 * data-parallel threads inside one run did not pay for the runs these notebooks train. A small model's steps are
 * too short to pay for copying weights and gradients between threads (the tiny checkpoint: 0.97x on 2 cores);
 * and the `quick` profile's RE fine-tuning of a bert-base-sized model (micro-batches of 2, so one row a thread,
 * and a BiLSTM whose 128 steps take as long for one row as for two) trained an epoch of 16 rows in 109.1 s on 2
 * threads against 109.0 s on 1, with 2.6 GB more memory. Only an encoder step alone gained (bert-base 1.74x), so
 * a lone run of a large model still gets every core (docs/cpu-parallel.md has the measurements).
 *
 * The parent sends each child one job over the IPC channel; the child (see `serveIsolatedJob`) answers with its
 * result and its peak resident memory, or an error. A child whose parent goes away exits too (a watcher thread
 * sees it even while the run keeps the main thread busy), so killing the kernel stops its runs.
 */
import { fork, type ChildProcess } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { AdeflowError } from "../../errors";
import { setting } from "../../settings";
import { LARGE_MODEL_PARAMETERS, parseWorkerCount, workerBytesEstimate } from "../../train/worker-count";
import type { ParentWatchData } from "./parent-watch";

/** How many runs go at once and how many data-parallel threads each run trains on. */
export interface RunPlan {
  processes: number;
  /** ADEFLOW_WORKERS handed to each child; undefined leaves the child to choose (GPU and native backends). */
  threadsPerProcess?: number;
  /** Why, in one line (the notebooks print it). */
  why: string;
}

export interface RunPlanInput {
  /** Runs still to train. */
  runs: number;
  backend: string;
  /** Float32 parameters of the model one run trains. */
  parameters: number;
  /** Rows of one micro-batch. */
  rows: number;
  cores?: number;
  freeBytes?: number;
  /** ADEFLOW_PARALLEL_RUNS (default: the environment's). */
  requestedProcesses?: string;
  /** ADEFLOW_WORKERS (default: the environment's). */
  requestedThreads?: string;
}

/** A process's own memory besides its model: Node, TensorFlow.js, the corpus and the encoded rows. */
const PROCESS_OVERHEAD_BYTES = 600 * 2 ** 20;

export function parseParallelRuns(value: string): number {
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < 1)
    throw new AdeflowError(`ADEFLOW_PARALLEL_RUNS=${value}: expected a whole number of runs at once, 1 or more`);
  return n;
}

export function planIsolatedRuns(input: RunPlanInput): RunPlan {
  const cores = input.cores ?? os.availableParallelism();
  const requestedRuns = input.requestedProcesses ?? setting("ADEFLOW_PARALLEL_RUNS");
  const requestedThreads = input.requestedThreads ?? setting("ADEFLOW_WORKERS");
  const threadsSet = requestedThreads !== undefined && requestedThreads.trim() !== "";
  const userThreads = threadsSet ? parseWorkerCount(requestedThreads) : undefined;
  const runs = Math.max(1, input.runs);
  const notes: string[] = [];
  let processes: number;
  if (requestedRuns !== undefined && requestedRuns.trim() !== "") {
    processes = Math.min(parseParallelRuns(requestedRuns), runs);
    notes.push(`ADEFLOW_PARALLEL_RUNS=${requestedRuns.trim()}`);
  } else if (input.backend !== "wasm" && input.backend !== "cpu") {
    // one device (a GPU) or a backend that already spreads its kernels over the cores
    processes = 1;
    notes.push(`the ${input.backend} backend runs one at a time`);
  } else {
    processes = Math.min(runs, userThreads ? Math.max(1, Math.floor(cores / userThreads)) : cores);
    if (processes > 1)
      notes.push(
        `a model of ${(input.parameters / 1e6).toFixed(1)} M parameters: whole runs side by side use ${cores} core${cores === 1 ? "" : "s"} better than threads inside one run`,
      );
    else if (runs === 1) notes.push("one run");
    else notes.push(`ADEFLOW_WORKERS=${requestedThreads?.trim()} uses every core for one run`);
  }
  if (processes > 1) {
    const free = input.freeBytes ?? os.freemem();
    const perProcess = workerBytesEstimate(input.parameters, input.rows) + PROCESS_OVERHEAD_BYTES;
    const affordable = Math.max(1, Math.floor((0.8 * free) / perProcess));
    if (affordable < processes) {
      processes = affordable;
      notes.push(
        `free memory ${(free / 2 ** 30).toFixed(1)} GiB holds ${affordable} run${affordable === 1 ? "" : "s"} of about ${(perProcess / 2 ** 30).toFixed(1)} GiB`,
      );
    }
  }
  let threadsPerProcess: number | undefined;
  if (userThreads) threadsPerProcess = userThreads;
  else if (input.backend === "wasm" || input.backend === "cpu")
    // one thread per run, the other cores run other runs; a large model in a plan of one run at a time (one run
    // to train, or memory for one only) takes every core, as data-parallel threads. The plan is made once: the
    // last of an odd number of runs still trains on one thread (for RE fine-tuning, two threads were no faster).
    threadsPerProcess = input.parameters >= LARGE_MODEL_PARAMETERS ? Math.max(1, Math.floor(cores / processes)) : 1;
  if (!userThreads && threadsPerProcess && threadsPerProcess > 1)
    notes.push(`a bert-base-sized model alone trains data-parallel on ${threadsPerProcess} threads`);
  const threads = threadsPerProcess ? `, ${threadsPerProcess} thread${threadsPerProcess === 1 ? "" : "s"} each` : "";
  return {
    processes,
    threadsPerProcess,
    why: `${processes} run${processes === 1 ? "" : "s"} at once in fresh processes${threads} (${notes.join("; ")})`,
  };
}

/**
 * The plan for `runs` runs of the model a notebook's setup trains (its encoder's parameters, its micro-batch),
 * printed through `log` with `what` ("runs", "folds") and handed to `onPlan`.
 */
export function planSetupRuns(
  setup: {
    backend: { name: string };
    bert: { encoder: { variables: Map<string, { size: number }> } };
    profile: { batchSize: number };
  },
  runs: number,
  what: string,
  log: (line: string) => void,
  onPlan?: (plan: RunPlan) => void,
): RunPlan {
  const plan = planIsolatedRuns({
    runs,
    backend: setup.backend.name,
    parameters: [...setup.bert.encoder.variables.values()].reduce((n, v) => n + v.size, 0),
    rows: setup.profile.batchSize,
  });
  log(`${what}: ${plan.why}`);
  onPlan?.(plan);
  return plan;
}

/** One job: a label for its log lines and errors, and what the child is sent. */
export interface IsolatedJob<M> {
  label: string;
  message: M;
}

export interface IsolatedOutcome<R> {
  value: R;
  /** The child's peak resident memory (it and its worker threads), MiB. */
  peakRssMb: number;
  seconds: number;
}

export interface RunIsolatedOptions<R> {
  plan: RunPlan;
  /** The active backend: the children use the same one. */
  backend: string;
  log?: (line: string) => void;
  /** Called as each job finishes, in finishing order (to save its result at once). */
  onDone?: (job: number, outcome: IsolatedOutcome<R>) => void;
  /** Extra environment for the children. */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds a job may take before its process is killed and the job fails (default: no limit). */
  timeoutMs?: number;
}

type ChildReply<R> =
  { type: "log"; line: string } | { type: "done"; value: R; peakRssMb: number } | { type: "error"; message: string };

/** What a failed job left, in one line: how the process ended and its last lines of output. */
function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === "SIGKILL") return "was killed (SIGKILL: out of memory, or killed by hand)";
  if (signal) return `was stopped by ${signal}`;
  return `exited with code ${code}`;
}

/**
 * Runs every job in a fresh process started from `entry` (a compiled module that calls `serveIsolatedJob`), at
 * most `plan.processes` at once. Returns the outcomes in job order. When a job fails, the others still finish
 * (so their results can be saved by `onDone`), then the first failure is thrown, naming the job.
 */
export async function runIsolated<M, R>(
  entry: string,
  jobs: readonly IsolatedJob<M>[],
  options: RunIsolatedOptions<R>,
): Promise<IsolatedOutcome<R>[]> {
  const log = options.log ?? (() => {});
  const outcomes: (IsolatedOutcome<R> | undefined)[] = new Array(jobs.length);
  const failures: string[] = [];
  let next = 0;
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, ADEFLOW_BACKEND: options.backend };
  // the children print line by line into the parent's log: a redrawn progress bar from two of them would mix
  delete env.JPY_PARENT_PID;
  if (options.plan.threadsPerProcess) env.ADEFLOW_WORKERS = String(options.plan.threadsPerProcess);
  const children = new Set<ChildProcess>();
  const runOne = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const job = jobs[index];
      const started = performance.now();
      const child = fork(entry, [], { env, execArgv: [], stdio: ["ignore", "pipe", "pipe", "ipc"] });
      children.add(child);
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              reported ??= `took longer than ${options.timeoutMs! / 1000} s and was stopped`;
              child.kill();
            }, options.timeoutMs);
      const tail: string[] = [];
      const forward = (text: string) => {
        for (const line of text.split(/\r?\n|\r/)) {
          if (!line.trim()) continue;
          tail.push(line);
          if (tail.length > 8) tail.shift();
          log(`[${job.label}] ${line}`);
        }
      };
      let pending = "";
      const onData = (chunk: Buffer) => {
        pending += chunk.toString("utf8");
        const cut = Math.max(pending.lastIndexOf("\n"), pending.lastIndexOf("\r"));
        if (cut < 0) return;
        forward(pending.slice(0, cut));
        pending = pending.slice(cut + 1);
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      let reported: string | undefined;
      child.on("message", (reply: ChildReply<R>) => {
        if (reply.type === "log") log(`[${job.label}] ${reply.line}`);
        else if (reply.type === "error") reported = reply.message;
        else if (reply.type === "done") {
          const outcome = {
            value: reply.value,
            peakRssMb: reply.peakRssMb,
            seconds: (performance.now() - started) / 1000,
          };
          outcomes[index] = outcome;
          options.onDone?.(index, outcome);
        }
      });
      child.on("error", (err) => {
        reported ??= `could not start the run's process: ${err.message}`;
      });
      child.on("close", (code, signal) => {
        if (timer) clearTimeout(timer);
        children.delete(child);
        if (pending.trim()) forward(pending);
        if (!outcomes[index]) {
          const why =
            reported ??
            `its process ${exitReason(code, signal)}${tail.length ? `; last output: ${tail.join(" | ")}` : ""}`;
          failures.push(`${job.label}: ${why}`);
          log(`[${job.label}] failed: ${why}`);
        }
        resolve();
      });
      child.send({ type: "job", message: job.message });
    });
  const lane = async (): Promise<void> => {
    while (next < jobs.length) await runOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.plan.processes, jobs.length) }, lane));
  } finally {
    for (const child of children) child.kill();
  }
  if (failures.length)
    throw new AdeflowError(
      `${failures.length} of ${jobs.length} run${jobs.length === 1 ? "" : "s"} failed (the others were saved): ${failures.join("; ")}`,
    );
  return outcomes as IsolatedOutcome<R>[];
}

const PARENT_WATCH = path.join(__dirname, "parent-watch.js");

/** Kills this process when its parent goes away, from a thread of its own (see parent-watch.ts for why). */
function watchParent(): void {
  const watcher = new Worker(PARENT_WATCH, {
    workerData: { parent: process.ppid, self: process.pid } satisfies ParentWatchData,
    // a thread that only polls needs little of the heap the run's own threads may want
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  // without its watcher the run still trains, and "disconnect" still ends it whenever its event loop turns
  watcher.on("error", () => {});
  watcher.unref();
}

/**
 * The child's side: waits for its one job, runs `handler` on it, sends back the result with its peak memory,
 * and exits. Errors go back as one line (a user's mistake keeps its message; anything else its stack). A child
 * whose parent disappears exits at once.
 */
export function serveIsolatedJob<M, R>(handler: (message: M, log: (line: string) => void) => Promise<R>): void {
  if (!process.send) throw new AdeflowError("this module runs as a child process of runIsolated, not on its own");
  const send = (reply: ChildReply<R>) =>
    new Promise<void>((resolve) => {
      process.send?.(reply, undefined, {}, () => resolve());
    });
  process.on("disconnect", () => process.exit(1));
  watchParent();
  process.once("message", (incoming: { type: "job"; message: M }) => {
    void (async () => {
      try {
        const value = await handler(incoming.message, (line) => void send({ type: "log", line }));
        await send({ type: "done", value, peakRssMb: process.resourceUsage().maxRSS / 1024 });
        process.exit(0);
      } catch (err) {
        const e = err as Error;
        await send({ type: "error", message: e instanceof AdeflowError ? e.message : (e.stack ?? String(e)) });
        process.exit(1);
      }
    })();
  });
}
