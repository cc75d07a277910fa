/**
 * The native rows of `adeflow bench` (`--models native`): training throughput and peak memory of TensorFlow.js's
 * native backend ("tensorflow", `@tensorflow/tfjs-node` as `npm run setup` builds it) for three model sizes (the
 * tiny test checkpoint, all-MiniLM-L6-v2's shape, bert-base-cased's) at the study's micro-batch of 8 x 128, each
 * against PyTorch on the same number of threads in the same run (scripts/torch_bench.py, with the same dropout:
 * the config's rate at BertForTokenClassification's sites, which are the TokenClassifier's).
 *
 * Each model is measured in a fresh process (native-child.ts), whose peak resident memory (VmHWM) is the memory
 * figure: TensorFlow's allocator is invisible to `tf.memory()`. Both sides time one warm-up step, then `iters` steps
 * one by one, and report the median step. The thread count is TensorFlow's intra-op threads (TF_NUM_INTRAOP_THREADS,
 * set for the child) and PyTorch's `--threads`, the same number.
 */
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { nativeProblem, tensorflowThreads } from "../backend";
import { benchConfig, type BenchModel } from "./models";
import { fmt, textTable } from "./text-table";
import { runTorchBench, type TorchPeer } from "./torch-peer";

export interface NativePlan {
  model: BenchModel;
  batch: number;
  seq: number;
  /** Timed steps after the warm-up step. */
  iters: number;
  threads: number;
  /** Also run one step under tf.profile (kernel time against wall time). */
  profile: boolean;
}

export interface NativeBenchRow {
  engine: string;
  model: BenchModel;
  batch: number;
  seq: number;
  /** TensorFlow's intra-op threads, or PyTorch's. */
  threads: number;
  /** Timed steps (after one warm-up step). */
  steps: number;
  /** Tokens of one micro-batch over the median step's seconds. */
  train_tokens_per_s: number;
  /** Seconds of each timed step. */
  step_s: number[];
  /** CPU seconds per timed step (all threads): user and system. */
  user_s_per_step: number | null;
  system_s_per_step: number | null;
  /** Peak resident memory of the measuring process, MB. */
  peak_rss_mb: number;
  /** 1-minute load average when the measurement ended. */
  load_average: number;
  /** tfjs rows: throughput and peak memory over PyTorch's (same model, same threads, same run). */
  torch_ratio?: number | null;
  rss_ratio?: number | null;
  /**
   * tfjs rows: tokens per CPU-second (user + system, all threads) over PyTorch's. What each side's step costs in
   * CPU, whatever share of the cores a shared machine gave it (PyTorch's waiting OpenMP threads spin, which counts).
   */
  cpu_ratio?: number | null;
  /** With `--native-profile`: TensorFlow kernel time over the wall time of one profiled step, that step, its top kernels. */
  kernel_share?: number;
  profiled_step_s?: number;
  top_kernels_ms?: Record<string, number>;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Timed steps per model when not chosen: bert-base steps take 5-10 s each on 2 cores. */
export const DEFAULT_NATIVE_ITERS: Record<BenchModel, number> = { tiny: 5, minilm: 5, base: 3 };

export interface NativeBenchOptions {
  models: readonly BenchModel[];
  batch: number;
  seq: number;
  /** Timed steps for every model (default `DEFAULT_NATIVE_ITERS`). */
  iters?: number;
  /** Threads of both sides (default TensorFlow's: `tensorflowThreads()`). */
  threads?: number;
  profile?: boolean;
  /** The PyTorch peer (none: no PyTorch rows, no ratios). */
  torch?: TorchPeer;
  log: (s: string) => void;
}

/** The line that says what the native rows compare (printed under the tables). */
export function nativeSetupLine(batch: number, seq: number, threads: number = tensorflowThreads()): string {
  return (
    `native rows: ${batch}x${seq} tokens, ${threads} thread${threads === 1 ? "" : "s"} on both sides ` +
    `(TensorFlow's intra-op threads, TF_NUM_INTRAOP_THREADS; PyTorch's --threads)`
  );
}

/** Why the native backend cannot run here, or undefined when it can. */
export function nativeUnavailable(): string | undefined {
  const problems = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"].map((p) => nativeProblem(p));
  return problems.every(Boolean) ? problems.join("; ") : undefined;
}

const lastLine = (text: string | undefined) =>
  (text ?? "")
    .trim()
    .split("\n")
    .filter((l) => !/^(I|W)\d{4} |^WARNING: All log|^To enable the following/.test(l))
    .pop();

function runChild(plan: NativePlan, log: (s: string) => void): NativeBenchRow | undefined {
  const r = spawnSync(process.execPath, [path.join(__dirname, "native-child.js"), JSON.stringify(plan)], {
    encoding: "utf8",
    timeout: 1_800_000,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TF_NUM_INTRAOP_THREADS: String(plan.threads) },
  });
  if (r.status === 0) return JSON.parse(r.stdout.trim().split("\n").pop()!) as NativeBenchRow;
  const why = lastLine(r.stderr) ?? r.error?.message ?? "";
  log(`  tfjs tensorflow ${plan.model}: failed (${r.signal ?? `exit ${r.status}`}${why ? `: ${why}` : ""})`);
  return undefined;
}

