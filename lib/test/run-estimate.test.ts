import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  correction,
  estimateRun,
  formatDuration,
  formatEstimate,
  remainingSeconds,
  type StepSpeeds,
} from "../src/experiment/plan/estimate";
import {
  BENCHMARK_ROWS_PER_SENTENCE,
  CORPUS_ARM_SHARE,
  FIXED_SECONDS,
  LOCAL_VOCABULARY_SECONDS,
  PROCESS_START_SECONDS,
  fitWork,
  notebookWork,
  runWork,
} from "../src/experiment/plan/workload";
import { PROFILES, type Profile } from "../src/experiment/shared/profile";
import { repoRoot } from "../src/paths";
import * as tf from "@tensorflow/tfjs";
import { alternating, measureSpeeds } from "../src/experiment/plan/measure";
import { readBertConfig } from "../src/bert/config";
import { WordAlignedTokenizer } from "../src/bert/tokenizer";

const STEMS = [
  "01-eda",
  "02-preprocessing",
  "03-augmentation-split",
  "04-ner",
  "05-re",
  "06-end-to-end",
  "07-pos-ablation",
  "08-benchmark",
];

/** A fake measurement: round numbers, so that every expected second below is worked out by hand. */
const SPEEDS: StepSpeeds = {
  ner: { trainPerRow: 0.01, update: 0.1, inferPerRow: 0.002, singleRow: 0.005 },
  re: { trainPerRow: 0.05, update: 0.2, inferPerRow: 0.01, singleRow: 0.02 },
};

test("fitStudy's work: main epochs with their validation losses, final epochs on train + validation, updates per accumulation", () => {
  // 600 rows in micro-batches of 8: 75 micro-batches, 19 updates of 4; 700 rows: 88 micro-batches, 22 updates
  assert.deepEqual(fitWork({ train: 600, val: 100, epochs: 2, finalEpochs: 1, batchSize: 8, accumulationSteps: 4 }), {
    trainRows: 2 * 600 + 700,
    updates: 2 * 19 + 22,
    inferRows: 3 * 100,
    singleRows: 0,
  });
  assert.deepEqual(fitWork({ train: 16, val: 8, epochs: 1, finalEpochs: 0, batchSize: 2, accumulationSteps: 16 }), {
    trainRows: 16,
    updates: 1,
    inferRows: 8,
    singleRows: 0,
  });
});

test("the local profile's notebooks, counted from the profile: rows x epochs x models, per task", () => {
  const local = PROFILES.local();
  const work = runWork(STEMS, local, { runsAtOnce: (runs) => Math.min(2, runs) });
  const [eda, , , ner, re, e2e, ablation, benchmark] = work;
  assert.equal(eda.fixedSeconds, FIXED_SECONDS["01"]);
  assert.deepEqual(eda.ner, { trainRows: 0, updates: 0, inferRows: 0, singleRows: 0 });
  // 04: 2,000 / 200 / 500 rows, 2 epochs, no final, batches of 8 without accumulation (250 updates an epoch). One
  // fit: 4,000 rows trained, 500 updates, 400 validation rows read. The study's model also reads its validation
  // and test rows (700), the leak-free one its test rows (500); the lesson repeats the leak-free fit from random
  // weights (1) and from the corpus-made BERT (a 0.15 share), and pretrains that BERT (180 s, vocabulary 6 s)
  const arms = 1 + CORPUS_ARM_SHARE;
  assert.deepEqual(ner.ner, {
    trainRows: 4000 + 4000 + arms * 4000,
    updates: 500 + 500 + arms * 500,
    inferRows: 400 + 700 + (400 + 500) + arms * (400 + 500),
    singleRows: 0,
  });
  assert.deepEqual(ner.re, { trainRows: 0, updates: 0, inferRows: 0, singleRows: 0 });
  assert.equal(ner.fixedSeconds, FIXED_SECONDS["04"] + 180 + LOCAL_VOCABULARY_SECONDS);
  assert.match(ner.summary, /^4 NER models, 2000 training rows, 2 epochs \+ 0 final$/);
  // 05: RE on its own rows (1,000 / 100 / 500), 2 epochs, two models: 2,000 rows, 250 updates, 200 validation rows
  // each; the study's reads 600 more rows, the leak-free one 500
  assert.deepEqual(re.re, { trainRows: 4000, updates: 500, inferRows: 200 + 600 + 200 + 500, singleRows: 0 });
  assert.equal(re.fixedSeconds, FIXED_SECONDS["05"]);
  // 06: every test row through both models in batches: the study's twice, the leak-free once
  assert.deepEqual(e2e.ner, { trainRows: 0, updates: 0, inferRows: 1500, singleRows: 0 });
  assert.deepEqual(e2e.re, e2e.ner);
  // 07: 2 arms x 2 seeds on the ablation's own rows (400 / 50 / 200), 1 epoch: 400 rows, 50 updates, 50 validation
  // rows, then 250 rows predicted, per run; two at a time
  assert.deepEqual(ablation.re, { trainRows: 4 * 400, updates: 4 * 50, inferRows: 4 * (50 + 250), singleRows: 0 });
  assert.equal(ablation.runsAtOnce, 2);
  assert.equal(ablation.fixedSeconds, FIXED_SECONDS["07"] + 2 * PROCESS_START_SECONDS);
  // 08: fold 0, all 3,845 sentences: 385 for validation; not augmented, so 1.55 rows a sentence: 5,363 training and
  // 597 validation rows; 1 epoch, then 1 final on both (5,960); NER only
  const trainRows = Math.round(3460 * BENCHMARK_ROWS_PER_SENTENCE.val);
  const valRows = Math.round(385 * BENCHMARK_ROWS_PER_SENTENCE.val);
  assert.deepEqual([trainRows, valRows], [5363, 597]);
  assert.deepEqual(benchmark.ner, {
    trainRows: 5363 + 5960,
    updates: Math.ceil(5363 / 8) + Math.ceil(5960 / 8),
    inferRows: 2 * 597 + 427,
    singleRows: 0,
  });
  assert.deepEqual(benchmark.re, { trainRows: 0, updates: 0, inferRows: 0, singleRows: 0 });
  assert.equal(benchmark.runsAtOnce, 1);
  assert.match(benchmark.summary, /^1 fold x \(NER only\), about 5363 training rows each \(not augmented\)/);
});

