/**
 * `adeflow bench`, the whole run: the parts asked for, their tables on stdout, then the result as JSON (and in a
 * file when asked). The parts:
 *
 * - `tiny`, `base`: forward and training rows per TensorFlow.js backend in this process (backend-rows.ts);
 * - `native`: the native backend's training rows for the tiny, MiniLM and bert-base sizes at 8 x 128, each in a
 *   process of its own for its peak memory, against PyTorch on the same threads (native.ts);
 * - `re-head`: the POS embedding's cost in the RE head (pos-head.ts); `tagging`: the POS tagger against the
 *   WordPiece tokenizer (tagging.ts); `workers`: data-parallel WebAssembly threads (workers.ts); `steps`: the
 *   local profile's step variants (steps.ts); `attention`: the attention's q kT with the transposed flag against
 *   an untransposed layout, per backend (attention.ts).
 *
 * The PyTorch peer (torch-peer.ts) is looked for once and named in the output.
 */
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";
import { AdeflowError } from "../errors";
import { writeFileAtomic } from "../io";
import { initBackend, type BackendName } from "../backend";
import { benchBackendRows, benchTable, loadBackends, type BackendPlan, type BenchRow } from "./backend-rows";
import type { BenchModel } from "./models";
import { attentionTable, benchAttention, type AttentionBenchRow } from "./attention";
import { benchNative, nativeSetupLine, nativeTable, nativeUnavailable, type NativeBenchRow } from "./native";
import { benchPosHead, posHeadTable, type PosHeadBenchRow } from "./pos-head";
import { benchSteps, stepTable, type StepBenchRow } from "./steps";
import { benchTagging, taggingTable, type TaggingBenchRow } from "./tagging";
import { describeTorchPeer, findTorchPeer, type TorchPeer } from "./torch-peer";
import { benchWorkers, workersTable, type WorkerBenchRow } from "./workers";

export type BenchPart = "tiny" | "base" | "native" | "re-head" | "tagging" | "workers" | "steps" | "attention";

export const BENCH_PARTS: readonly BenchPart[] = [
  "tiny",
  "base",
  "native",
  "re-head",
  "tagging",
  "workers",
  "steps",
  "attention",
];

export interface BenchOptions {
  /** Backends to time, in order; the native rows run when "tensorflow" is among them. */
  backends: readonly BackendName[];
  parts: readonly BenchPart[];
  /** Also train bert-base on the slower backends. */
  full: boolean;
  /** Compare with PyTorch when a Python with torch is found. */
  torch: boolean;
  tinyIters: number;
  base: { batch: number; seq: number; iters: number };
  workers: { threads?: number[]; models: ("tiny" | "base")[] };
  native: {
    models: readonly BenchModel[];
    batch: number;
    seq: number;
    /** Timed steps for every model (default per model, see native.ts). */
    iters?: number;
    /** Threads of both sides (default TensorFlow's intra-op threads). */
    threads?: number;
    profile: boolean;
  };
  /** Also write the result as JSON to this file. */
  json?: string;
}

export interface BenchResult {
  backends: string[];
  seconds: number;
  cpus: number;
  /** The Python whose torch was the peer, or null. */
  torch_peer: TorchPeer | null;
  /** Lines printed under the tables: which PyTorch was the peer (or why none), the native rows' threads. */
  notes: string[];
  rows: BenchRow[];
  native: NativeBenchRow[];
  pos_head: PosHeadBenchRow[];
  tagging: TaggingBenchRow[];
  workers: WorkerBenchRow[];
  steps: StepBenchRow[];
  attention: AttentionBenchRow[];
}

/** The tables and the JSON, as printed. */
export function benchReport(result: BenchResult): string {
  const section = (show: boolean, text: () => string) => (show ? "\n\n" + text() : "");
  return (
    (result.rows.length ? benchTable(result.rows) : "(no BERT rows: --models has neither tiny nor base)") +
    section(result.native.length > 0, () => nativeTable(result.native)) +
    section(result.pos_head.length > 0, () => posHeadTable(result.pos_head)) +
    section(result.tagging.length > 0, () => taggingTable(result.tagging)) +
    section(result.workers.length > 0, () => workersTable(result.workers)) +
    section(result.steps.length > 0, () => stepTable(result.steps)) +
    section(result.attention.length > 0, () => attentionTable(result.attention)) +
    section(result.notes.length > 0, () => result.notes.join("\n")) +
    "\n\n" +
    JSON.stringify(result, null, 2) +
    "\n"
  );
}

/** Run the parts asked for; progress goes to `log` (stderr), the report to stdout. */
export async function runBench(
  options: BenchOptions,
  log: (s: string) => void = (s) => process.stderr.write(s + "\n"),
): Promise<BenchResult> {
  const want = (p: BenchPart) => options.parts.includes(p);
  const started = performance.now();
  const notes: string[] = [];
  const note = (line: string) => (log(line), notes.push(line));
  let torch: TorchPeer | undefined;
  if (options.torch && (want("tiny") || want("base") || want("native") || want("workers"))) {
    const rejected: string[] = [];
    torch = findTorchPeer(undefined, rejected);
    note(describeTorchPeer(torch, rejected));
  }

  // the native rows first, while this process is small: each model runs in a child process of its own
  let native: NativeBenchRow[] = [];
  if (want("native")) {
    const why = options.backends.includes("tensorflow") ? nativeUnavailable() : "tensorflow is not in --backends";
    if (why) note(`native rows skipped: ${why}`);
    else {
      note(nativeSetupLine(options.native.batch, options.native.seq, options.native.threads));
      native = benchNative({ ...options.native, torch, log });
    }
  }

  const plans: BackendPlan[] = [];
  if (want("tiny")) plans.push({ model: "tiny", batch: 8, seq: 128, iters: options.tinyIters, train: true });
  if (want("base")) plans.push({ model: "base", ...options.base, train: true });
  const inProcess = plans.length > 0 || want("re-head") || want("steps") || want("attention");
  const loaded = inProcess ? await loadBackends(options.backends, log) : [];
  if (inProcess && loaded.length === 0) throw new AdeflowError("no TensorFlow.js backend could be loaded");
  const rows = await benchBackendRows(plans, loaded, { full: options.full, torch, log });
  // the POS ablation's cost, head only, on the fastest backend (each arm is the other's peer)
  const tagging = want("tagging") ? await benchTagging(log) : [];
  const posHead = want("re-head")
    ? (await initBackend({ force: loaded[0].name }), await benchPosHead(`tfjs ${loaded[0].name}`, { log }))
    : [];
  const workers = want("workers")
    ? benchWorkers({ threads: options.workers.threads, models: options.workers.models, torch }, log)
    : [];
  // the local profile's steps: bucketed against padded NER batches, fused against per-direction BiLSTM
  const steps = want("steps") ? (await initBackend({ force: loaded[0].name }), await benchSteps({ log })) : [];

  // the attention's two layouts on every backend loaded, each its own peer
  const attention: AttentionBenchRow[] = [];
  if (want("attention"))
    for (const b of loaded) {
      await initBackend({ force: b.name });
      attention.push(...(await benchAttention(b.name, { log })));
    }

  const result: BenchResult = {
    backends: loaded.map((b) => b.description),
    seconds: (performance.now() - started) / 1000,
    cpus: os.cpus().length,
    torch_peer: torch ?? null,
    notes,
    rows,
    native,
    pos_head: posHead,
    tagging,
    workers,
    steps,
    attention,
  };
  process.stdout.write(benchReport(result));
  if (options.json) {
    const file = path.resolve(options.json);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, JSON.stringify(result, null, 2) + "\n");
  }
  return result;
}
