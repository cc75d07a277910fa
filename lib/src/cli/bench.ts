/**
 * `adeflow bench`: forward and training throughput (tokens/s) and peak tensor memory of the
 * BERT encoder on every TensorFlow.js backend that loads here, for the tiny test checkpoint
 * and for a bert-base-cased-sized model with random weights, plus the same in PyTorch
 * (scripts/torch_bench.py) when `/usr/bin/python3 -c "import torch"` works.
 *
 * Training step = token-classification head + weighted CE + backward + global-norm clip +
 * AdamW (accumulation 1). The first training iteration runs under `tf.profile`, which gives
 * the peak tensor bytes and the time spent in the JavaScript `UnsortedSegmentSum` kernel
 * (embedding gradient) that adeflow registers for wasm and cpu; later iterations are timed
 * without profiling. With one iteration (the bert-base default) the profiled one is the
 * timed one.
 *
 * Defaults keep one run around 2-3 minutes on 2 cores: tiny 8x128 tokens x 5 iterations;
 * base 1x128 tokens x 1 iteration, and bert-base training only on the fastest JS backend
 * (pure-JS cpu training of bert-base takes minutes per step; `--full` includes it).
 * WebGPU rows name their adapter; WebGPU on a CPU rasteriser (llvmpipe) counts as the slowest
 * backend, so bert-base training reaches it only with `--full`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { AdeflowError } from "../errors";
import { repoRoot, tinyCheckpointDir } from "../paths";
import { writeFileAtomic, readSafetensors } from "../io";
import { initBackend, type BackendName } from "../backend";
import { describeAdapter } from "../webgpu";
import {
  BertEncoder,
  BERT_BASE_CASED_CONFIG,
  readBertConfig,
  mapEncoderWeights,
  TokenClassifier,
  type BertConfig,
} from "../bert";
import { Trainer } from "../train";
import type { AlignedBatch } from "../bert/tokenizer";
import { listFlag, numberFlag, UsageError, type Command } from "./command";
import { benchPosHead, type PosHeadBenchRow } from "./bench-pos";
import { benchTagging, type TaggingBenchRow } from "./bench-tagging";
import { benchWorkers, type WorkerBenchRow } from "./bench-workers";
import { benchSteps, stepTable, type StepBenchRow } from "./bench-steps";

export interface BenchRow {
  engine: string;
  model: "tiny" | "base";
  batch: number;
  seq: number;
  forward_tokens_per_s: number | null;
  train_tokens_per_s: number | null;
  peak_tensor_mb: number | null;
  rss_mb: number;
  /** Share of the profiled training step spent in the JS UnsortedSegmentSum kernel. */
  segment_sum_share: number | null;
  note?: string;
  /** The WebGPU adapter the row ran on (vendor, architecture, description), on the webgpu backend. */
  adapter?: string;
  /** Throughput relative to the peer row (same model) named in `ratio_peer`. */
  forward_ratio?: number | null;
  train_ratio?: number | null;
  ratio_peer?: string;
}

interface Plan {
  model: "tiny" | "base";
  batch: number;
  seq: number;
  iters: number;
  train: boolean;
}

export function randomBatch(cfg: BertConfig, B: number, T: number, seed: number): AlignedBatch {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const n = B * T;
  const ids = new Int32Array(n).map(() => 5 + Math.floor(rnd() * (cfg.vocab_size - 5)));
  const labels = new Int32Array(n).map(() => Math.floor(rnd() * 5));
  return {
    batch: B,
    seqLen: T,
    inputIds: ids,
    attentionMask: new Int32Array(n).fill(1),
    labels,
    wordIndex: new Int32Array(n),
    sequences: [],
  };
}

export function tinyEncoder(): BertEncoder {
  const dir = tinyCheckpointDir();
  const cfg = readBertConfig(path.join(dir, "config.json"));
  return BertEncoder.fromTensors(cfg, mapEncoderWeights(readSafetensors(path.join(dir, "model.safetensors")), cfg));
}

