/** Batches padded to their own longest row compute what batches padded to 128 compute (the `local` profile's speed-up). */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend";
import { loadBert } from "../../src/bert/checkpoint";
import { longestLength, stackSequences } from "../../src/bert/tokenizer";
import { fitStudy, lengthGroupedOrder, predictSequences } from "../../src/train/fit";
import { encodeNerRows } from "../../src/experiment/ner/data";
import { PROFILES, TINY_CHECKPOINT } from "../../src/experiment/shared/profile";
import { readCorpus } from "../../src/corpus/load";
import { runStudyPipeline } from "../../src/pipeline/study-pipeline";
import { TokenClassifier } from "../../src/bert/token-classifier";
import { maxAbsDiff, testCorpusDir } from "../helpers";

const pipeline = runStudyPipeline(readCorpus(testCorpusDir()));
const profile = { ...PROFILES.smoke(), epochs: 1, finalEpochs: 1, batchSize: 4, accumulationSteps: 2 };

async function setup(rows = 12) {
  await initBackend();
  const bert = await loadBert(TINY_CHECKPOINT());
  const seqs = encodeNerRows(pipeline.ner, pipeline.split.train.slice(0, rows), bert.tokenizer, 128).map(
    (e) => e.sequence,
  );
  return { model: new TokenClassifier(bert.encoder, 5, 0), seqs };
}

test("one batch: the same logits, loss and gradients padded to its longest row as padded to 128", async () => {
  const { model, seqs } = await setup(6);
  const chunk = seqs.slice(0, 6);
  const T = longestLength(chunk);
  assert.ok(T < 128, `the sample's longest row has ${T} positions`);
  const full = stackSequences(chunk, 128);
  const short = stackSequences(chunk, T);
  const weights = tf.tensor1d([0.3, 2, 3, 2.5, 4]);
  const logitsOf = (b: typeof full) =>
    tf.tidy(
      () =>
        model
          .logits(
            tf.tensor2d(b.inputIds, [b.batch, b.seqLen], "int32"),
            tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], "int32"),
            false,
          )
          .arraySync() as number[][][],
    );
  const lf = logitsOf(full);
  const ls = logitsOf(short);
  chunk.forEach((s, b) =>
    assert.ok(maxAbsDiff(lf[b].slice(0, s.length).flat(), ls[b].slice(0, s.length).flat()) < 1e-5, `row ${b}`),
  );
  const vars = [...model.params().values()];
  const run = (b: typeof full) => tf.variableGrads(() => model.loss(b, weights, true, 11), vars);
  const gf = run(full);
  const gs = run(short);
  assert.ok(Math.abs(gf.value.dataSync()[0] - gs.value.dataSync()[0]) < 1e-5, "loss with dropout, same seed");
  for (const v of vars)
    assert.ok(maxAbsDiff(gf.grads[v.name].dataSync(), gs.grads[v.name].dataSync()) < 1e-5, `gradient of ${v.name}`);
  tf.dispose([gf.value, gs.value, ...Object.values(gf.grads), ...Object.values(gs.grads), weights]);
});

test("a whole fit (accumulation, clipping, final epoch) ends at the same weights, and predictions come back in input order", async () => {
  const a = await setup();
  const b = await setup();
  const ha = await fitStudy(a.model, a.seqs.slice(0, 8), a.seqs.slice(8), { profile, numClasses: 5, padding: "max" });
  const hb = await fitStudy(b.model, b.seqs.slice(0, 8), b.seqs.slice(8), {
    profile,
    numClasses: 5,
    padding: "longest",
  });
  ha.history.forEach((h, i) =>
    assert.ok(
      Math.abs(h.trainLoss - hb.history[i].trainLoss) < 1e-4 && Math.abs(h.valLoss - hb.history[i].valLoss) < 1e-4,
      `epoch ${i + 1}`,
    ),
  );
  const pa = a.model.params();
  for (const [name, v] of b.model.params()) assert.ok(maxAbsDiff(v.dataSync(), pa.get(name)!.dataSync()) < 1e-4, name);
  const padded = await predictSequences(a.model, a.seqs, profile, { padding: "max" });
  const bucketed = await predictSequences(a.model, a.seqs, profile);
  assert.equal(bucketed.length, a.seqs.length);
  bucketed.forEach((p, i) => {
    assert.equal(p.length, 128);
    const n = a.seqs[i].length;
    assert.deepEqual([...p.subarray(0, n)], [...padded[i].subarray(0, n)], `row ${i}`);
  });
});

test("length-grouped order: each window of batches sorted by length, the windows in the shuffled order; none keeps the order", () => {
  const lengths = [5, 1, 4, 2, 3, 9, 7, 8];
  const order = [0, 1, 2, 3, 4, 5, 6, 7];
  assert.deepEqual(lengthGroupedOrder(order, lengths, 2, 2), [1, 3, 2, 0, 4, 6, 7, 5]);
  assert.deepEqual(lengthGroupedOrder(order, lengths, 2), order);
  assert.throws(() => stackSequences([{ length: 9 } as never], 4), /does not fit/);
});
