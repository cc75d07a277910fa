import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend";
import { loadBert } from "../../src/bert/checkpoint";
import { fitStudy } from "../../src/train/fit";
import { encodeNerRows } from "../../src/experiment/ner/data";
import { PROFILES, TINY_CHECKPOINT } from "../../src/experiment/shared/profile";
import { readCorpus } from "../../src/corpus/load";
import { runStudyPipeline } from "../../src/pipeline/study-pipeline";
import { dropoutMasks, exampleDropout } from "../../src/ops/example-dropout";
import { TokenClassifier } from "../../src/bert/token-classifier";
import { Trainer } from "../../src/train/trainer";
import { DataParallelGroup, shardRows, sliceBatch } from "../../src/train/data-parallel";
import { workerRecipeFor } from "../../src/train/worker-model";
import { chooseTrainingThreads, workerBytesEstimate } from "../../src/train/worker-count";
import { stackSequences } from "../../src/bert/tokenizer";
import { RelationModel } from "../../src/re/model";
import { encodeReRows, RE_CLASSES } from "../../src/experiment/re/data";
import { maxAbsDiff, testCorpusDir } from "../helpers";

const pipeline = runStudyPipeline(readCorpus(testCorpusDir()));
// micro-batches of 5 rows (uneven shards over 2 and 3 threads), 2 per update, 2 epochs then the final one
const profile = { ...PROFILES.smoke(), batchSize: 5, accumulationSteps: 2, epochs: 2, finalEpochs: 1 };

async function freshRun() {
  await initBackend({ force: "wasm" });
  const bert = await loadBert(TINY_CHECKPOINT());
  const train = encodeNerRows(pipeline.ner, pipeline.split.train.slice(0, 10), bert.tokenizer, 128).map(
    (e) => e.sequence,
  );
  const val = encodeNerRows(pipeline.ner, pipeline.split.val.slice(0, 5), bert.tokenizer, 128).map((e) => e.sequence);
  return { model: new TokenClassifier(bert.encoder, 5, 0), train, val };
}

/** Every parameter's values, by name. */
const weightsOf = (m: TokenClassifier) =>
  new Map([...m.params()].map(([k, v]) => [k, (v.dataSync() as Float32Array).slice()]));

test("a row's dropout masks depend on the seed and its row only: a shard called with seed + first row draws the whole batch's", async () => {
  await initBackend({ force: "wasm" });
  const x = tf.ones([3, 4, 6]);
  const site = (s: number) => (s * 31 + 7) >>> 0;
  const whole = exampleDropout(x, 0.5, 100, site);
  const rows12 = exampleDropout(tf.slice(x, [1, 0, 0], [2, 4, 6]), 0.5, 101, site);
  assert.deepEqual(
    [...(tf.slice(whole, [1, 0, 0], [2, 4, 6]).dataSync() as Float32Array)],
    [...(rows12.dataSync() as Float32Array)],
  );
  const kept = [...(whole.dataSync() as Float32Array)];
  assert.ok(
    kept.every((v) => v === 0 || v === 2),
    "inverted dropout: kept values are scaled by 1 / (1 - rate)",
  );
  assert.ok(kept.some((v) => v === 0) && kept.some((v) => v === 2));
  // rows differ from each other (a mask per row, not one repeated)
  assert.notDeepEqual(kept.slice(0, 24), kept.slice(24, 48));
  // the same seed draws the same mask; another draws another
  const again = [...(exampleDropout(x, 0.5, 100, site).dataSync() as Float32Array)];
  assert.deepEqual(again, kept);
  assert.notDeepEqual([...(exampleDropout(x, 0.5, 200, site).dataSync() as Float32Array)], kept);
});

test("dropout keeps 1 - rate of the values, uniformly over positions, scaled by 1 / (1 - rate) in float32", () => {
  for (const rate of [0.1, 0.4]) {
    const masks = dropoutMasks(8, [128, 64], [128, 64], rate, (b) => 1000 + b);
    const keptShare = masks.reduce((n, v) => n + (v > 0 ? 1 : 0), 0) / masks.length;
    // 65,536 values: a binomial share within 5 standard deviations of 1 - rate
    const sd = Math.sqrt((rate * (1 - rate)) / masks.length);
    assert.ok(Math.abs(keptShare - (1 - rate)) < 5 * sd, `rate ${rate}: kept ${keptShare}`);
    assert.ok(masks.every((v) => v === 0 || v === Math.fround(1 / Math.fround(1 - rate))));
    // the first and the last positions are kept as often as the middle ones
    const column = (j: number) =>
      Array.from({ length: 8 * 128 }, (_, r) => masks[r * 64 + j] > 0).filter(Boolean).length;
    for (const j of [0, 63])
      assert.ok(Math.abs(column(j) / 1024 - (1 - rate)) < 5 * Math.sqrt((rate * (1 - rate)) / 1024));
  }
  // a mask drawn longer and cut is the long mask's first positions
  const long = dropoutMasks(2, [6, 3], [6, 3], 0.5, (b) => 7 + b);
  const cut = dropoutMasks(2, [4, 3], [6, 3], 0.5, (b) => 7 + b);
  for (let b = 0; b < 2; b++)
    assert.deepEqual([...cut.subarray(b * 12, b * 12 + 12)], [...long.subarray(b * 18, b * 18 + 12)]);
});

