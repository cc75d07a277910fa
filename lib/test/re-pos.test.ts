/**
 * The RE head's optional POS embedding (notebook 07): sizes, the shared initialisation with the plain head,
 * that the embedding is used and learns, and clear errors when POS ids are missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { loadBert, type AlignedSequence } from "../src/bert";
import { AdeflowError } from "../src/errors";
import { POS_VOCAB } from "../src/pos/tags";
import { RelationHead, RelationModel, relationHeadParameterCount, stackPosIds } from "../src/re";
import { stackSequences } from "../src/bert/tokenizer";
import { Rng } from "../src/random/rng";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BackendInfo } from "../src/backend";
import { PROFILES, TINY_CHECKPOINT } from "../src/experiment/shared/profile";
import { createReModel, loadReModel, saveReModel, type ReSetup } from "../src/experiment/re/task";

const SMALL = { lstmUnits: 4, denseUnits: 6, seqLen: 8, numClasses: 3 };
const V = POS_VOCAB.length;

function features(b: number, T: number, F: number, seed: number): tf.Tensor3D {
  const rng = new Rng(seed);
  return tf.tensor3d(
    Float32Array.from({ length: b * T * F }, () => rng.normal()),
    [b, T, F],
  );
}

test("POS head: the embedding table and the wider LSTM input are counted; the study's head is unchanged without it", async () => {
  await tf.setBackend("cpu");
  const plain = new RelationHead(10, { ...SMALL, seed: 1 });
  const pos = new RelationHead(10, { ...SMALL, seed: 1, posEmbeddingSize: 5, posVocabSize: V });
  try {
    const sizeOf = (h: RelationHead) => [...h.variables.values()].reduce((n, v) => n + v.size, 0);
    assert.equal(pos.parameterCount().pos, V * 5);
    assert.equal(pos.parameterCount().lstm - plain.parameterCount().lstm, 2 * 4 * 4 * 5);
    assert.equal(sizeOf(pos), pos.parameterCount().total);
    assert.equal(sizeOf(plain), plain.parameterCount().total);
    assert.equal(relationHeadParameterCount(3072).pos, 0);
    assert.deepEqual(pos.variables.get("lstm.weight_ih_l0")?.shape, [16, 15]);
  } finally {
    plain.dispose();
    pos.dispose();
  }
});

test("POS head: with the same seed, every weight the two arms share starts equal", async () => {
  await tf.setBackend("cpu");
  const plain = new RelationHead(10, { ...SMALL, seed: 7 });
  const pos = new RelationHead(10, { ...SMALL, seed: 7, posEmbeddingSize: 5, posVocabSize: V });
  try {
    for (const [name, v] of plain.variables) {
      const w = pos.variables.get(name);
      assert.ok(w, name);
      const shared = name.startsWith("lstm.weight_ih") ? tf.slice(w, [0, 0], [-1, 10]) : w;
      assert.equal(tf.max(tf.abs(tf.sub(shared, v))).dataSync()[0], 0, name);
    }
  } finally {
    plain.dispose();
    pos.dispose();
  }
});

test("POS head: the tags change the logits, the embedding gets a gradient, missing ids are a clear error", async () => {
  await tf.setBackend("cpu");
  const head = new RelationHead(10, { ...SMALL, seed: 2, posEmbeddingSize: 5, posVocabSize: V, inputGradient: false });
  try {
    const x = features(2, 8, 10, 3);
    const idsA = tf.tensor2d(
      Int32Array.from({ length: 16 }, (_, i) => 2 + (i % 5)),
      [2, 8],
      "int32",
    );
    const idsB = tf.tensor2d(
      Int32Array.from({ length: 16 }, (_, i) => 2 + ((i + 1) % 5)),
      [2, 8],
      "int32",
    );
    const diff = tf.tidy(
      () => tf.max(tf.abs(tf.sub(head.logits(x, false, 0, idsA), head.logits(x, false, 0, idsB)))).dataSync()[0],
    );
    assert.ok(diff > 0, "other tags, other logits");
    const labels = tf.tensor2d(
      Int32Array.from({ length: 16 }, (_, i) => (i % 4 === 0 ? -100 : i % 3)),
      [2, 8],
      "int32",
    );
    // frozen features (inputGradient false) must still train the POS table
    const table = head.variables.get("pos_embedding.weight") as tf.Variable;
    const { grads } = tf.variableGrads(() => head.loss(x, labels, undefined, true, 5, idsA), [table]);
    const g = grads[table.name];
    assert.ok(g, "gradient for the POS table");
    assert.ok(tf.sum(tf.abs(g)).dataSync()[0] > 0);
    assert.equal(
      tf.sum(tf.abs(tf.slice(g, [0, 0], [2, -1]))).dataSync()[0],
      0,
      "[PAD] and [NONE] rows unused here, so no gradient",
    );
    assert.throws(
      () => head.logits(x, false),
      (e: unknown) => e instanceof AdeflowError && /needs POS ids/.test((e as Error).message),
    );
    await assert.rejects(
      () =>
        head.batchPredict({
          batch: 2,
          seqLen: 8,
          features: x.dataSync() as Float32Array,
          labels: labels.dataSync() as Int32Array,
        }),
      /no posIds/,
    );
    assert.throws(
      () => new RelationHead(10, { ...SMALL, posEmbeddingSize: 4 }),
      /posVocabSize must be a positive integer/,
    );
  } finally {
    head.dispose();
  }
});

test("POS model on the tiny checkpoint: POS ids come from the batch's sequences; a sequence without them is named", async () => {
  await tf.setBackend("cpu");
  const bert = await loadBert(TINY_CHECKPOINT());
  const model = new RelationModel(bert.encoder, {
    lstmUnits: 4,
    denseUnits: 6,
    seed: 1,
    posEmbeddingSize: 4,
    posVocabSize: V,
  });
  try {
    const seq = bert.tokenizer.encodeWords(["the", "DRUG", "caused", "EFFECT"], [0, 1, 0, 1], 128);
    const posIds = Int32Array.from(seq.wordIndex, (w) => (w < 0 ? 0 : 2 + w));
    const tagged = { ...seq, posIds };
    const batch = stackSequences([tagged, tagged], 128);
    assert.deepEqual([...stackPosIds(batch).slice(0, 6)], [...posIds.slice(0, 6)]);
    const loss = model.loss(batch, undefined, false);
    assert.ok(Number.isFinite(loss.dataSync()[0]));
    loss.dispose();
    assert.equal((await model.predict(batch)).length, 256);
    const untagged = stackSequences([tagged, seq as AlignedSequence], 128);
    await assert.rejects(() => model.predict(untagged), /sequence 1 of the batch has no posIds/);
    assert.ok(model.params().has("pos_embedding.weight"));
  } finally {
    model.dispose();
  }
});

test("a saved POS model loads back with its embedding and predicts the same", async () => {
  await tf.setBackend("cpu");
  const models = fs.mkdtempSync(path.join(os.tmpdir(), "re-pos-models-"));
  process.env.ADEFLOW_MODELS_DIR = models;
  try {
    const bert = await loadBert(TINY_CHECKPOINT());
    const profile = PROFILES.smoke();
    const model = createReModel({ bert: bert, profile: profile }, { embeddingSize: 4, vocabSize: V });
    const seq = bert.tokenizer.encodeWords(["DRUG", "caused", "EFFECT"], [1, 0, 1], 128);
    const tagged: AlignedSequence = Object.assign(
      { ...seq },
      { posIds: Int32Array.from(seq.wordIndex, (w) => (w < 0 ? 0 : 3 + w)) },
    );
    const batch = stackSequences([tagged], 128);
    const dir = await saveReModel(
      { profile: profile, bert: bert, backend: { name: "cpu" } as BackendInfo } as ReSetup,
      model,
      {},
    );
    const loaded = await loadReModel(dir);
    assert.equal(loaded.model.head.posEmbeddingSize, 4);
    assert.deepEqual([...(await loaded.model.predict(batch))], [...(await model.predict(batch))]);
    model.dispose();
    loaded.model.dispose();
  } finally {
    delete process.env.ADEFLOW_MODELS_DIR;
  }
});

test("a head, with or without POS, frees everything it allocated when disposed (the ablation builds one per run)", async () => {
  await tf.setBackend("cpu");
  const before = tf.memory().numTensors;
  for (const E of [0, 5]) {
    const head = new RelationHead(10, { ...SMALL, seed: 4, posEmbeddingSize: E, posVocabSize: V });
    assert.equal(
      tf.memory().numTensors - before,
      head.variables.size,
      "one tensor per variable, no stray initial values",
    );
    head.dispose();
    assert.equal(tf.memory().numTensors, before);
  }
});
