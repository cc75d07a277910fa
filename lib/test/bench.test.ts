/**
 * The benches' arithmetic and plumbing, without timing anything: which Python is the PyTorch peer and what it is
 * asked to run, the ratios against the peer, the workers' scaling, and the report's layout (tables, then the notes,
 * then JSON). The measurements themselves run in lib/test/integration/bert-cli.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  addScaling,
  addTorchRatios,
  benchReport,
  defaultThreadCounts,
  describeTorchPeer,
  findTorchPeer,
  median,
  nativeTable,
  torchCandidates,
  type BenchResult,
  type NativeBenchRow,
  type WorkerBenchRow,
} from "../src/bench";
import * as tf from "@tensorflow/tfjs";
import { attentionTable, benchAttention } from "../src/bench/attention";
import { runTorchBench } from "../src/bench/torch-peer";
import { benchConfig, MINILM_L6_CONFIG } from "../src/bench";
import { BERT_BASE_CASED_CONFIG } from "../src/bert";

const posix = process.platform !== "win32";
const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-bench-"));

/** A stand-in interpreter: a shell script with this body. */
function fakePython(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

test("the PyTorch peer is looked for in ADEFLOW_PYTHON, the project's environment, /usr/bin/python3, then PATH", () => {
  const venv = scratch();
  const python = posix ? path.join(venv, "bin", "python") : path.join(venv, "Scripts", "python.exe");
  assert.deepEqual(
    torchCandidates({ ADEFLOW_VENV_DIR: venv }).map((c) => c.python),
    [python, "/usr/bin/python3", "python3"],
  );
  const withExplicit = torchCandidates({ ADEFLOW_VENV_DIR: venv, ADEFLOW_PYTHON: "/opt/py/bin/python" });
  assert.deepEqual(withExplicit[0], { python: "/opt/py/bin/python", origin: "ADEFLOW_PYTHON" });
  assert.equal(withExplicit.length, 4, "an explicit Python without torch does not hide the others");
  assert.match(withExplicit[1].origin, /the project's environment/);
});

test(
  "the peer is the first Python whose `import torch` works; the others are named when none does",
  { skip: !posix && "stand-in pythons are shell scripts" },
  () => {
    const dir = scratch();
    const without = fakePython(dir, "without-torch", "echo 'ModuleNotFoundError' >&2; exit 1");
    const withTorch = fakePython(dir, "with-torch", "echo 2.13.0+cpu");
    const later = fakePython(dir, "later", "echo 9.9");
    const rejected: string[] = [];
    const peer = findTorchPeer(
      [
        { python: without, origin: "first" },
        { python: path.join(dir, "missing"), origin: "second" },
        { python: without, origin: "the first again" },
        { python: withTorch, origin: "third" },
        { python: later, origin: "fourth" },
      ],
      rejected,
    );
    assert.deepEqual(peer, { python: withTorch, origin: "third", torch: "2.13.0+cpu" });
    assert.deepEqual(rejected, [`${without} (first)`, `${path.join(dir, "missing")} (second)`]);
    assert.equal(describeTorchPeer(peer), `PyTorch peer: torch 2.13.0+cpu from ${withTorch}: third`);
    const none: string[] = [];
    assert.equal(findTorchPeer([{ python: without, origin: "first" }], none), undefined);
    assert.match(describeTorchPeer(undefined, none), /PyTorch peer: none \(no `import torch` in .*without-torch/);
    assert.match(describeTorchPeer(undefined, none), /scripts\/reference-env\.js/);
  },
);

test(
  "the PyTorch script is asked for the same model, batch, steps, threads and dropout; its failure is named",
  { skip: !posix && "stand-in pythons are shell scripts" },
  () => {
    const dir = scratch();
    // prints its arguments (after the script's path) as the result's engine
    const echo = fakePython(
      dir,
      "echo-args",
      `shift; printf '{"engine": "%s", "train_tokens_per_s": 1, "train_cpu_s": 1, "peak_rss_mb": 1}\\n' "$*"`,
    );
    const peer = { python: echo, origin: "test" };
    const args = { model: "minilm" as const, batch: 8, seq: 128, iters: 0, trainIters: 3 };
    assert.equal(
      runTorchBench(peer, { ...args, threads: 2, dropout: 0.1 }).engine,
      "--model minilm --batch 8 --seq 128 --iters 0 --train-iters 3 --threads 2 --dropout 0.1",
    );
    assert.equal(
      runTorchBench(peer, { ...args, dropout: 0 }).engine,
      "--model minilm --batch 8 --seq 128 --iters 0 --train-iters 3",
      "no --threads or --dropout: the script's defaults",
    );
    const failing = fakePython(dir, "failing", "echo 'RuntimeError: out of memory' >&2; exit 1");
    assert.throws(
      () => runTorchBench({ python: failing, origin: "test" }, args),
      /torch_bench\.py ended with exit 1: RuntimeError: out of memory/,
    );
  },
);

test("the bench models: MiniLM-L6's and bert-base's shapes, the tiny checkpoint's own config", () => {
  assert.deepEqual(
    [
      MINILM_L6_CONFIG.num_hidden_layers,
      MINILM_L6_CONFIG.hidden_size,
      MINILM_L6_CONFIG.num_attention_heads,
      MINILM_L6_CONFIG.intermediate_size,
      MINILM_L6_CONFIG.vocab_size,
    ],
    [6, 384, 12, 1536, 30522],
  );
  assert.equal(benchConfig("base"), BERT_BASE_CASED_CONFIG);
  assert.equal(benchConfig("tiny").hidden_size, 32);
  for (const m of ["tiny", "minilm", "base"] as const) assert.equal(benchConfig(m).hidden_dropout_prob, 0.1);
});

test("median: the middle step, or the mean of the two middle ones", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5]), 5);
});