test("shards are contiguous rows, the first ones one row longer, and slicing keeps each row's data", () => {
  assert.deepEqual(shardRows(5, 2), [
    [0, 3],
    [3, 5],
  ]);
  assert.deepEqual(shardRows(5, 3), [
    [0, 2],
    [2, 4],
    [4, 5],
  ]);
  assert.deepEqual(shardRows(1, 3), [
    [0, 1],
    [1, 1],
    [1, 1],
  ]);
  const T = 2;
  const b = {
    batch: 3,
    seqLen: T,
    inputIds: Int32Array.from([1, 2, 3, 4, 5, 6]),
    attentionMask: Int32Array.from([1, 1, 1, 0, 1, 1]),
    labels: Int32Array.from([0, 1, 2, -100, 3, 4]),
    wordIndex: new Int32Array(6),
    sequences: [],
  };
  const s = sliceBatch(b, 1, 3);
  assert.equal(s.batch, 2);
  assert.deepEqual([...s.inputIds], [3, 4, 5, 6]);
  assert.deepEqual([...s.labels], [2, -100, 3, 4]);
});

test("training on 2 and 3 threads gives the weights and losses of 1 thread within float tolerance (tiny checkpoint)", async () => {
  const one = await freshRun();
  const before = weightsOf(one.model);
  const r1 = await fitStudy(one.model, one.train, one.val, { profile, numClasses: 5, threads: 1 });
  const w1 = weightsOf(one.model);
  assert.equal(r1.parallel.threads, 1);
  // the run moved the weights well beyond the tolerance, so the comparison below can fail
  assert.ok(Math.max(...[...w1].map(([k, v]) => maxAbsDiff(v, before.get(k)!))) > 1e-3);
  for (const threads of [2, 3]) {
    const par = await freshRun();
    const lines: string[] = [];
    const r = await fitStudy(par.model, par.train, par.val, {
      profile,
      numClasses: 5,
      threads,
      log: (l) => lines.push(l),
      progress: false,
    });
    assert.equal(r.parallel.threads, threads);
    assert.ok(lines.includes(`training on ${threads} threads, data-parallel (set by the caller)`), lines.join("\n"));
    assert.equal(r.optimizerSteps, r1.optimizerSteps);
    for (const [i, h] of r.history.entries()) {
      assert.ok(
        Math.abs(h.trainLoss - r1.history[i].trainLoss) < 1e-5,
        `epoch ${h.epoch} train loss ${h.trainLoss} vs ${r1.history[i].trainLoss}`,
      );
      assert.ok(Math.abs(h.valLoss - r1.history[i].valLoss) < 1e-5);
    }
    const w = weightsOf(par.model);
    let worst = 0;
    for (const [k, v] of w1) worst = Math.max(worst, maxAbsDiff(v, w.get(k)!));
    assert.ok(worst < 2e-5, `${threads} threads: largest weight difference ${worst}`);
    console.log(`# ${threads} threads: largest weight difference from 1 thread ${worst.toExponential(2)}`);
  }
});

