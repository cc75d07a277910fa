/**
 * Relation-extraction model: layer selection, parameter counts (study size by formula),
 * and a full-model smoke test on the tiny test checkpoint (shapes, feature layout, dropout
 * seeding, loss decreasing under AdamW, no tensor leak across steps).
 */
import { test } from "node:test";
import { longestRow } from "../src/re/model";
import { reScoresBySentences, reSentencesConclusion, type ReEvaluation } from "../src/experiment/re/task";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { loadBert, type AlignedBatch } from "../src/bert";
import { AdamW } from "../src/train/optim";
import { Rng } from "../src/random/rng";
import { AdeflowError } from "../src/errors";
import { registerFastSegmentSum } from "../src/backend";
import {
  RelationHead,
  RelationModel,
  defaultRelationLayers,
  relationHeadParameterCount,
  STUDY_RE_LAYERS,
} from "../src/re";
import { tinyCheckpointDir } from "../src/paths";

const TINY = tinyCheckpointDir();

test("default layer selection: study's [11, 10, 9, 8] for 12 layers, L-1..L-4 clamped at 0 otherwise", () => {
  assert.deepEqual(defaultRelationLayers(12), [11, 10, 9, 8]);
  assert.deepEqual(defaultRelationLayers(12), [...STUDY_RE_LAYERS]);
  assert.deepEqual(defaultRelationLayers(6), [5, 4, 3, 2]);
  assert.deepEqual(defaultRelationLayers(2), [1, 0, 0, 0]);
  assert.deepEqual(defaultRelationLayers(1), [0, 0, 0, 0]);
});

test("study-size head: parameter counts by formula, allocated once", async () => {
  await tf.setBackend("cpu");
  const F = 4 * 768;
  const lstm = 2 * 4 * 128 * (3072 + 128 + 2); // 3,278,848
  const dense = 128 * 256 * 384 + 384; // 12,583,296
  const classifier = 384 * 640 + 640; // 246,400
  const expected = { pos: 0, lstm, dense, classifier, head: lstm + dense + classifier };
  assert.deepEqual(relationHeadParameterCount(F), expected);
  assert.equal(expected.head, 16_108_544);
  const head = new RelationHead(F, { seed: 1 });
  try {
    let n = 0;
    for (const v of head.variables.values()) n += v.size;
    assert.deepEqual(head.parameterCount(), {
      encoder: 0,
      ...expected,
      total: expected.head,
      trainable: expected.head,
    });
    assert.equal(n, expected.head);
    assert.deepEqual(head.variables.get("dense.weight")!.shape, [384, 32768]);
    assert.deepEqual(head.variables.get("classifier.weight")!.shape, [640, 384]);
    assert.deepEqual(head.variables.get("lstm.weight_ih_l0_reverse")!.shape, [512, 3072]);
    // PyTorch-default init bounds: U(-1/sqrt(H)) for the LSTM, U(-1/sqrt(fan_in)) for Linear.
    const whh = head.variables.get("lstm.weight_hh_l0")!.dataSync();
    const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    assert.ok(maxAbs(whh) <= 1 / Math.sqrt(128) && maxAbs(whh) > 0.9 / Math.sqrt(128));
    const cw = head.variables.get("classifier.weight")!.dataSync();
    assert.ok(maxAbs(cw) <= 1 / Math.sqrt(384) && maxAbs(cw) > 0.9 / Math.sqrt(384));
  } finally {
    head.dispose();
  }
});

function syntheticBatch(vocab: number, T: number, lengths: number[], seed: number): AlignedBatch {
  const rng = new Rng(seed);
  const B = lengths.length;
  const inputIds = new Int32Array(B * T);
  const attentionMask = new Int32Array(B * T);
  const labels = new Int32Array(B * T).fill(-100);
  const wordIndex = new Int32Array(B * T).fill(-1);
  lengths.forEach((len, b) => {
    for (let t = 0; t < len; t++) {
      const i = b * T + t;
      inputIds[i] = t === 0 ? 101 % vocab : t === len - 1 ? 102 % vocab : 200 + rng.int(vocab - 200);
      attentionMask[i] = 1;
      if (t > 0 && t < len - 1) {
        labels[i] = rng.next() < 0.6 ? 0 : 1 + rng.int(4);
        wordIndex[i] = t - 1;
      }
    }
  });
  return { batch: B, seqLen: T, inputIds, attentionMask, labels, wordIndex, sequences: [] };
}