test("other profiles: full takes every row, quick its micro-batches; the lesson on pretraining adds models", () => {
  const full = notebookWork("04-ner", PROFILES.full());
  // 6 epochs on 10,360 rows, 1 final on 11,655; the leak-free split's 10,449 / 1,295
  assert.equal(full.ner.trainRows, 6 * 10360 + 11655 + 6 * 10449 + 11744);
  const quick = notebookWork("05-re", PROFILES.quick());
  // 1 epoch, no final, 200 training rows in micro-batches of 2 accumulated 16 times: 100 micro-batches, 7 updates
  assert.deepEqual(quick.re, { trainRows: 400, updates: 14, inferRows: 2 * 100 + 200 + 100, singleRows: 0 });
  const lesson: Profile = { ...PROFILES.quick(), initialisations: { randomWeights: true } };
  assert.match(notebookWork("04-ner", lesson).summary, /^3 NER models/);
  assert.equal(notebookWork("04-ner", lesson).ner.trainRows, 3 * 200);
  // 01-03 and an unknown notebook train nothing; a full benchmark fold has 3,460 training and 385 validation
  // sentences: 10,380 and 597 rows, 6 epochs and 1 final on both
  assert.equal(notebookWork("09-new", PROFILES.smoke()).summary, "no training");
  assert.equal(notebookWork("08-benchmark", PROFILES.full()).ner.trainRows, 10 * (6 * 10380 + 10380 + 597));
});

test("each notebook's estimate: fixed seconds plus the measured speed times its work, divided by the runs at once", () => {
  const work = runWork(STEMS, PROFILES.local(), { runsAtOnce: (runs) => Math.min(2, runs), localBertCached: true });
  const estimates = estimateRun(work, SPEEDS);
  // 05: 4,000 rows x 0.05 + 500 updates x 0.2 + 1,500 rows forward x 0.01
  const re = estimates[4]!;
  assert.equal(re.fixedSeconds, FIXED_SECONDS["05"]);
  assert.ok(Math.abs(re.workSeconds - (200 + 100 + 15)) < 1e-9);
  assert.ok(Math.abs(re.seconds - (FIXED_SECONDS["05"] + 315)) < 1e-9);
  // 07's four runs go two at a time: (1,600 x 0.05 + 200 x 0.2 + 1,200 x 0.01) / 2
  assert.ok(Math.abs(estimates[6]!.workSeconds - (80 + 40 + 12) / 2) < 1e-9);
  // 06: 1,500 rows forward in batches, NER and RE
  assert.ok(Math.abs(estimates[5]!.workSeconds - 1500 * (0.002 + 0.01)) < 1e-9);
  assert.equal(estimates[0]!.workSeconds, 0);
  // without a measurement only the notebooks that train nothing have one
  const none = estimateRun(work, undefined);
  assert.deepEqual(
    none.map((e) => e !== undefined),
    [true, true, true, false, false, false, false, false],
  );
});