test("an interrupted 2-thread run resumed from its checkpoint ends byte-identical to an uninterrupted 2-thread run", async () => {
  const a = await freshRun();
  const whole = await fitStudy(a.model, a.train, a.val, {
    profile,
    numClasses: 5,
    threads: 2,
    checkpointDir: fs.mkdtempSync(path.join(os.tmpdir(), "dp-a-")),
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dp-b-"));
  const b1 = await freshRun();
  await fitStudy(b1.model, b1.train, b1.val, {
    profile,
    numClasses: 5,
    threads: 2,
    checkpointDir: dir,
    stopAfterEpochs: 1,
  });
  const b2 = await freshRun();
  const resumed = await fitStudy(b2.model, b2.train, b2.val, {
    profile,
    numClasses: 5,
    threads: 2,
    checkpointDir: dir,
  });
  assert.match(resumed.resumedFrom ?? "", /after epoch 1/);
  assert.deepEqual(
    resumed.history.map((h) => h.trainLoss),
    whole.history.map((h) => h.trainLoss),
  );
  const wa = weightsOf(a.model);
  for (const [k, v] of weightsOf(b2.model))
    assert.ok(Buffer.from(v.buffer).equals(Buffer.from(wa.get(k)!.buffer)), `${k} differs`);
});

test("the relation model (BiLSTM head, four hidden states) trains on 2 threads as on 1, within float tolerance", async () => {
  await initBackend({ force: "wasm" });
  const run = async (threads: number) => {
    const bert = await loadBert(TINY_CHECKPOINT());
    const rows = encodeReRows(pipeline.re, pipeline.split.train.slice(0, 6), bert.tokenizer, 128).map(
      (e) => e.sequence,
    );
    const model = new RelationModel(bert.encoder, { seed: 0, seqLen: 128, numClasses: RE_CLASSES });
    const trainer = new Trainer(model.params(), { lr: 1e-3, totalSteps: 4, accumulationSteps: 1, seed: 5 });
    const group =
      threads > 1
        ? DataParallelGroup.start(model.params(), workerRecipeFor(model)!, { threads, backend: "wasm" })
        : undefined;
    const losses: number[] = [];
    try {
      for (const chunk of [rows.slice(0, 3), rows.slice(3, 6)]) {
        const batch = stackSequences(chunk, 128);
        const r = group
          ? await group.microBatch(trainer, batch, undefined, (shard, seed) => model.loss(shard, undefined, true, seed))
          : await trainer.microBatch((seed) => model.loss(batch, undefined, true, seed));
        losses.push(r.loss);
      }
    } finally {
      await group?.close();
    }
    return {
      losses,
      weights: new Map([...model.params()].map(([k, v]) => [k, (v.dataSync() as Float32Array).slice()])),
    };
  };
  const one = await run(1);
  const two = await run(2);
  for (const [i, l] of one.losses.entries())
    assert.ok(Math.abs(l - two.losses[i]) < 1e-5, `step ${i + 1}: ${l} vs ${two.losses[i]}`);
  // AdamW's first steps move a weight by about lr whatever its gradient's size, so a weight whose gradient is
  // near zero can move differently after float-level differences in that gradient: the bound is a tenth of one
  // step (other dropout masks or a wrong share move most weights by a whole step)
  let worst = 0;
  for (const [k, v] of one.weights) worst = Math.max(worst, maxAbsDiff(v, two.weights.get(k)!));
  assert.ok(worst < 1e-4, `largest weight difference ${worst}`);
});

test("a worker whose model does not match the main thread's is an error naming the parameter", async () => {
  const { model, train } = await freshRun();
  const recipe = { ...workerRecipeFor(model)!, numLabels: 3 } as const;
  assert.throws(
    () => DataParallelGroup.start(model.params(), recipe, { threads: 2, backend: "wasm" }),
    /worker 1 failed to start: .*classifier\.weight has shape \[3,\d+\], the main thread's \[5,\d+\]/,
  );
  // and a working group refuses another model's trainer instead of training the wrong variables
  const group = DataParallelGroup.start(model.params(), workerRecipeFor(model)!, { threads: 2, backend: "wasm" });
  try {
    const other = new TokenClassifier(model.encoder, 5, 1);
    const trainer = new Trainer(other.params(), { totalSteps: 1, accumulationSteps: 1 });
    const batch = stackSequences(train.slice(0, 2), 128);
    await assert.rejects(
      group.microBatch(trainer, batch, undefined, (s, seed) => other.loss(s, undefined, true, seed)),
      /another model's trainer/,
    );
  } finally {
    await group.close();
  }
});

test("the thread count: ADEFLOW_WORKERS, else the cores, within the rows of a micro-batch and the free memory", () => {
  const base = { backend: "wasm", parameters: 50_000_000, rows: 8, cores: 4, freeBytes: 64 * 2 ** 30 };
  assert.deepEqual(chooseTrainingThreads({ ...base, requested: "" }), { threads: 4, why: "4 cores" });
  // a small model: one thread unless asked (more threads measured no faster)
  assert.deepEqual(chooseTrainingThreads({ ...base, parameters: 1_800_000, requested: "" }), {
    threads: 1,
    why: "a model of 1.8 M parameters trains no faster on more threads (ADEFLOW_WORKERS overrides)",
  });
  assert.equal(chooseTrainingThreads({ ...base, parameters: 1_800_000, requested: "2" }).threads, 2);
  assert.equal(chooseTrainingThreads({ ...base, requested: "2" }).threads, 2);
  assert.equal(chooseTrainingThreads({ ...base, requested: "1" }).threads, 1);
  assert.throws(
    () => chooseTrainingThreads({ ...base, requested: "two" }),
    /ADEFLOW_WORKERS=two: expected a whole number of threads, 1 or more/,
  );
  assert.throws(() => chooseTrainingThreads({ ...base, requested: "0" }), /ADEFLOW_WORKERS=0/);
  const fewRows = chooseTrainingThreads({ ...base, requested: "", rows: 2 });
  assert.deepEqual(fewRows, { threads: 2, why: "4 cores; a micro-batch has 2 rows" });
  assert.equal(chooseTrainingThreads({ ...base, requested: "", backend: "tensorflow" }).threads, 1);
  // bert-base-sized: memory for one more worker only
  const bertBase = 108_000_000;
  const per = workerBytesEstimate(bertBase, 1);
  const tight = chooseTrainingThreads({
    ...base,
    parameters: bertBase,
    rows: 4,
    requested: "",
    freeBytes: Math.ceil((1.5 * per) / 0.8),
  });
  assert.equal(tight.threads, 2);
  assert.match(tight.why, /free memory .* GiB holds 1 more worker of about .* GiB/);
});