async function runPlanAsync(engine: string, plan: Plan, log: (s: string) => void): Promise<BenchRow> {
  const enc = plan.model === "tiny" ? tinyEncoder() : BertEncoder.random(BERT_BASE_CASED_CONFIG, 1);
  const cfg = enc.config;
  const clf = new TokenClassifier(enc, 5, 1);
  const batch = randomBatch(cfg, plan.batch, plan.seq, 7);
  const tokens = plan.batch * plan.seq;
  const ids = tf.tensor2d(batch.inputIds, [plan.batch, plan.seq], "int32");
  const mask = tf.tensor2d(batch.attentionMask, [plan.batch, plan.seq], "int32");
  try {
    const fwd = async () => {
      const logits = tf.tidy(() => clf.logits(ids, mask, false));
      await logits.data(); // waits for the device
      logits.dispose();
    };
    if (plan.iters > 1) await fwd(); // warm-up
    let t = performance.now();
    for (let i = 0; i < plan.iters; i++) await fwd();
    const forward = (tokens * plan.iters) / ((performance.now() - t) / 1000);
    log(`  ${engine} ${plan.model} ${plan.batch}x${plan.seq}: forward ${forward.toFixed(1)} tokens/s`);
    const row: BenchRow = {
      engine,
      model: plan.model,
      batch: plan.batch,
      seq: plan.seq,
      forward_tokens_per_s: forward,
      train_tokens_per_s: null,
      peak_tensor_mb: null,
      rss_mb: 0,
      segment_sum_share: null,
    };
    if (plan.train) {
      const tr = new Trainer(clf.params(), { totalSteps: 100, accumulationSteps: 1 });
      try {
        const step = async () => void (await tr.microBatch((seed) => clf.loss(batch, undefined, true, seed)));
        t = performance.now();
        const p = await tf.profile(step);
        const firstMs = performance.now() - t;
        const kernelMs = p.kernels.reduce((s, k) => s + (typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0), 0);
        const segMs = p.kernels
          .filter((k) => k.name === "UnsortedSegmentSum")
          .reduce((s, k) => s + (typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0), 0);
        row.peak_tensor_mb = p.peakBytes / 2 ** 20;
        row.segment_sum_share = kernelMs > 0 ? segMs / kernelMs : null;
        if (plan.iters > 1) {
          t = performance.now();
          for (let i = 0; i < plan.iters; i++) await step();
          row.train_tokens_per_s = (tokens * plan.iters) / ((performance.now() - t) / 1000);
        } else {
          row.train_tokens_per_s = tokens / (firstMs / 1000);
          row.note = "single profiled training iteration (includes AdamW state allocation)";
        }
        log(
          `  ${engine} ${plan.model}: train ${row.train_tokens_per_s.toFixed(1)} tokens/s, peak tensors ${row.peak_tensor_mb.toFixed(1)} MB`,
        );
      } finally {
        tr.dispose();
      }
    } else {
      row.note = "training skipped (use --full)";
    }
    row.rss_mb = process.memoryUsage().rss / 2 ** 20;
    return row;
  } finally {
    tf.dispose([ids, mask]);
    clf.dispose();
    enc.dispose();
  }
}

