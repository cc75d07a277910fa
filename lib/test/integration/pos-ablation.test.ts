import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ablationConclusion, compareArms, pairBySeed, summarizeAblation } from "../../src/experiment/ablation/report";
import {
  ablationCheckpointDir,
  preparePosAblation,
  runAblationArm,
  runPosAblation,
  type AblationArm,
  type AblationRun,
} from "../../src/experiment/ablation/run";
import { PROFILES } from "../../src/experiment/shared/profile";
import { POS_PAD_ID } from "../../src/pos/tags";
import { testCorpusDir } from "../helpers";

function run(arm: AblationArm, seed: number, token: number, relation: number, seconds = 10): AblationRun {
  return {
    arm,
    seed,
    pos_embedding_size: arm === "with POS" ? 32 : 0,
    test_token_f1: token,
    test_token_precision: token,
    test_token_recall: token,
    test_relation_f1: relation,
    validation_token_f1: token,
    validation_relation_f1: relation,
    parameters_total: arm === "with POS" ? 1100 : 1000,
    parameters_trainable: 0,
    parameters_head: 0,
    train_seconds_per_epoch: seconds,
    inference_seconds_per_pass: 1,
    inference_rows: 10,
    history: [],
    reused: false,
  };
}

const smoke = PROFILES.smoke();
const full = PROFILES.full();

test("a clear drop on every seed is 'lower', beyond the spread, and bears out the study", () => {
  const runs = [0, 1, 2].flatMap((s) => [
    run("without POS", s, 0.8 + 0.01 * s, 0.7 + 0.02 * s),
    run("with POS", s, 0.75 + 0.01 * s + 0.001 * s * s, 0.6 + 0.02 * s + 0.002 * s),
  ]);
  const cmp = compareArms(runs);
  const token = cmp.find((r) => r.measure === "token macro F1 (study)");
  assert.equal(token?.verdict, "lower");
  assert.ok(token && token.p < 0.05 && token.mean_difference < 0);
  const c = ablationConclusion(cmp, full);
  assert.equal(c.supportsStudy, true);
  // the rows named are the ones the arms trained on: all in `full`, the ablation's own 400 in `local`
  assert.match(c.sentences[0], /, all training rows\)/);
  assert.match(ablationConclusion(cmp, PROFILES.local()).sentences[0], /, 400 training rows\)/);
  assert.ok(
    c.sentences.some((s) => /token macro F1 \(study\): 0\.810 without, 0\.762 with POS; difference -0\.048/.test(s)),
    c.sentences.join("\n"),
  );
  assert.ok(c.sentences.some((s) => /\+100 parameters \(\+10\.000 %\)/.test(s)));
  assert.ok(!c.sentences.some((s) => /Caveat/.test(s)), "no caveat for the full profile");
});

test("noise larger than the effect is 'within the seed-to-seed spread'; one seed is undetermined; a clear gain contradicts the study", () => {
  const noisy = [
    [0.8, 0.82],
    [0.7, 0.66],
    [0.75, 0.78],
  ].flatMap(([a, b], s) => [run("without POS", s, a, a), run("with POS", s, b, b)]);
  const c = ablationConclusion(compareArms(noisy), smoke);
  assert.equal(compareArms(noisy)[0].verdict, "within the seed-to-seed spread");
  assert.equal(c.supportsStudy, undefined);
  assert.ok(c.sentences.some((s) => /Caveat: this is the smoke profile/.test(s)));
  const one = compareArms([run("without POS", 0, 0.5, 0.5), run("with POS", 0, 0.9, 0.9)]);
  assert.equal(one[0].verdict, "undetermined (fewer than 2 seeds)");
  const gain = [0, 1, 2].flatMap((s) => [
    run("without POS", s, 0.5 + 0.01 * s, 0.5),
    run("with POS", s, 0.6 + 0.011 * s, 0.5 + 0.001 * s),
  ]);
  assert.equal(ablationConclusion(compareArms(gain), full).supportsStudy, false);
});

test("runs pair by seed (a seed missing from one arm is left out) and summaries are per arm", () => {
  const runs = [run("without POS", 0, 0.5, 0.5), run("with POS", 0, 0.6, 0.6), run("without POS", 1, 0.7, 0.7)];
  assert.deepEqual(
    pairBySeed(runs).map((p) => p.seed),
    [0],
  );
  const rows = summarizeAblation(runs).filter((r) => r.measure === "token macro F1 (study)");
  assert.deepEqual(
    rows.map((r) => [r.arm, r.n, r.seeds]),
    [
      ["without POS", 2, "0 1"],
      ["with POS", 1, "0"],
    ],
  );
  assert.ok(Math.abs(rows[0].mean - 0.6) < 1e-12);
});

