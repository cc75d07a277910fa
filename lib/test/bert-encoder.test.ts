/** Encoder behaviour: all hidden states, exact GELU, seeded dropout, no leaks, frozen features cache. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import { loadBert, gelu, FeatureExtractor } from "../src/bert";
import { tinyCheckpointDir } from "../src/paths";

const DIR = tinyCheckpointDir();

/** erf in float64 (Taylor series for |x| < 3, continued fraction beyond): ~1e-15. */
function erf64(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a < 3) {
    let term = a,
      sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = 0;
    for (let n = 60; n >= 1; n--) f = n / 2 / (a + f);
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
  }
  return x < 0 ? -r : r;
}

for (const backend of ["cpu", "wasm"]) {
  test(`exact GELU on ${backend}: tf.erf error is at float32 rounding level`, async () => {
    await initBackend({ force: backend });
    const xs = Array.from({ length: 2401 }, (_, i) => -6 + i * 0.005);
    const erf = tf.erf(tf.tensor1d(xs));
    const g = gelu(tf.tensor1d(xs));
    const e = erf.dataSync(),
      gv = g.dataSync();
    let maxErf = 0,
      maxGelu = 0;
    xs.forEach((x, i) => {
      const xf = Math.fround(x);
      maxErf = Math.max(maxErf, Math.abs(e[i] - erf64(xf)));
      maxGelu = Math.max(maxGelu, Math.abs(gv[i] - 0.5 * xf * (1 + erf64(xf / Math.SQRT2))));
    });
    console.log(
      `${backend}: max |tf.erf - erf| = ${maxErf.toExponential(2)}, max |gelu - exact| = ${maxGelu.toExponential(2)} on [-6, 6]`,
    );
    assert.ok(maxErf < 5e-7 && maxGelu < 2e-6, `erf ${maxErf}, gelu ${maxGelu}`);
    tf.dispose([erf, g]);
  });
}

test("forward returns numLayers+1 states; dropout only in training and seeded; no leaks", async () => {
  await initBackend({ force: "cpu" });
  const bert = await loadBert(DIR);
  const b = bert.tokenizer.encodeBatch([{ words: "Rash after penicillin .".split(" ") }, { words: ["Fever"] }], 12);
  const ids = tf.tensor2d(b.inputIds, [2, 12], "int32");
  const mask = tf.tensor2d(b.attentionMask, [2, 12], "int32");
  const before = tf.memory().numTensors;
  const run = (training: boolean, seed: number) => {
    const hs = bert.encoder.forward(ids, mask, { training, seed });
    const last = hs[hs.length - 1].dataSync().slice();
    assert.equal(hs.length, 3);
    assert.deepEqual(hs[0].shape, [2, 12, 32]);
    tf.dispose(hs);
    return last;
  };
  const eval1 = run(false, 1),
    eval2 = run(false, 2);
  assert.deepEqual(eval1, eval2, "eval mode ignores the seed");
  const t1 = run(true, 5),
    t1b = run(true, 5),
    t2 = run(true, 6);
  assert.deepEqual(t1, t1b, "same seed, same dropout masks");
  assert.notDeepEqual(t1, t2);
  assert.notDeepEqual(t1, eval1);
  assert.equal(tf.memory().numTensors, before, "forward leaves no tensors behind");
  // padding does not change the real positions' states (mask works)
  const n = b.sequences[1].length;
  assert.ok(n < 12);
  const solo = bert.tokenizer.encodeBatch([{ words: ["Fever"] }], n);
  const hs = bert.encoder.forward(
    tf.tensor2d(solo.inputIds, [1, n], "int32"),
    tf.tensor2d(solo.attentionMask, [1, n], "int32"),
  );
  const short = hs[2].dataSync();
  const padded = eval1.slice(12 * 32, 12 * 32 + n * 32);
  short.forEach((v, i) => assert.ok(Math.abs(v - padded[i]) < 1e-5, `position ${Math.floor(i / 32)}`));
  tf.dispose([ids, mask, ...hs]);
  bert.encoder.dispose();
});

test("frozen features are computed once, cached atomically on disk and reused", async () => {
  await initBackend({ force: "cpu" });
  const bert = await loadBert(DIR, { trainable: false });
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-feat-"));
  try {
    const texts = ["Rash after penicillin .", "Lithium-induced nephrogenic diabetes insipidus .", "Fever"];
    const fx = new FeatureExtractor(bert, { layers: [2, 1], maxLength: 16, cacheDir, batchSize: 2 });
    const first = await fx.extract(texts);
    assert.deepEqual([fx.hits, fx.misses], [0, 3]);
    assert.ok(first.every((f) => !f.fromCache));
    const files = fs
      .readdirSync(cacheDir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".safetensors"));
    assert.equal(files.length, 3);
    assert.ok(
      !fs
        .readdirSync(cacheDir, { recursive: true })
        .map(String)
        .some((f) => f.includes(".tmp-")),
      "no temporary files left",
    );
    const fx2 = new FeatureExtractor(bert, { layers: [2, 1], maxLength: 16, cacheDir });
    const again = await fx2.extract(texts);
    assert.deepEqual([fx2.hits, fx2.misses], [3, 0]);
    again.forEach((f, i) => {
      assert.ok(f.fromCache);
      assert.deepEqual(f.tokens, first[i].tokens);
      assert.deepEqual(f.wordIndex, first[i].wordIndex);
      assert.deepEqual(f.hidden, first[i].hidden);
    });
    // equals a direct forward pass
    const seq = bert.tokenizer.encodeText(texts[1], 16);
    const hs = bert.encoder.forward(
      tf.tensor2d(seq.inputIds, [1, 16], "int32"),
      tf.tensor2d(seq.attentionMask, [1, 16], "int32"),
    );
    const direct = hs[1].dataSync().slice(0, seq.length * 32);
    direct.forEach((v, i) => assert.ok(Math.abs(v - first[1].hidden[1][i]) < 1e-6));
    tf.dispose(hs);
    // another layer selection is another key
    assert.notEqual(
      new FeatureExtractor(bert, { layers: [1], maxLength: 16, cacheDir }).key(texts[0]),
      fx.key(texts[0]),
    );
    assert.throws(() => new FeatureExtractor(bert, { layers: [3], cacheDir }), /layer 3 is outside 0\.\.2/);
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    bert.encoder.dispose();
  }
});