test("full model on the tiny checkpoint: shapes, features, dropout seeding, training reduces the loss, no leak", async () => {
  await tf.setBackend("cpu");
  registerFastSegmentSum("cpu"); // the stock cpu kernel of the embedding gradient is O(vocab x tokens)
  const bert = await loadBert(TINY);
  const model = new RelationModel(bert.encoder, { lstmUnits: 8, denseUnits: 16, seed: 3 });
  try {
    assert.deepEqual(model.layers, [1, 0, 0, 0]);
    assert.equal(model.head.featureSize, 4 * 32);
    assert.equal(model.seqLen, 128);
    const batch = syntheticBatch(bert.config.vocab_size, 128, [40, 23], 9);
    const ids = tf.tensor2d(batch.inputIds, [2, 128], "int32");
    const mask = tf.tensor2d(batch.attentionMask, [2, 128], "int32");

    // Features = hidden states [1, 0, 0, 0] concatenated in that order.
    tf.tidy(() => {
      const hs = bert.encoder.forward(ids, mask);
      const f = model.features(ids, mask);
      assert.deepEqual(f.shape, [2, 128, 128]);
      // zero at padding: the LSTM reads no features there
      const real = tf.expandDims(tf.cast(mask, "float32"), 2);
      const expected = tf.mul(tf.concat([hs[1], hs[0], hs[0], hs[0]], 2), real);
      assert.equal(tf.max(tf.abs(tf.sub(f, expected))).dataSync()[0], 0);
      // the encoder run only as far as the longest row gives the same features
      const longest = longestRow(batch);
      assert.ok(longest < 128);
      assert.ok(tf.max(tf.abs(tf.sub(model.features(ids, mask, false, 0, longest), f))).dataSync()[0] < 1e-5);
      const logits = model.logits(ids, mask, false);
      assert.deepEqual(logits.shape, [2, 128, 5]);
      // Same as the head on (cached) features.
      assert.equal(tf.max(tf.abs(tf.sub(logits, model.head.logits(f, false)))).dataSync()[0], 0);
    });
    assert.equal((await model.predict(batch)).length, 2 * 128);

    // Parameters: bert.* then the head; counts add up.
    const params = model.params();
    const count = model.parameterCount();
    let n = 0;
    for (const v of params.values()) n += v.size;
    assert.equal(n, count.total);
    assert.equal(count.trainable, count.total);
    assert.ok([...params.keys()][0].startsWith("bert."));
    assert.ok(params.has("lstm.weight_ih_l0") && params.has("classifier.bias"));
    assert.equal(count.lstm, 2 * 4 * 8 * (128 + 8 + 2));

    // Dropout: training only, reproducible per seed.
    const w = tf.tensor1d([1, 2, 2, 2, 2]);
    const lossOf = (training: boolean, seed: number) =>
      tf.tidy(() => model.loss(batch, w, training, seed).dataSync()[0]);
    const evalLoss = lossOf(false, 0);
    assert.equal(lossOf(false, 7), evalLoss);
    assert.equal(lossOf(true, 7), lossOf(true, 7));
    assert.notEqual(lossOf(true, 7), lossOf(true, 8));
    assert.notEqual(lossOf(true, 7), evalLoss);

    // A few AdamW steps (the Trainer's mechanics: variableGrads over params(), then apply).
    const opt = new AdamW(params, { lr: 3e-3 });
    const names = [...params.keys()];
    const vars = [...params.values()];
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 6; step++) {
      const { value, grads } = tf.variableGrads(() => model.loss(batch, w, true, step), vars);
      const byName = new Map<string, tf.Tensor>();
      names.forEach((k, i) => grads[vars[i].name] && byName.set(k, grads[vars[i].name]));
      // Every parameter gets a gradient except the encoder layer above the selected hidden
      // states (the study's off-by-one leaves the last layer untrained).
      const missing = names.filter((k) => !byName.get(k));
      assert.deepEqual(missing, model.parametersWithoutGradient());
      assert.ok(
        missing.length === 16 && missing.every((k) => k.startsWith("bert.encoder.layer.1.")),
        missing.join(","),
      );
      await opt.apply(byName, 3e-3);
      const l = value.dataSync()[0];
      assert.ok(Number.isFinite(l), `loss at step ${step} is ${l}`);
      losses.push(l);
      tf.dispose([value, ...Object.values(grads)]);
      counts.push(tf.memory().numTensors);
    }
    const after = lossOf(false, 0);
    console.log(
      `tiny RE model: eval loss ${evalLoss.toFixed(4)} -> ${after.toFixed(4)}; train losses ${losses.map((x) => x.toFixed(3)).join(" ")}; tensors ${counts.join(",")}`,
    );
    assert.ok(after < 0.8 * evalLoss, `eval loss ${evalLoss} -> ${after}`);
    assert.ok(
      counts.every((c) => c === counts[0]),
      `tensor count grew across steps: ${counts}`,
    );
    opt.dispose();
    tf.dispose([ids, mask, w]);
  } finally {
    model.dispose();
    bert.encoder.dispose();
  }
});