test("the ablation end to end on the tiny checkpoint: tags on every sub-token, both arms, runs read back, encoder restored", async () => {
  process.env.ADE_CORPUS_DIR ??= testCorpusDir();
  const models = fs.mkdtempSync(path.join(os.tmpdir(), "ablation-models-"));
  process.env.ADEFLOW_MODELS_DIR = models;
  try {
    const setup = await preparePosAblation({
      ...smoke,
      maxRows: { train: 8, val: 4, test: 4 },
      ablation: { ...smoke.ablation, epochs: 1, finalEpochs: 0 },
    });
    for (const ex of [...setup.train, ...setup.val, ...setup.test]) {
      assert.equal(ex.tags.length, ex.words.length);
      ex.sequence.wordIndex.forEach((w, i) =>
        assert.equal(ex.sequence.posIds[i] === POS_PAD_ID, w < 0, `row ${ex.row} position ${i}`),
      );
    }
    assert.equal(
      setup.tagging.words,
      [...setup.train, ...setup.val, ...setup.test].reduce((n, e) => n + e.words.length, 0),
    );
    const before = setup.bert.encoder.variables.get("embeddings.word_embeddings.weight")?.dataSync().slice(0, 50);
    const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ablation-runs-"));
    const plans: string[] = [];
    const first = await runPosAblation(setup, {
      seeds: [0],
      posEmbeddingSize: 4,
      runsDir,
      onPlan: (plan) => plans.push(plan.why),
    });
    assert.equal(plans.length, 1);
    assert.match(plans[0], /runs? at once in fresh processes/);
    // each run in its own process gives exactly what the same run gives in this one
    const inPlace = await runPosAblation(setup, { seeds: [0], posEmbeddingSize: 4, isolation: "none" });
    assert.deepEqual(
      inPlace.map((r) => [r.test_token_f1, r.test_relation_f1, r.validation_token_f1]),
      first.map((r) => [r.test_token_f1, r.test_relation_f1, r.validation_token_f1]),
    );
    for (const r of first) assert.ok((r.process_peak_rss_mb ?? 0) > 50 && (r.process_seconds ?? 0) > 0, r.arm);
    assert.ok(inPlace.every((r) => r.process_peak_rss_mb === undefined));
    assert.deepEqual(
      first.map((r) => [r.arm, r.seed, r.pos_embedding_size, r.reused]),
      [
        ["without POS", 0, 0, false],
        ["with POS", 0, 4, false],
      ],
    );
    assert.ok(first[1].parameters_total > first[0].parameters_total);
    for (const r of first) {
      for (const k of [
        "test_token_f1",
        "test_relation_f1",
        "train_seconds_per_epoch",
        "inference_seconds_per_pass",
      ] as const)
        assert.ok(Number.isFinite(r[k]) && r[k] >= 0, `${r.arm} ${k}`);
    }
    assert.deepEqual(
      setup.bert.encoder.variables.get("embeddings.word_embeddings.weight")?.dataSync().slice(0, 50),
      before,
      "the encoder is back to its loaded weights",
    );
    assert.equal(fs.readdirSync(runsDir).length, 2);
    const lines: string[] = [];
    const again = await runPosAblation(setup, { seeds: [0], posEmbeddingSize: 4, runsDir, log: (l) => lines.push(l) });
    assert.deepEqual(
      again.map((r) => r.reused),
      [true, true],
    );
    assert.deepEqual(
      again.map((r) => r.test_token_f1),
      first.map((r) => r.test_token_f1),
    );
    assert.ok(lines.every((l) => /read back/.test(l)));
    const otherBenchmark = await runPosAblation(
      {
        ...setup,
        profile: { ...setup.profile, benchmark: { ...setup.profile.benchmark, folds: [3], trainSentences: 5 } },
      },
      { seeds: [0], posEmbeddingSize: 4, runsDir },
    );
    assert.deepEqual(
      otherBenchmark.map((r) => r.reused),
      [true, true],
      "the benchmark's settings do not touch the ablation",
    );
    const other = await runPosAblation(setup, { seeds: [0], posEmbeddingSize: 6, runsDir });
    assert.deepEqual(
      other.map((r) => r.reused),
      [true, false],
      "the POS arm's settings changed, so it is trained again",
    );
    // a run whose training finished but whose results were never written (a crash while evaluating) resumes
    // from its checkpoint: no second training, same scores
    const trainedOnly = await runAblationArm(setup, "without POS", 1, 4);
    const checkpoint = ablationCheckpointDir(setup.profile, "without POS", 1);
    assert.ok(fs.existsSync(checkpoint), "the checkpoint outlives the training");
    const resumedLines: string[] = [];
    const resumed = (
      await runPosAblation(setup, { seeds: [1], posEmbeddingSize: 4, runsDir, log: (l) => resumedLines.push(l) })
    )[0];
    assert.ok(
      resumedLines.some((l) => /resumed from .*after epoch 1/.test(l)),
      resumedLines.join("\n"),
    );
    assert.equal(resumed.test_token_f1, trainedOnly.test_token_f1);
    assert.ok(!fs.existsSync(checkpoint), "removed once the run's results are written");
    const otherSplit = await runPosAblation(
      { ...setup, profile: { ...setup.profile, seed: 5 } },
      { seeds: [0], posEmbeddingSize: 4, runsDir },
    );
    assert.deepEqual(
      otherSplit.map((r) => r.reused),
      [false, false],
      "another data split's seed: nothing is read back",
    );
  } finally {
    delete process.env.ADEFLOW_MODELS_DIR;
  }
});
