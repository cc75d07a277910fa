/** The epoch loop: an interrupted + resumed run ends with exactly the weights of a straight run. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend";
import { loadBert } from "../src/bert";
import { TokenClassifier, fitTokenClassifier, smokeExamples, SMOKE_LABELS, type FitOptions } from "../src/train";

const DIR = path.resolve(__dirname, "../../test/fixtures/tiny-bert");

async function model(headSeed: number) {
  const bert = await loadBert(DIR);
  const clf = new TokenClassifier(bert.encoder, SMOKE_LABELS.length, headSeed);
  const train = smokeExamples(10).map((e) => bert.tokenizer.encodeWords(e.words, e.labels, 48));
  const weights = () => new Map([...clf.params()].map(([k, v]) => [k, Array.from(v.dataSync())]));
  const dispose = () => (clf.dispose(), bert.encoder.dispose());
  return { clf, train, weights, dispose };
}

test("fit: 3 epochs straight == interrupted in epoch 3, then resumed from the epoch-2 checkpoint", async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-fit-"));
  try {
    const opts: FitOptions = { epochs: 3, batchSize: 2, accumulationSteps: 2, lr: 1e-3, warmupSteps: 1, seed: 5 };
    const a = await model(1);
    const ra = fitTokenClassifier(a.clf, a.train, opts);
    assert.equal(ra.steps, 9, "3 epochs x ceil(5 micro-batches / 2)");
    assert.equal(ra.classWeights!.length, 5);
    assert.ok(ra.epochLoss[2] < ra.epochLoss[0], `loss falls: ${JSON.stringify(ra.epochLoss)}`);

    const b = await model(1);
    assert.throws(
      () => fitTokenClassifier(b.clf, b.train, { ...opts, checkpointDir: dir, onBatch: (i) => { if (i.epoch === 2 && i.batch === 3) throw new Error("interrupt"); } }),
      /interrupt/,
    );
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "latest.json"), "utf8")).checkpoint, "ckpt-6");

    const c = await model(777); // other head init: the checkpoint must overwrite it
    const rc = fitTokenClassifier(c.clf, c.train, { ...opts, checkpointDir: dir, resume: true });
    assert.equal(rc.resumedFromEpoch, 1);
    assert.equal(rc.steps, 9);
    assert.deepEqual(Object.keys(rc.epochLoss), ["2"]);
    assert.equal(rc.epochLoss[2], ra.epochLoss[2]);
    const wa = a.weights();
    for (const [k, v] of c.weights()) assert.deepEqual(v, wa.get(k), k);
    a.dispose(); b.dispose(); c.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