const nativeRow = (engine: string, model: NativeBenchRow["model"], tokPerS: number, rss: number, threads = 2) => ({
  engine,
  model,
  batch: 8,
  seq: 128,
  threads,
  steps: 3,
  train_tokens_per_s: tokPerS,
  step_s: [1024 / tokPerS],
  user_s_per_step: 1,
  system_s_per_step: 0.1,
  peak_rss_mb: rss,
  load_average: 1,
});

test("native rows: throughput and memory over PyTorch's for the same model and threads, null without a peer", () => {
  const rows: NativeBenchRow[] = [
    nativeRow("tfjs tensorflow (TensorFlow 2.21.0)", "minilm", 600, 2000),
    nativeRow("pytorch 2.13.0+cpu (2 threads, dropout 0.1)", "minilm", 1000, 1000),
    nativeRow("tfjs tensorflow (TensorFlow 2.21.0)", "base", 80, 6000),
    nativeRow("pytorch 2.13.0+cpu (1 threads, dropout 0.1)", "base", 40, 3000, 1),
    nativeRow("tfjs tensorflow (TensorFlow 2.21.0)", "tiny", 9000, 500),
  ];
  addTorchRatios(rows);
  assert.equal(rows[0].torch_ratio, 0.6);
  assert.equal(rows[0].rss_ratio, 2);
  assert.equal(rows[0].cpu_ratio, 1, "both spent 1.1 CPU-s a step");
  assert.equal(rows[2].torch_ratio, null, "PyTorch on another thread count is not the peer");
  assert.equal(rows[4].torch_ratio, null);
  assert.equal(rows[1].torch_ratio, undefined, "the peer has no ratio of its own");
  const table = nativeTable(rows).split("\n");
  assert.match(table[0], /^engine \(training, native rows\)\s+model\s+tokens\s+threads\s+train tok\/s\s+vs pytorch/);
  assert.doesNotMatch(table[0], /kernel share/, "only profiled runs have the column");
  assert.match(table[2], /minilm\s+8x128\s+2\s+600\.0\s+0\.600\s+1\.707\s+1\.000\s+0\.100\s+1\.000\s+2000\s+2\.00/);
  rows[1].system_s_per_step = null;
  addTorchRatios(rows);
  assert.equal(rows[0].cpu_ratio, null, "no CPU ratio without the peer's system time");
});

test("workers rows: speed-up over each engine's 1-thread row, tfjs over PyTorch on the same threads", () => {
  const row = (engine: string, threads: number, tokPerS: number, perCpu: number): WorkerBenchRow => ({
    engine,
    model: "tiny",
    threads,
    batch: 8,
    seq: 128,
    iters: 1,
    train_tokens_per_s: tokPerS,
    tokens_per_cpu_s: perCpu,
    peak_rss_mb: 1,
    load_average: 1,
  });
  const rows = [
    row("tfjs wasm, data-parallel workers", 1, 100, 100),
    row("tfjs wasm, data-parallel workers", 2, 150, 80),
    row("pytorch 2.13.0+cpu (1 threads)", 1, 400, 400),
    row("pytorch 2.13.0+cpu (2 threads)", 2, 600, 300),
  ];
  addScaling(rows);
  assert.equal(rows[1].speedup, 1.5);
  assert.equal(rows[1].efficiency, 0.75);
  assert.equal(rows[1].cpu_efficiency, 0.8);
  assert.equal(rows[1].torch_ratio, 0.25);
  assert.equal(rows[3].speedup, 1.5, "PyTorch's 2-thread row scales against PyTorch's 1-thread row");
  assert.equal(rows[3].torch_ratio, undefined);
  assert.deepEqual(defaultThreadCounts(2), [1, 2]);
  assert.deepEqual(defaultThreadCounts(6), [1, 2, 4, 6]);
  assert.deepEqual(defaultThreadCounts(1), [1]);
});

test("the report: the per-backend table first, the native table, the notes, then the result as JSON", () => {
  const result: BenchResult = {
    backends: [],
    seconds: 1,
    cpus: 2,
    torch_peer: { python: "/p", origin: "test", torch: "2.13.0+cpu" },
    notes: ["PyTorch peer: torch 2.13.0+cpu from /p: test", "native rows: 8x128 tokens, 2 threads on both sides"],
    rows: [],
    native: [nativeRow("tfjs tensorflow (TensorFlow 2.21.0)", "tiny", 9000, 500)],
    pos_head: [],
    tagging: [],
    workers: [],
    steps: [],
    attention: [],
  };
  const text = benchReport(result);
  const native = text.indexOf("engine (training, native rows)");
  const notes = text.indexOf("PyTorch peer: torch 2.13.0+cpu from /p");
  const json = text.indexOf("\n{");
  assert.ok(text.startsWith("(no BERT rows"), text.slice(0, 40));
  assert.ok(0 < native && native < notes && notes < json, "tables, notes, JSON in that order");
  assert.deepEqual(JSON.parse(text.slice(json + 1)), result);
});

test("the attention bench times both layouts of q kT, checked equal first, with the flag's time over the other's", async () => {
  await tf.setBackend("cpu");
  const rows = await benchAttention("cpu", { batch: 1, seq: 8, rounds: 3 });
  assert.deepEqual(
    rows.map((r) => [r.model, r.shape]),
    [
      ["MiniLM", "1x12x8x32"],
      ["bert-base", "1x12x8x64"],
    ],
  );
  for (const r of rows) {
    assert.ok(r.flag_ms > 0 && r.untransposed_ms > 0 && Number.isFinite(r.ratio) && r.ratio > 0);
    assert.match(attentionTable(rows), new RegExp(`${r.model}\\s+${r.shape}`));
  }
});