test("frozen encoder: params are the head only, encoder in eval mode, errors for bad inputs", async () => {
  await tf.setBackend("cpu");
  const bert = await loadBert(TINY);
  const model = new RelationModel(bert.encoder, {
    lstmUnits: 4,
    denseUnits: 6,
    frozenEncoder: true,
    layers: [2, 1],
    dropout: 0,
  });
  try {
    assert.ok([...model.params().keys()].every((k) => !k.startsWith("bert.")));
    assert.equal(model.params().size, 12);
    assert.equal(model.head.featureSize, 64);
    const c = model.parameterCount();
    assert.equal(c.trainable, c.head);
    assert.ok(c.encoder > 0 && c.total === c.encoder + c.head);
    const batch = syntheticBatch(bert.config.vocab_size, 128, [12], 1);
    // Frozen: training mode does not change the encoder features (no encoder dropout), and with
    // head dropout 0 the loss equals the eval loss.
    const l = (training: boolean) => tf.tidy(() => model.loss(batch, undefined, training, 5).dataSync()[0]);
    assert.equal(l(true), l(false));
    // The head on precomputed ("cached") features gives the same loss and predictions.
    const ids = tf.tensor2d(batch.inputIds, [1, 128], "int32");
    const mask = tf.tensor2d(batch.attentionMask, [1, 128], "int32");
    const feats = model.features(ids, mask);
    const fb = { batch: 1, seqLen: 128, features: feats.dataSync() as Float32Array, labels: batch.labels };
    tf.dispose([ids, mask, feats]);
    const cached = tf.tidy(() => model.head.batchLoss(fb, undefined, false).dataSync()[0]);
    assert.equal(cached, l(false));
    assert.deepEqual(await model.head.batchPredict(fb), await model.predict(batch));
    assert.throws(
      () => model.head.batchLoss({ ...fb, features: fb.features.subarray(64) }, undefined, false),
      AdeflowError,
    );
    // Only the head gets gradients.
    const vars = [...model.params().values()];
    const { value, grads } = tf.variableGrads(() => model.loss(batch, undefined, true, 1), vars);
    assert.equal(Object.keys(grads).length, vars.length);
    tf.dispose([value, ...Object.values(grads)]);

    const short = syntheticBatch(bert.config.vocab_size, 64, [12], 1);
    assert.throws(
      () => model.loss(short, undefined, false),
      (e: unknown) => e instanceof AdeflowError && /exactly 128/.test((e as Error).message),
    );
    assert.throws(() => model.predict(short), AdeflowError);
    assert.throws(() => new RelationModel(bert.encoder, { layers: [3] }), AdeflowError);
    assert.throws(() => new RelationModel(bert.encoder, { layers: [] }), AdeflowError);
  } finally {
    model.dispose();
    bert.encoder.dispose();
  }
});

test("RE scores by sentences per row: each joined row's pairs are scored with the rows that join as many", () => {
  const ev = {
    words: [
      // one sentence, its pair found
      { row: 0, words: ["DRUG", "caused", "EFFECT"], gold: [1, 0, 1], predicted: [1, 0, 1], errors: 0 },
      // two sentences: the model numbered every mask 1, so it also pairs across the boundary it did not find
      { row: 1, words: ["DRUG", "EFFECT", "DRUG", "EFFECT"], gold: [1, 1, 2, 2], predicted: [1, 1, 1, 1], errors: 2 },
    ],
  } as unknown as ReEvaluation;
  const rows = reScoresBySentences(ev, [{ parts: [0] }, { parts: [1, 2] }]);
  assert.deepEqual(
    rows.map((r) => [r.sentences, r.rows, r.gold_relations, r.precision, r.recall]),
    [
      [1, 1, 1, 1, 1],
      [2, 1, 2, 0.5, 1],
    ],
  );
  assert.throws(() => reScoresBySentences(ev, [{ parts: [0] }]), /RE row 1 is not among the 1 rows/);
  // the conclusion is computed from the rows: 2 of 3 gold relations are in the joined row, where F1 is lower
  assert.match(
    reSentencesConclusion(rows),
    /^Relation F1 falls as rows join more sentences: 1\.000 in rows of 1, 0\.667 in rows of 2\. 67 % /,
  );
  assert.match(
    reSentencesConclusion([
      { ...rows[1], f1: 1 },
      { ...rows[0], sentences: 3, f1: 1 },
    ]),
    /does not fall/,
  );
  assert.match(reSentencesConclusion(rows.slice(0, 1)), /Too few kinds of rows/);
});
