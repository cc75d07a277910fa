import { setting } from "../settings";
/**
 * How many threads data-parallel training uses: ADEFLOW_WORKERS when set, else every core, then fewer when
 * the micro-batch has fewer rows (a thread without rows idles) or when the machine's free memory cannot hold
 * another copy of the model, its gradients and its activations. On the native backend the default is 1: it
 * already spreads its kernels over the cores.
 */
import * as os from "node:os";
import { AdeflowError } from "../errors";

export interface ThreadChoice {
  threads: number;
  /** Why that many, in one line (printed by the notebooks). */
  why: string;
}

export interface ThreadChoiceInput {
  backend: string;
  /** Float32 parameters of the model (all, trainable or not: every worker holds them). */
  parameters: number;
  /** Rows of one micro-batch. */
  rows: number;
  /** The value of ADEFLOW_WORKERS (default: the environment's). */
  requested?: string;
  cores?: number;
  freeBytes?: number;
}

/**
 * Bytes one more worker needs, estimated from its parameter count: its weights, gradients and their copies
 * on the way in and out of the WebAssembly heap (about 6 model-sized buffers), plus the activations of a
 * 128-token row, which for bert-base are about 1.1 GB when training (docs/cpu-parallel.md has the measured
 * figures).
 */
export function workerBytesEstimate(parameters: number, rows: number): number {
  const activationsPerRow = parameters * 4 * 2.5;
  return parameters * 4 * 6 + rows * activationsPerRow + 150 * 2 ** 20;
}

/**
 * Below this size the default is one thread: data-parallel threads did not make small models train faster
 * (measured on 2 cores: the tiny checkpoint 0.97x, the local profile's 4 x 128 BERT 1.08x for NER and 0.91x for
 * RE), because their steps are too short to pay for copying weights and gradients between threads; bert-base
 * (108 M) trained 1.74x faster on 2, but its RE fine-tuning did not (docs/cpu-parallel.md). Notebooks with
 * several runs use the cores by running whole runs side by side instead (experiment/shared/isolated-runs.ts).
 */
export const LARGE_MODEL_PARAMETERS = 30e6;

export function parseWorkerCount(value: string): number {
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < 1)
    throw new AdeflowError(
      `ADEFLOW_WORKERS=${value}: expected a whole number of threads, 1 or more (1 trains in this thread only)`,
    );
  return n;
}

export function chooseTrainingThreads(input: ThreadChoiceInput): ThreadChoice {
  const requested = input.requested ?? setting("ADEFLOW_WORKERS");
  const cores = input.cores ?? os.availableParallelism();
  const notes: string[] = [];
  let threads: number;
  if (requested !== undefined && requested.trim() !== "") {
    threads = parseWorkerCount(requested);
    notes.push(`ADEFLOW_WORKERS=${threads}`);
  } else if (input.backend === "tensorflow") {
    return { threads: 1, why: "native backend: it already uses every core (ADEFLOW_WORKERS overrides)" };
  } else if (input.parameters < LARGE_MODEL_PARAMETERS) {
    return {
      threads: 1,
      why: `a model of ${(input.parameters / 1e6).toFixed(1)} M parameters trains no faster on more threads (ADEFLOW_WORKERS overrides)`,
    };
  } else {
    threads = cores;
    notes.push(`${cores} core${cores === 1 ? "" : "s"}`);
  }
  if (threads > input.rows) {
    threads = Math.max(1, input.rows);
    notes.push(`a micro-batch has ${input.rows} row${input.rows === 1 ? "" : "s"}`);
  }
  if (threads > 1) {
    const free = input.freeBytes ?? os.freemem();
    const perWorker = workerBytesEstimate(input.parameters, Math.ceil(input.rows / threads));
    const affordable = 1 + Math.floor((0.8 * free) / perWorker);
    if (affordable < threads) {
      threads = affordable;
      notes.push(
        `free memory ${(free / 2 ** 30).toFixed(1)} GiB holds ${affordable - 1} more worker${affordable === 2 ? "" : "s"} of about ${(perWorker / 2 ** 30).toFixed(1)} GiB`,
      );
    }
  }
  return { threads, why: notes.join("; ") };
}
