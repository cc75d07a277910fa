import { setting } from "../settings";
/**
 * `adeflow bench --models workers`: training throughput of data-parallel WebAssembly workers on 1, 2, ... N
 * threads, for the tiny checkpoint and a bert-base-sized model, against PyTorch on the same number of threads.
 *
 * Each measurement runs in a process of its own (this file, run as a script), so that its peak resident
 * memory (the kernel's VmHWM: the main thread and its workers together) is its own: a WebAssembly heap never
 * shrinks, so a second measurement in the same process would inherit the first one's.
 *
 * One training step is the study's micro-batch step: token-classification head, weighted CE, backward, the
 * gradients of every thread summed, global-norm clip, AdamW (accumulation 1, so the serial optimizer update
 * and the weight copy to the workers count in every step: the worst case for scaling). One warm-up step (it
 * allocates AdamW's state and loads the workers' weights), then `iters` timed steps.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { repoRoot } from "../paths";
import { AdeflowError } from "../errors";
import { initBackend } from "../backend";
import { BertEncoder, BERT_BASE_CASED_CONFIG, TokenClassifier } from "../bert";
import { Trainer, DataParallelGroup, workerRecipeFor } from "../train";
import { randomBatch, tinyEncoder } from "./bench";

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

/** Peak resident memory of this process in MB (VmHWM), or null where /proc is not there. */
function peakRssMb(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** The measurement itself, in the child process. */
async function measure(plan: WorkerPlan): Promise<WorkerBenchRow> {
  const backend = await initBackend({ force: "wasm" });
  const enc = plan.model === "tiny" ? tinyEncoder() : BertEncoder.random(BERT_BASE_CASED_CONFIG, 1);
  const clf = new TokenClassifier(enc, 5, 1);
  const batch = randomBatch(enc.config, plan.batch, plan.seq, 7);
  const trainer = new Trainer(clf.params(), { totalSteps: 100, accumulationSteps: 1 });
  const group =
    plan.threads > 1
      ? DataParallelGroup.start(clf.params(), workerRecipeFor(clf)!, { threads: plan.threads, backend: backend.name })
      : undefined;
  const step = () =>
    group
      ? group.microBatch(trainer, batch, undefined, (shard, seed) => clf.loss(shard, undefined, true, seed))
      : trainer.microBatch((seed) => clf.loss(batch, undefined, true, seed));
  try {
    await step();
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < plan.iters; i++) await step();
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    return {
      engine: "tfjs wasm, data-parallel workers",
      ...plan,
      train_tokens_per_s: (plan.batch * plan.seq * plan.iters) / seconds,
      tokens_per_cpu_s: (plan.batch * plan.seq * plan.iters) / cpuSeconds,
      peak_rss_mb: peakRssMb(),
      load_average: os.loadavg()[0],
      note: `${tf.getBackend()} backend in every thread`,
    };
  } finally {
    await group?.close();
  }
}

function runChild(plan: WorkerPlan, log: (s: string) => void): WorkerBenchRow | undefined {
  try {
    const out = execFileSync(process.execPath, [__filename, JSON.stringify(plan)], {
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

function runTorch(plan: WorkerPlan, log: (s: string) => void): WorkerBenchRow | undefined {
  const script = path.join(repoRoot(), "scripts", "torch_bench.py");
  const python = setting("ADEFLOW_PYTHON") ?? "/usr/bin/python3";
  try {
    const args = [
      script,
      "--model",
      plan.model,
      "--batch",
      String(plan.batch),
      "--seq",
      String(plan.seq),
      "--iters",
      "1",
      "--train-iters",
      String(plan.iters),
      "--threads",
      String(plan.threads),
    ];
    const out = execFileSync(python, args, { encoding: "utf8", timeout: 900_000, stdio: ["ignore", "pipe", "pipe"] });
    const j = JSON.parse(out.trim().split("\n").pop()!);
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
  torch?: boolean;
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
      if (options.torch !== false) {
        const t = runTorch(plan, log);
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

if (require.main === module) {
  measure(JSON.parse(process.argv[2]) as WorkerPlan).then(
    (row) => {
      process.stdout.write(JSON.stringify(row) + "\n");
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
