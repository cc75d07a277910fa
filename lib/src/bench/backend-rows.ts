/**
 * Forward and training throughput (tokens/s) and peak tensor memory of the BERT encoder on every TensorFlow.js
 * backend that loads here, for the tiny test checkpoint and for a bert-base-cased-sized model with random
 * weights, plus the same in PyTorch (scripts/torch_bench.py) when a Python with torch is found (torch-peer.ts).
 * All backends run in this process, one after the other.
 *
 * Training step = token-classification head + weighted CE + backward + global-norm clip + AdamW (accumulation 1).
 * The first training iteration runs under `tf.profile`, which gives the peak tensor bytes and the time spent in the
 * JavaScript `UnsortedSegmentSum` kernel (embedding gradient) that adeflow registers for wasm and cpu; later
 * iterations are timed without profiling. With one iteration (the bert-base default) the profiled one is the timed
 * one.
 *
 * Defaults keep these rows around 2-3 minutes on 2 cores: tiny 8x128 tokens x 5 iterations; base 1x128 tokens x 1
 * iteration (the WebAssembly heap cannot hold bert-base at 8 x 128), and bert-base training only on the fastest
 * backend (pure-JS cpu training of bert-base takes minutes per step; `full` includes it). WebGPU rows name their
 * adapter; WebGPU on a CPU rasteriser (llvmpipe) counts as the slowest backend, so bert-base training reaches it
 * only with `full`. A row whose measurement fails is logged and left out (or keeps its forward figure when only
 * training failed); the other rows still run.
 */
import * as tf from "@tensorflow/tfjs";
import { AdeflowError } from "../errors";
import { initBackend, type BackendName } from "../backend";
import { describeAdapter } from "../webgpu";
import { TokenClassifier } from "../bert";
import { Trainer } from "../train";
import { benchEncoder, randomBatch } from "./models";
import { fmt, textTable } from "./text-table";
import { runTorchBench, type TorchPeer } from "./torch-peer";

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

export interface BackendPlan {
  model: "tiny" | "base";
  batch: number;
  seq: number;
  iters: number;
  train: boolean;
}

/** A backend that loaded, as an engine of the run. */
export interface LoadedBackend {
  name: BackendName;
  description: string;
  adapter?: string;
  /** WebGPU on a CPU rasteriser: a correctness harness, slower than wasm. */
  cpuAdapter: boolean;
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];

/** The wanted backends that load here, fastest first (a WebGPU CPU adapter last); the others are logged. */
export async function loadBackends(wanted: readonly BackendName[], log: (s: string) => void): Promise<LoadedBackend[]> {
  const loaded: LoadedBackend[] = [];
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
  loaded.sort((a, b) => Number(a.cpuAdapter) - Number(b.cpuAdapter));
  return loaded;
}

async function runPlan(engine: string, plan: BackendPlan, log: (s: string) => void): Promise<BenchRow> {
  const enc = benchEncoder(plan.model);
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
      } catch (e) {
        tf.engine().state.profiling = false; // tf.profile leaves it on when its query throws
        row.note = `training failed: ${firstLine(e)}`;
        log(`  ${engine} ${plan.model}: ${row.note}`);
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

function runTorch(peer: TorchPeer, plan: BackendPlan, log: (s: string) => void): BenchRow | undefined {
  try {
    const j = runTorchBench(
      peer,
      { model: plan.model, batch: plan.batch, seq: plan.seq, iters: plan.iters, trainIters: plan.iters },
      300_000,
    );
    log(
      `  ${j.engine} ${plan.model}: forward ${fmt(j.forward_tokens_per_s)}, train ${j.train_tokens_per_s.toFixed(1)} tokens/s`,
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
    log(`  pytorch ${plan.model}: failed (${firstLine(e)})`);
    return undefined;
  }
}

/**
 * Every plan on every loaded backend (bert-base training on the fastest one only unless `full`), then PyTorch on
 * the same plan when there is a peer; ratios against the peer (see `addRatios`).
 */
export async function benchBackendRows(
  plans: readonly BackendPlan[],
  loaded: readonly LoadedBackend[],
  options: { full: boolean; torch?: TorchPeer; log: (s: string) => void },
): Promise<BenchRow[]> {
  if (loaded.length === 0 && plans.length > 0) throw new AdeflowError("no TensorFlow.js backend could be loaded");
  const { log } = options;
  const rows: BenchRow[] = [];
  for (const plan of plans) {
    for (const [i, b] of loaded.entries()) {
      await initBackend({ force: b.name });
      const p = { ...plan, train: plan.model === "tiny" || options.full || i === 0 };
      try {
        const row = await runPlan(`tfjs ${b.name}`, p, log);
        if (b.adapter) row.adapter = b.adapter;
        rows.push(row);
      } catch (e) {
        log(`  tfjs ${b.name} ${plan.model}: failed (${firstLine(e)})`);
      }
    }
    if (options.torch) {
      const r = runTorch(options.torch, plan, log);
      if (r) rows.push(r);
    }
  }
  addRatios(rows);
  return rows;
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
