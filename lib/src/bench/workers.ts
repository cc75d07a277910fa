/**
 * `adeflow bench --models workers`: training throughput of data-parallel WebAssembly workers on 1, 2, ... N
 * threads, for the tiny checkpoint and a bert-base-sized model, against PyTorch on the same number of threads.
 * Each measurement runs in a process of its own (workers-child.ts), for its own peak resident memory.
 */
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { AdeflowError } from "../errors";
import { fmt, textTable } from "./text-table";
import { runTorchBench, type PythonCandidate } from "./torch-peer";

export interface WorkerBenchRow {
  engine: string;
  model: "tiny" | "base";
  threads: number;
  batch: number;
  seq: number;
  iters: number;
  train_tokens_per_s: number | null;
  /** Peak resident memory of the measuring process (all its threads), MB. */
  peak_rss_mb: number | null;
  /** Throughput over the same engine's 1-thread row. */
  speedup?: number | null;
  /** speedup / threads. */
  efficiency?: number | null;
  /** tfjs rows: throughput over PyTorch's on the same number of threads, in the same run. */
  torch_ratio?: number | null;
  /** Training tokens per CPU-second of the process (all its threads): what parallelism costs, whatever the machine's load. */
  tokens_per_cpu_s: number | null;
  /** tokens_per_cpu_s over the same engine's 1-thread row: 1 means the extra threads cost no extra work. */
  cpu_efficiency?: number | null;
  /** 1-minute load average when the measurement ended (the machine may be shared). */
  load_average: number;
  note?: string;
}

export interface WorkerPlan {
  model: "tiny" | "base";
  threads: number;
  batch: number;
  seq: number;
  iters: number;
}

function runChild(plan: WorkerPlan, log: (s: string) => void): WorkerBenchRow | undefined {
  try {
    const out = execFileSync(process.execPath, [path.join(__dirname, "workers-child.js"), JSON.stringify(plan)], {
      encoding: "utf8",
      timeout: 900_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return JSON.parse(out.trim().split("\n").pop()!) as WorkerBenchRow;
  } catch (e) {
    log(`  tfjs wasm ${plan.model} ${plan.threads} threads: failed (${(e as Error).message.split("\n")[0]})`);
    return undefined;
  }
}

function runTorch(peer: PythonCandidate, plan: WorkerPlan, log: (s: string) => void): WorkerBenchRow | undefined {
  try {
    const j = runTorchBench(peer, { ...plan, iters: 1, trainIters: plan.iters });
    const perCpu = j.train_cpu_s ? (plan.batch * plan.seq * plan.iters) / j.train_cpu_s : null;
    return {
      engine: j.engine,
      ...plan,
      train_tokens_per_s: j.train_tokens_per_s,
      tokens_per_cpu_s: perCpu,
      peak_rss_mb: j.peak_rss_mb,
      load_average: os.loadavg()[0],
      note: "timed after one warm-up step",
    };
  } catch (e) {
    log(`  pytorch ${plan.model} ${plan.threads} threads: failed (${(e as Error).message.split("\n")[0]})`);
    return undefined;
  }
}

/** Speed-ups over each engine's 1-thread row, and tfjs over PyTorch at the same thread count. */
export function addScaling(rows: WorkerBenchRow[]): void {
  for (const r of rows) {
    const single = rows.find(
      (o) => o.model === r.model && o.engine.split(" (")[0] === r.engine.split(" (")[0] && o.threads === 1,
    );
    r.speedup =
      single?.train_tokens_per_s && r.train_tokens_per_s ? r.train_tokens_per_s / single.train_tokens_per_s : null;
    r.efficiency = r.speedup ? r.speedup / r.threads : null;
    r.cpu_efficiency =
      single?.tokens_per_cpu_s && r.tokens_per_cpu_s ? r.tokens_per_cpu_s / single.tokens_per_cpu_s : null;
    if (r.engine.startsWith("tfjs")) {
      const torch = rows.find((o) => o.model === r.model && o.engine.startsWith("pytorch") && o.threads === r.threads);
      r.torch_ratio =
        torch?.train_tokens_per_s && r.train_tokens_per_s ? r.train_tokens_per_s / torch.train_tokens_per_s : null;
    }
  }
}

export interface WorkerBenchOptions {
  /** Thread counts (default 1 .. the cores). */
  threads?: number[];
  models?: ("tiny" | "base")[];
  /** The PyTorch peer (none: no PyTorch rows). */
  torch?: PythonCandidate;
  /** Timed steps: tiny (default 5) and base (default 1). */
  tinyIters?: number;
  baseIters?: number;
}

/** 1, 2, 4, ... below the core count, and the core count. */
export function defaultThreadCounts(cores: number): number[] {
  const out: number[] = [];
  for (let n = 1; n < cores; n *= 2) out.push(n);
  out.push(cores);
  return out;
}

/**
 * Every (model, thread count) for tfjs and for PyTorch. Tiny: one micro-batch of max(8, most threads) rows for
 * every thread count. bert-base: one 128-token row per thread (a WebAssembly heap holds about one bert-base
 * training row, so one thread cannot take the largest micro-batch); throughput per token is compared.
 */
export function benchWorkers(options: WorkerBenchOptions, log: (s: string) => void): WorkerBenchRow[] {
  const threads = options.threads ?? defaultThreadCounts(os.availableParallelism());
  for (const n of threads)
    if (!Number.isInteger(n) || n < 1) throw new AdeflowError(`--workers: ${n} is not a thread count (1, 2, ...)`);
  const most = Math.max(...threads);
  const rows: WorkerBenchRow[] = [];
  for (const model of options.models ?? ["tiny", "base"]) {
    const iters = model === "tiny" ? (options.tinyIters ?? 5) : (options.baseIters ?? 1);
    for (const n of threads) {
      const batch = model === "tiny" ? Math.max(8, most) : n;
      const plan: WorkerPlan = { model, threads: n, batch, seq: 128, iters };
      const r = runChild(plan, log);
      if (r) {
        rows.push(r);
        log(
          `  tfjs wasm ${model} ${batch}x128, ${n} thread${n === 1 ? "" : "s"}: train ${r.train_tokens_per_s?.toFixed(1)} tokens/s, peak RSS ${r.peak_rss_mb?.toFixed(0)} MB`,
        );
      }
      if (options.torch) {
        const t = runTorch(options.torch, plan, log);
        if (t) {
          rows.push(t);
          log(`  ${t.engine} ${model}: train ${t.train_tokens_per_s?.toFixed(1)} tokens/s`);
        }
      }
    }
  }
  addScaling(rows);
  return rows;
}

export function workersTable(rows: WorkerBenchRow[]): string {
  const head = [
    "engine (training, data-parallel)",
    "model",
    "threads",
    "tokens",
    "train tok/s",
    "speed-up",
    "efficiency",
    "vs pytorch, same threads",
    "tok/CPU-s",
    "CPU efficiency",
    "peak RSS MB",
    "load avg",
  ];
  const body = rows.map((r) => [
    r.engine,
    r.model,
    String(r.threads),
    `${r.batch}x${r.seq}`,
    fmt(r.train_tokens_per_s),
    fmt(r.speedup, 2),
    fmt(r.efficiency, 2),
    r.torch_ratio === undefined ? "-" : fmt(r.torch_ratio, 3),
    fmt(r.tokens_per_cpu_s),
    fmt(r.cpu_efficiency, 2),
    fmt(r.peak_rss_mb, 0),
    fmt(r.load_average, 1),
  ]);
  return textTable(head, body);
}