function runTorch(peer: TorchPeer, plan: NativePlan, log: (s: string) => void): NativeBenchRow | undefined {
  try {
    // the same dropout as the TensorFlow.js step (the config's rate, at the same sites)
    const dropout = benchConfig(plan.model).hidden_dropout_prob;
    const j = runTorchBench(peer, { ...plan, iters: 0, trainIters: plan.iters, dropout });
    const steps = j.train_step_s ?? [];
    return {
      engine: j.engine,
      model: plan.model,
      batch: plan.batch,
      seq: plan.seq,
      threads: plan.threads,
      steps: plan.iters,
      train_tokens_per_s: steps.length ? (plan.batch * plan.seq) / median(steps) : j.train_tokens_per_s,
      step_s: steps,
      user_s_per_step: j.train_user_s === undefined ? null : j.train_user_s / plan.iters,
      system_s_per_step: j.train_system_s === undefined ? null : j.train_system_s / plan.iters,
      peak_rss_mb: j.peak_rss_mb,
      load_average: os.loadavg()[0],
    };
  } catch (e) {
    log(`  pytorch ${plan.model}: failed (${(e as Error).message.split("\n")[0]})`);
    return undefined;
  }
}

/** User + system CPU seconds of one step, where both were measured. */
export function cpuSecondsPerStep(r: NativeBenchRow): number | null {
  return r.user_s_per_step === null || r.system_s_per_step === null ? null : r.user_s_per_step + r.system_s_per_step;
}

/** Each tfjs row's throughput, peak memory and CPU cost against PyTorch's for the same model and threads. */
export function addTorchRatios(rows: NativeBenchRow[]): void {
  for (const r of rows) {
    if (!r.engine.startsWith("tfjs")) continue;
    const torch = rows.find((o) => o.engine.startsWith("pytorch") && o.model === r.model && o.threads === r.threads);
    r.torch_ratio = torch ? r.train_tokens_per_s / torch.train_tokens_per_s : null;
    r.rss_ratio = torch ? r.peak_rss_mb / torch.peak_rss_mb : null;
    const mine = cpuSecondsPerStep(r);
    const theirs = torch && cpuSecondsPerStep(torch);
    r.cpu_ratio = mine && theirs ? theirs / mine : null;
  }
}

/** The native rows, model by model: the tfjs measurement in its own process, then PyTorch's. */
export function benchNative(options: NativeBenchOptions): NativeBenchRow[] {
  const { log } = options;
  const threads = options.threads ?? tensorflowThreads();
  const rows: NativeBenchRow[] = [];
  for (const model of options.models) {
    const plan: NativePlan = {
      model,
      batch: options.batch,
      seq: options.seq,
      iters: options.iters ?? DEFAULT_NATIVE_ITERS[model],
      threads,
      profile: Boolean(options.profile),
    };
    const r = runChild(plan, log);
    if (r) {
      rows.push(r);
      log(
        `  ${r.engine} ${model}: train ${r.train_tokens_per_s.toFixed(1)} tokens/s, peak RSS ${r.peak_rss_mb.toFixed(0)} MB`,
      );
    }
    if (options.torch) {
      const t = runTorch(options.torch, plan, log);
      if (t) {
        rows.push(t);
        log(
          `  ${t.engine} ${model}: train ${t.train_tokens_per_s.toFixed(1)} tokens/s, peak RSS ${t.peak_rss_mb.toFixed(0)} MB`,
        );
      }
    }
  }
  addTorchRatios(rows);
  return rows;
}

export function nativeTable(rows: readonly NativeBenchRow[]): string {
  const profiled = rows.some((r) => r.kernel_share !== undefined);
  const head = [
    "engine (training, native rows)",
    "model",
    "tokens",
    "threads",
    "train tok/s",
    "vs pytorch",
    "s/step",
    "user s/step",
    "sys s/step",
    "vs pytorch, per CPU-s",
    "peak RSS MB",
    "RSS vs pytorch",
    ...(profiled ? ["kernel share"] : []),
    "load avg",
  ];
  const body = rows.map((r) => [
    r.engine,
    r.model,
    `${r.batch}x${r.seq}`,
    String(r.threads),
    fmt(r.train_tokens_per_s),
    r.torch_ratio === undefined ? "-" : fmt(r.torch_ratio, 3),
    r.step_s.length ? fmt(median(r.step_s), 3) : "-",
    fmt(r.user_s_per_step, 3),
    fmt(r.system_s_per_step, 3),
    r.cpu_ratio === undefined ? "-" : fmt(r.cpu_ratio, 3),
    fmt(r.peak_rss_mb, 0),
    r.rss_ratio === undefined ? "-" : fmt(r.rss_ratio, 2),
    ...(profiled ? [r.kernel_share === undefined ? "-" : `${(100 * r.kernel_share).toFixed(0)}%`] : []),
    fmt(r.load_average, 1),
  ]);
  return textTable(head, body);
}
