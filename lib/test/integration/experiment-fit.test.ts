import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../../src/backend";
import { loadBert } from "../../src/bert/checkpoint";
import { fitStudy, predictSequences } from "../../src/train/fit";
import { encodeNerRows } from "../../src/experiment/ner/data";
import { PROFILES, TINY_CHECKPOINT } from "../../src/experiment/shared/profile";
import { readCorpus } from "../../src/corpus/load";
import { runStudyPipeline } from "../../src/pipeline/study-pipeline";
import { TokenClassifier } from "../../src/bert/token-classifier";
import { testCorpusDir } from "../helpers";

const pipeline = runStudyPipeline(readCorpus(testCorpusDir()));
const profile = { ...PROFILES.smoke(), epochs: 2, finalEpochs: 1 };

async function freshRun() {
  await initBackend();
  const bert = await loadBert(TINY_CHECKPOINT());
  const train = encodeNerRows(pipeline.ner, pipeline.split.train.slice(0, 16), bert.tokenizer, 128).map(
    (e) => e.sequence,
  );
  const val = encodeNerRows(pipeline.ner, pipeline.split.val.slice(0, 8), bert.tokenizer, 128).map((e) => e.sequence);
  return { model: new TokenClassifier(bert.encoder, 5, 0), train, val };
}

const checksum = (m: TokenClassifier) =>
  [...m.params().values()].reduce((s, v) => s + (v.sum().dataSync()[0] as number), 0);

test("an interrupted run resumed from its checkpoint ends with the same weights and history as an uninterrupted one", async () => {
  const a = await freshRun();
  const whole = await fitStudy(a.model, a.train, a.val, {
    profile,
    numClasses: 5,
    checkpointDir: fs.mkdtempSync(path.join(os.tmpdir(), "fit-a-")),
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fit-b-"));
  const b1 = await freshRun();
  const first = await fitStudy(b1.model, b1.train, b1.val, {
    profile,
    numClasses: 5,
    checkpointDir: dir,
    stopAfterEpochs: 1,
  });
  assert.equal(first.history.length, 1, "stopped after one epoch, no final epoch yet");
  const b2 = await freshRun(); // a new process would start from the base weights
  const resumed = await fitStudy(b2.model, b2.train, b2.val, { profile, numClasses: 5, checkpointDir: dir });
  assert.match(resumed.resumedFrom ?? "", /after epoch 1/);
  assert.deepEqual(
    resumed.history.map((h) => h.trainLoss),
    whole.history.map((h) => h.trainLoss),
  );
  assert.ok(Math.abs(checksum(b2.model) - checksum(a.model)) < 1e-4, "same final weights");
  assert.equal(whole.history.filter((h) => h.phase === "final").length, 1);
  assert.deepEqual(whole.classWeights.final?.length, 5);
});

test("a checkpoint written with other settings is not resumed", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fit-c-"));
  const a = await freshRun();
  await fitStudy(a.model, a.train, a.val, {
    profile: { ...profile, finalEpochs: 0 },
    numClasses: 5,
    checkpointDir: dir,
    stopAfterEpochs: 1,
  });
  const b = await freshRun();
  const lines: string[] = [];
  const r = await fitStudy(b.model, b.train, b.val, {
    profile: { ...profile, finalEpochs: 0, learningRate: 1e-4 },
    numClasses: 5,
    checkpointDir: dir,
    log: (l) => lines.push(l),
  });
  assert.equal(r.resumedFrom, undefined);
  assert.ok(lines.some((l) => /checkpoint of other settings/.test(l)));
});

test("training shows each epoch's batch progress and keeps the per-epoch summary lines", async () => {
  const a = await freshRun();
  const lines: string[] = [];
  const p = { ...profile, epochs: 1, finalEpochs: 1 };
  await fitStudy(a.model, a.train, a.val, { profile: p, numClasses: 5, log: (l) => lines.push(l), progress: "lines" });
  const batches = Math.ceil(a.train.length / p.batchSize);
  // lines mode: every 10 % of the batches, the last one at 100 % with the running loss
  assert.ok(
    lines.some((l) =>
      new RegExp(
        `^epoch 1/1 \\[#+\\] 100% ${batches}/${batches} batches · .* batch/s · .* total · loss \\d+\\.\\d{4}$`,
      ).test(l),
    ),
    lines.join("\n"),
  );
  assert.ok(lines.some((l) => /^final epoch 1\/1 \(train \+ validation\) \[#+\] 100% /.test(l)));
  assert.ok(lines.some((l) => /^epoch 1: train loss \d+\.\d{4}, validation loss \d+\.\d{4}$/.test(l)));
  const b = await freshRun();
  const quiet: string[] = [];
  await fitStudy(b.model, b.train, b.val, { profile: p, numClasses: 5, log: (l) => quiet.push(l), progress: false });
  assert.deepEqual(
    quiet.filter((l) => l.includes("[")),
    [],
    "progress: false draws no bar",
  );
  assert.ok(quiet.some((l) => /^epoch 1: train loss/.test(l)));
});

test("predicting shows a progress bar through log when asked, and none without log or rows", async () => {
  const seq = {
    inputIds: new Int32Array(4),
    attentionMask: new Int32Array(4),
    labels: new Int32Array(4),
    wordIndex: new Int32Array(4),
    tokens: [],
    length: 0,
    truncated: false,
  };
  let calls = 0;
  const model = {
    params: () => new Map(),
    loss: () => {
      throw new Error("not used");
    },
    predict: (batch: { batch: number; seqLen: number }) => {
      calls++;
      return new Int32Array(batch.batch * batch.seqLen).fill(1);
    },
  };
  const lines: string[] = [];
  const out = await predictSequences(
    model as never,
    Array(5).fill(seq),
    { batchSize: 2, maxLength: 4 },
    { log: (l) => lines.push(l), progress: "lines", label: "test rows" },
  );
  assert.equal(out.length, 5);
  assert.equal(calls, 3);
  assert.ok(lines.length > 0 && lines.every((l) => l.startsWith("test rows")), lines.join("\n"));
  assert.match(lines[lines.length - 1], /100% 3\/3 batches/);
  const quiet: string[] = [];
  await predictSequences(model as never, [seq], { batchSize: 2, maxLength: 4 });
  await predictSequences(
    model as never,
    [],
    { batchSize: 2, maxLength: 4 },
    { log: (l) => quiet.push(l), progress: "lines" },
  );
  assert.deepEqual(quiet, []);
});