function torchAvailable(): boolean {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore", timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

function runTorch(plan: Plan, log: (s: string) => void): BenchRow | undefined {
  const script = path.join(repoRoot(), "scripts", "torch_bench.py");
  try {
    const out = execFileSync(
      "/usr/bin/python3",
      [
        script,
        "--model",
        plan.model,
        "--batch",
        String(plan.batch),
        "--seq",
        String(plan.seq),
        "--iters",
        String(plan.iters),
        "--train-iters",
        String(plan.iters),
      ],
      { encoding: "utf8", timeout: 300_000, stdio: ["ignore", "pipe", "pipe"] },
    );
    const j = JSON.parse(out.trim().split("\n").pop()!);
    log(
      `  ${j.engine} ${plan.model}: forward ${j.forward_tokens_per_s.toFixed(1)}, train ${j.train_tokens_per_s.toFixed(1)} tokens/s`,
    );
    return {
      engine: j.engine,
      model: plan.model,
      batch: plan.batch,
      seq: plan.seq,
      forward_tokens_per_s: j.forward_tokens_per_s,
      train_tokens_per_s: j.train_tokens_per_s,
      peak_tensor_mb: null,
      rss_mb: j.peak_rss_mb,
      segment_sum_share: null,
      note: "rss_mb is the python process's peak RSS; timed after one warm-up iteration",
    };
  } catch (e) {
    log(`  pytorch ${plan.model}: failed (${(e as Error).message.split("\n")[0]})`);
    return undefined;
  }
}

function fmt(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? "-" : x.toFixed(digits);
}

export function benchTable(rows: BenchRow[]): string {
  const head = [
    "engine",
    "model",
    "tokens",
    "fwd tok/s",
    "train tok/s",
    "fwd ratio",
    "train ratio",
    "peak tensors MB",
    "rss MB",
    "segsum share",
  ];
  const body = rows.map((r) => [
    r.adapter ? `${r.engine} on ${r.adapter.split(" (")[0]}` : r.engine,
    r.model,
    `${r.batch}x${r.seq}`,
    fmt(r.forward_tokens_per_s),
    fmt(r.train_tokens_per_s),
    r.forward_ratio === undefined ? "-" : `${fmt(r.forward_ratio, 3)}`,
    r.train_ratio === undefined ? "-" : `${fmt(r.train_ratio, 3)}`,
    fmt(r.peak_tensor_mb),
    fmt(r.rss_mb, 0),
    r.segment_sum_share === null ? "-" : `${(100 * r.segment_sum_share).toFixed(1)}%`,
  ]);
  return textTable(head, body);
}

/** A plain-text table with aligned columns, for the terminal. */
function textTable(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

export function posHeadTable(rows: PosHeadBenchRow[]): string {
  const head = [
    "engine",
    "RE head (bert-base features)",
    "tokens",
    "parameters",
    "fwd tok/s",
    "train tok/s",
    "fwd ratio",
    "train ratio",
  ];
  const body = rows.map((r) => [
    r.engine,
    `${r.arm}${r.pos_embedding_size ? ` (E=${r.pos_embedding_size})` : ""}`,
    `${r.batch}x${r.seq}`,
    String(r.parameters),
    fmt(r.forward_tokens_per_s),
    fmt(r.train_tokens_per_s),
    fmt(r.forward_ratio, 3),
    fmt(r.train_ratio, 3),
  ]);
  return textTable(head, body);
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

export function taggingTable(rows: TaggingBenchRow[]): string {
  const head = ["engine (RE rows of the corpus)", "rows", "words", "seconds", "words/s", "ratio"];
  return textTable(
    head,
    rows.map((r) => [
      r.engine,
      String(r.rows),
      String(r.words),
      fmt(r.seconds, 2),
      fmt(r.words_per_s, 0),
      fmt(r.ratio, 3),
    ]),
  );
}

/** Ratios of every row against the peer: pytorch if present in the run, else the cpu backend. */
export function addRatios(rows: BenchRow[]): void {
  for (const model of ["tiny", "base"] as const) {
    const same = rows.filter((r) => r.model === model);
    const peer = same.find((r) => r.engine.startsWith("pytorch")) ?? same.find((r) => r.engine.startsWith("tfjs cpu"));
    if (!peer) continue;
    for (const r of same) {
      r.ratio_peer = peer.engine;
      r.forward_ratio =
        r.forward_tokens_per_s && peer.forward_tokens_per_s ? r.forward_tokens_per_s / peer.forward_tokens_per_s : null;
      r.train_ratio =
        r.train_tokens_per_s && peer.train_tokens_per_s ? r.train_tokens_per_s / peer.train_tokens_per_s : null;
    }
  }
}

/** `--workers 1,2,4`: positive whole thread counts, or undefined for the default. */
function threadCountsFlag(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const counts = raw.split(",").map((s) => Number(s.trim()));
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1))
    throw new UsageError(`--workers ${raw}: expected a comma-separated list of thread counts (1, 2, ...)`);
  return counts;
}

export const benchCommand: Command = {
  path: ["bench"],
  summary: "BERT forward/training throughput and memory per backend (and PyTorch when available)",
  flags: {
    backends: {
      type: "string",
      value: "LIST",
      description: "backends to time, in order (tensorflow, webgpu, wasm, cpu; default all four)",
    },
    models: {
      type: "string",
      value: "LIST",
      description: "what to time: tiny, base, re-head, tagging, workers, steps (default all)",
    },
    workers: {
      type: "string",
      value: "LIST",
      description: "thread counts for the workers rows (default 1, 2, 4 .. cores)",
    },
    "worker-models": {
      type: "string",
      value: "LIST",
      description: "models for the workers rows: tiny, base (default both)",
    },
    full: { type: "boolean", description: "also train bert-base on the slower backends" },
    "no-torch": { type: "boolean", description: "skip the PyTorch comparison" },
    iters: { type: "string", value: "N", description: "timed iterations of the tiny model (default 5)" },
    "base-batch": { type: "string", value: "N", description: "bert-base micro-batch (default 1)" },
    "base-seq": { type: "string", value: "N", description: "bert-base sequence length, 2..512 (default 128)" },
    "base-iters": { type: "string", value: "N", description: "timed iterations of bert-base (default 1)" },
    json: { type: "string", value: "FILE", description: "also write the result as JSON to FILE" },
  },
  async run(flags) {
    const log = (s: string) => process.stderr.write(s + "\n");
    const wanted = listFlag<BackendName>(
      flags,
      "backends",
      ["tensorflow", "webgpu", "wasm", "cpu"],
      ["tensorflow", "webgpu", "wasm", "cpu"],
    );
    const models = listFlag(
      flags,
      "models",
      ["tiny", "base", "re-head", "tagging", "workers", "steps"],
      ["tiny", "base", "re-head", "tagging", "workers", "steps"],
    );
    const full = flags.switches.has("full");
    const tinyIters = numberFlag(flags, "iters", 5, { integer: true, min: 1 });
    const baseBatch = numberFlag(flags, "base-batch", 1, { integer: true, min: 1 });
    const baseSeq = numberFlag(flags, "base-seq", 128, { integer: true, min: 2, max: 512 });
    const baseIters = numberFlag(flags, "base-iters", 1, { integer: true, min: 1 });
    const plans: Plan[] = [];
    if (models.includes("tiny")) plans.push({ model: "tiny", batch: 8, seq: 128, iters: tinyIters, train: true });
    if (models.includes("base"))
      plans.push({ model: "base", batch: baseBatch, seq: baseSeq, iters: baseIters, train: true });

    // Which backends load here (in speed order), as the engines of this run.
    const loaded: { name: BackendName; description: string; adapter?: string; cpuAdapter: boolean }[] = [];
    for (const b of wanted) {
      try {
        const info = await initBackend({ force: b });
        loaded.push({
          name: info.name,
          description: info.description,
          adapter: info.adapter && describeAdapter(info.adapter),
          cpuAdapter: Boolean(info.adapter?.isCpu),
        });
      } catch (e) {
        log(`skipping backend ${b}: ${(e as Error).message}`);
      }
    }
    // WebGPU on a CPU rasteriser (llvmpipe) is a correctness harness, slower than wasm: last in speed order
    loaded.sort((a, b) => Number(a.cpuAdapter) - Number(b.cpuAdapter));
    if (loaded.length === 0 && plans.length > 0) throw new AdeflowError("no TensorFlow.js backend could be loaded");
    const rows: BenchRow[] = [];
    const started = performance.now();
    for (const plan of plans) {
      for (const [i, b] of loaded.entries()) {
        await initBackend({ force: b.name });
        // bert-base training is run on the fastest backend only unless --full
        const p = { ...plan, train: plan.model === "tiny" || full || i === 0 };
        const row = await runPlanAsync(`tfjs ${b.name}`, p, log);
        if (b.adapter) row.adapter = b.adapter;
        rows.push(row);
      }
      if (!flags.switches.has("no-torch") && torchAvailable()) {
        const r = runTorch(plan, log);
        if (r) rows.push(r);
      }
    }
    addRatios(rows);
    // the POS ablation's cost, head only, on the fastest backend (each arm is the other's peer)
    const tagging: TaggingBenchRow[] = models.includes("tagging") ? await benchTagging(log) : [];
    const posHead: PosHeadBenchRow[] = models.includes("re-head")
      ? (await initBackend({ force: loaded[0].name }), await benchPosHead(`tfjs ${loaded[0].name}`, { log }))
      : [];
    const workerThreads = threadCountsFlag(flags.values.get("workers"));
    const workerModels = listFlag(flags, "worker-models", ["tiny", "base"], ["tiny", "base"]);
    const workers: WorkerBenchRow[] = models.includes("workers")
      ? benchWorkers(
          { threads: workerThreads, models: workerModels, torch: !flags.switches.has("no-torch") && torchAvailable() },
          log,
        )
      : [];
    // the local profile's steps: bucketed against padded NER batches, fused against per-direction BiLSTM
    const steps: StepBenchRow[] = models.includes("steps")
      ? (await initBackend({ force: loaded[0].name }), await benchSteps({ log }))
      : [];
    const result = {
      backends: loaded.map((b) => b.description),
      seconds: (performance.now() - started) / 1000,
      cpus: (await import("node:os")).cpus().length,
      rows,
      pos_head: posHead,
      tagging,
      workers,
      steps,
    };
    const posTable = posHead.length ? "\n\n" + posHeadTable(posHead) : "";
    const tagTable = tagging.length ? "\n\n" + taggingTable(tagging) : "";
    const workersText = workers.length ? "\n\n" + workersTable(workers) : "";
    const stepsTable = steps.length ? "\n\n" + stepTable(steps) : "";
    process.stdout.write(
      (rows.length ? benchTable(rows) : "(no BERT rows: --models has neither tiny nor base)") +
        posTable +
        tagTable +
        workersText +
        stepsTable +
        "\n\n" +
        JSON.stringify(result, null, 2) +
        "\n",
    );
    const jsonFile = flags.values.get("json");
    if (jsonFile) {
      fs.mkdirSync(path.dirname(path.resolve(jsonFile)), { recursive: true });
      writeFileAtomic(path.resolve(jsonFile), JSON.stringify(result, null, 2) + "\n");
    }
  },
};