test("the time left is corrected by what finished: the fixed part by notebooks without training, the rest by those with", () => {
  const work = runWork(STEMS, PROFILES.local(), { localBertCached: true });
  const estimates = estimateRun(work, SPEEDS);
  const total = estimates.reduce((s, e) => s + e!.seconds, 0);
  assert.ok(Math.abs(remainingSeconds(estimates, [])! - total) < 1e-9);
  // 01-03 took twice their fixed seconds: every fixed part left doubles, the measured parts stay
  const slow = ["01", "02", "03"].map((n, i) => ({ notebook: STEMS[i], seconds: 2 * FIXED_SECONDS[n] }));
  assert.deepEqual(correction(estimates, slow), { fixed: 2, work: 1 });
  const rest = estimates.slice(3);
  const expect = (c: { fixed: number; work: number }) =>
    rest.reduce((s, e) => s + c.fixed * e!.fixedSeconds + c.work * e!.workSeconds, 0);
  assert.ok(Math.abs(remainingSeconds(estimates, slow)! - expect({ fixed: 2, work: 1 })) < 1e-9);
  // 04 then took its (doubled) fixed seconds and three times its measured part
  const ner = estimates[3]!;
  const after04 = [...slow, { notebook: "04-ner", seconds: 2 * ner.fixedSeconds + 3 * ner.workSeconds }];
  const c = correction(estimates, after04);
  assert.equal(c.fixed, 2);
  assert.ok(Math.abs(c.work - 3) < 1e-9);
  assert.ok(
    Math.abs(
      remainingSeconds(estimates, after04)! -
        expect({ fixed: 2, work: 3 }) +
        2 * ner.fixedSeconds +
        3 * ner.workSeconds,
    ) < 1e-6,
  );
  // one odd notebook moves the rest by at most 4x either way
  assert.deepEqual(correction(estimates, [{ notebook: "01-eda", seconds: 100 * FIXED_SECONDS["01"] }]), {
    fixed: 4,
    work: 1,
  });
  assert.equal(correction(estimates, [{ notebook: "04-ner", seconds: 0 }]).work, 1 / 4);
  // a notebook left without an estimate makes the time left unknown
  assert.equal(remainingSeconds(estimateRun(work, undefined), slow), undefined);
});

test("durations print as seconds, minutes and hours; estimates rounded as estimates", () => {
  assert.equal(formatDuration(4.4), "4 s");
  assert.equal(formatDuration(200), "3 min 20 s");
  assert.equal(formatDuration(3 * 3600 + 5 * 60 + 9), "3 h 05 min");
  assert.equal(formatEstimate(2), "about 5 s");
  assert.equal(formatEstimate(43), "about 45 s");
  assert.equal(formatEstimate(200), "about 3 min");
  assert.equal(formatEstimate(2 * 3600 + 17 * 60), "about 2 h 15 min");
});

test("the measurement times training micro-batches, an update and forward passes of both tasks, all of them", async () => {
  await tf.setBackend("cpu");
  const tiny = path.join(repoRoot(), "lib", "test", "fixtures", "tiny-bert");
  const tokenizer = await WordAlignedTokenizer.fromDirectory(tiny);
  const sentences = ["the patient developed a rash", "methotrexate caused severe hepatotoxicity in an elderly man"];
  const rows = Array.from({ length: 10 }, (_, i) =>
    tokenizer.encodeWords(
      sentences[i % 2].split(" "),
      sentences[i % 2].split(" ").map(() => i % 3),
      32,
    ),
  );
  const profile = { ...PROFILES.smoke(), batchSize: 2, maxLength: 32 };
  const lines: string[] = [];
  const m = await measureSpeeds({
    config: readBertConfig(path.join(tiny, "config.json")),
    ner: rows,
    re: rows,
    profile,
    budget: { ner: 0, re: 0 },
    log: (l) => lines.push(l),
  });
  for (const task of [m.speeds.ner, m.speeds.re])
    for (const [what, seconds] of Object.entries(task))
      assert.ok(Number.isFinite(seconds) && seconds > 0, `${what}: ${seconds}`);
  // the first batch is untimed; then short and long in turn, so that a budget spent early still times both
  assert.deepEqual(alternating(5), [1, 4, 2, 3]);
  assert.deepEqual(alternating(2), [1]);
  assert.deepEqual(alternating(1), [0]);
  // a budget of 0 still times three micro-batches (after the untimed shortest and longest: one slow step must not
  // set the estimate alone); RE batches are always maxLength long
  assert.deepEqual(m.timed.ner.rows, 6);
  assert.ok(m.timed.ner.positions <= Math.max(...rows.map((r) => r.length)));
  assert.equal(m.timed.re.positions, 32);
  assert.ok(m.parameters > 0);
  assert.equal(lines.length, 2);
});
