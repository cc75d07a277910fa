/** Trainer on the tiny checkpoint: no leaks, accumulation, frozen encoder, NaN, save/resume. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend";
import { loadBert, type AlignedBatch } from "../../src/bert";
import { Trainer } from "../../src/train";
import { TokenClassifier } from "../../src/bert";
import { smokeExamples } from "../support/smoke";
import { AdeflowError } from "../../src/errors";
import { tinyCheckpointDir } from "../../src/paths";

const DIR = tinyCheckpointDir();

async function setup(seed = 3) {
  const bert = await loadBert(DIR);
  const clf = new TokenClassifier(bert.encoder, 5, seed);
  const ex = smokeExamples(8);
  const batches: AlignedBatch[] = [0, 4].map((s) => bert.tokenizer.encodeBatch(ex.slice(s, s + 4), 48));
  const dispose = () => {
    clf.dispose();
    bert.encoder.dispose();
  };
  return { bert, clf, batches, dispose };
}

const snapshot = (m: Map<string, tf.Variable>) => new Map([...m].map(([k, v]) => [k, v.dataSync().slice()]));

test("a training step leaks no tensors; the frozen encoder stays unchanged", async () => {
  await initBackend({ force: "cpu" });
  const { bert, clf, batches, dispose } = await setup();
  const tr = new Trainer(clf.params(), { totalSteps: 10, accumulationSteps: 2, seed: 1 });
  const counts: number[] = [];
  for (let i = 0; i < 6; i++) {
    await tr.microBatch((s) => clf.loss(batches[i % 2], undefined, true, s));
    if (i % 2 === 1) counts.push(tf.memory().numTensors);
  }
  assert.equal(tr.step, 3);
  assert.ok(
    counts.every((c) => c === counts[0]),
    `tensor counts after each update: ${counts}`,
  );
  tr.dispose();
  // frozen: only the head moves
  bert.encoder.setTrainable(false);
  const before = snapshot(bert.encoder.variables);
  const headBefore = clf.weight.dataSync().slice();
  const tr2 = new Trainer(clf.params(), { totalSteps: 2, accumulationSteps: 1 });
  await tr2.microBatch((s) => clf.loss(batches[0], undefined, true, s));
  for (const [k, v] of bert.encoder.variables)
    assert.deepEqual(v.dataSync(), before.get(k), `${k} changed while frozen`);
  assert.notDeepEqual(clf.weight.dataSync(), headBefore);
  tr2.dispose();
  dispose();
});

test("accumulating the same micro-batch twice equals one update on it", async () => {
  await initBackend({ force: "cpu" });
  const a = await setup();
  const b = await setup();
  const ta = new Trainer(a.clf.params(), { totalSteps: 4, accumulationSteps: 2 });
  const tb = new Trainer(b.clf.params(), { totalSteps: 4, accumulationSteps: 1 });
  const r1 = await ta.microBatch(() => a.clf.loss(a.batches[0], undefined, false));
  assert.equal(r1.updated, false);
  const r2 = await ta.microBatch(() => a.clf.loss(a.batches[0], undefined, false));
  const rb = await tb.microBatch(() => b.clf.loss(b.batches[0], undefined, false));
  assert.ok(r2.updated && rb.updated);
  assert.ok(Math.abs(r2.gradNorm! - rb.gradNorm!) < 1e-4 * rb.gradNorm!, `${r2.gradNorm} vs ${rb.gradNorm}`);
  const pa = snapshot(a.clf.params());
  for (const [k, v] of snapshot(b.clf.params())) {
    const x = pa.get(k)!;
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - v[i]) < 1e-6, `${k}[${i}]`);
  }
  ta.dispose();
  tb.dispose();
  a.dispose();
  b.dispose();
});

test("a NaN loss is an AdeflowError naming the step", async () => {
  await initBackend({ force: "cpu" });
  const { clf, batches, dispose } = await setup();
  const tr = new Trainer(clf.params(), { totalSteps: 4, accumulationSteps: 1 });
  await tr.microBatch((s) => clf.loss(batches[0], undefined, true, s));
  const n = tf.memory().numTensors;
  await assert.rejects(
    () => tr.microBatch((s) => tf.mul(clf.loss(batches[0], undefined, true, s), NaN) as tf.Scalar),
    (e: Error) => e instanceof AdeflowError && /loss is NaN at optimizer step 2 \(micro-batch 2\)/.test(e.message),
  );
  assert.equal(tf.memory().numTensors, n, "no tensors left behind by the failed step");
  tr.dispose();
  dispose();
});

test("save + resume continues bit-identically (weights, AdamW moments, step, rng)", async () => {
  await initBackend({ force: "cpu" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-ckpt-"));
  try {
    const opts = { totalSteps: 6, accumulationSteps: 1, warmupSteps: 1, seed: 99, weightDecay: 0.01 };
    const a = await setup();
    const ta = new Trainer(a.clf.params(), opts);
    for (let i = 0; i < 2; i++) await ta.microBatch((s) => a.clf.loss(a.batches[i % 2], undefined, true, s));
    const saved = await ta.save(dir, { note: "test" });
    assert.ok(fs.existsSync(path.join(saved, "params.safetensors")));
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "latest.json"), "utf8")), {
      checkpoint: "ckpt-2",
      step: 2,
    });
    const lossesA: number[] = [];
    for (let i = 2; i < 4; i++)
      lossesA.push((await ta.microBatch((s) => a.clf.loss(a.batches[i % 2], undefined, true, s))).loss);

    const b = await setup(12345); // different head init: must be overwritten by the checkpoint
    const tb = new Trainer(b.clf.params(), opts);
    const state = tb.restore(dir);
    assert.equal(state.note, "test");
    assert.equal(tb.step, 2);
    const lossesB: number[] = [];
    for (let i = 2; i < 4; i++)
      lossesB.push((await tb.microBatch((s) => b.clf.loss(b.batches[i % 2], undefined, true, s))).loss);
    assert.deepEqual(lossesB, lossesA);
    const pa = snapshot(a.clf.params());
    for (const [k, v] of snapshot(b.clf.params())) assert.deepEqual(v, pa.get(k), k);
    ta.dispose();
    tb.dispose();
    a.dispose();
    b.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
