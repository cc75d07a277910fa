/**
 * The field's protocol end to end on the smoke profile (the tiny checkpoint, SpERT folds 0 and 1, a handful of
 * sentences each), through `adeflow benchmark run` and `adeflow benchmark score`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { benchmarkRunCommand, benchmarkScoreCommand } from "../../src/cli/benchmark";
import { parseFlags } from "../../src/cli/command";
import { loadBenchmark } from "../../src/benchmark/dataset";
import { readPredictions } from "../../src/benchmark/predictions-file";
import { prepareBenchmark, runBenchmark } from "../../src/benchmark/protocol";
import { LOCAL_MODEL, PROFILES } from "../../src/experiment/shared/profile";
import { readJson, testCorpusDir } from "../helpers";

process.env.ADEFLOW_MODELS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-models-"));
delete process.env.ADEFLOW_MODEL;

async function capture(fn: () => Promise<void>): Promise<string> {
  const out: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  // only strings are ours: node's test runner talks to its parent through stdout in binary chunks
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
    typeof s === "string"
      ? (out.push(s), true)
      : (orig as (...a: unknown[]) => boolean)(s, ...rest)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
    typeof s === "string"
      ? true
      : (origErr as (...a: unknown[]) => boolean)(s, ...rest)) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = orig;
    process.stderr.write = origErr;
  }
  return out.join("");
}

const run = (args: string[]) => capture(() => benchmarkRunCommand.run(parseFlags(benchmarkRunCommand, args)!));
const score = (args: string[]) => capture(() => benchmarkScoreCommand.run(parseFlags(benchmarkScoreCommand, args)!));

test("the profiles name their folds: full all ten, quick three, smoke two", () => {
  assert.deepEqual(PROFILES.full().benchmark.folds, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(PROFILES.quick().benchmark.folds.length, 3);
  assert.deepEqual(PROFILES.smoke().benchmark.folds, [0, 1]);
});

test("benchmark run (smoke): two folds trained, predicted, mapped, scored and written; score reproduces each fold's scores", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-bench-"));
  const printed = await run(["--profile", "smoke", "--out", out]);
  assert.match(printed, /\| SpERT \| bert-base-cased \| .* \| 89\.28 \| 78\.84 \|/);
  assert.match(printed, /this run \(2 folds, smoke profile\)/);
  const summary = readJson(path.join(out, "summary.json"));
  assert.deepEqual(summary.folds_run, [0, 1]);
  assert.deepEqual(summary.split_seeds, [0, 1]);
  assert.equal(summary.training_seed, 0);
  assert.equal(summary.profile, "smoke");
  assert.equal(summary.model_source, "local", "where the base model came from, beside its hash");
  const fold0 = readJson(path.join(out, "folds", "fold-0.json"));
  assert.equal(fold0.run.model_hash, summary.model_hash);
  assert.equal(fold0.run.model_source, "local");
  for (const f of ["summary.csv", "summary.md", "comparison.csv"]) assert.ok(fs.existsSync(path.join(out, f)), f);
  const ours = summary.comparison.filter((r: any) => r.source === "measured here");
  assert.deepEqual(
    ours.map((r: any) => r.protocol),
    [
      "not the published protocol: 2 of 10 folds, encoder tiny-bert",
      "not the published protocol: 2 of 10 folds, encoder tiny-bert",
    ],
  );
  const data = loadBenchmark();
  for (const fold of summary.folds) {
    const test = new Set(data.folds[fold.fold]);
    assert.equal(fold.sentences.test, 8);
    assert.equal(fold.sentences.train + fold.sentences.val, 12);
    assert.ok(fold.rows.train.concatenations > 0, "the training part is augmented");
    assert.equal(fold.rows.val.concatenations, 0, "the validation part is not");
    // the predictions file: the fold's first test sentences, in the benchmark's format
    const predicted = readPredictions(fold.predictions_file);
    assert.deepEqual(
      predicted.map((p) => p.orig_id),
      data.folds[fold.fold].slice(0, 8),
    );
    for (const p of predicted) {
      assert.ok(test.has(p.orig_id));
      assert.deepEqual(p.tokens, data.sentences[p.orig_id].tokens);
    }
    const m = fold.mapping;
    assert.equal(
      m.predictedEntities,
      predicted.reduce((s, p) => s + p.entities.length, 0) +
        m.unmapped["starts inside a token"] +
        m.unmapped["ends inside a token"],
      "every prediction mapped or counted",
    );
    assert.equal(
      m.goldEntities,
      predicted.reduce((s, p) => s + data.sentences[p.orig_id].entities.length, 0),
    );
    for (const view of ["all", "withoutOverlap"]) {
      for (const k of ["ner", "relationStrict", "relationBoundaries"]) {
        const s = fold.scores[view][k];
        for (const v of [s.micro.f1, s.macro.f1, s.micro.precision, s.micro.recall])
          assert.ok(v >= 0 && v <= 1, `${view} ${k}`);
      }
    }
    // scoring the written file from the command line gives the fold's own scores
    const scored = JSON.parse(await score(["--predictions", fold.predictions_file, "--json"]));
    assert.deepEqual(scored.all, fold.scores.all);
    assert.deepEqual(scored.withoutOverlap, fold.scores.withoutOverlap);
    assert.ok(fold.study_token.positions > 0 && fold.study_token.f1 >= 0 && fold.study_token.f1 <= 1);
    assert.equal(fold.reused, false);
  }
  const ner = summary.summary.find((r: any) => r.measure === "NER macro F1");
  const perFold = summary.folds.map((f: any) => 100 * f.scores.all.ner.macro.f1);
  assert.ok(Math.abs(ner.mean - (perFold[0] + perFold[1]) / 2) < 1e-9, "mean over the two folds");
  assert.ok(
    Math.abs(ner.sd - Math.abs(perFold[0] - perFold[1]) / Math.SQRT2) < 1e-9,
    "sample sd of two values: |a - b| / sqrt 2",
  );
  // a second run reads the finished folds back instead of training again
  await run(["--profile", "smoke", "--out", out, "--folds", "1"]);
  const again = readJson(path.join(out, "summary.json"));
  assert.deepEqual(again.folds_run, [1]);
  assert.equal(again.folds[0].reused, true);
  assert.deepEqual(again.folds[0].scores, summary.folds[1].scores);
});

test("benchmark commands refuse unknown flags and bad values with the usage", async () => {
  await assert.rejects(
    run(["--profile", "smoke", "--fold", "1"]),
    /Unknown option '--fold'[\s\S]*Known flags: --profile, --folds/,
  );
  await assert.rejects(run(["--profile", "smoke", "--folds", "1,x"]), /--folds 1,x: expected fold numbers/);
  await assert.rejects(run(["--profile", "nope"]), /--profile nope: expected one of full, quick, local, smoke/);
  await assert.rejects(score([]), /--predictions FILE is required/);
  await assert.rejects(
    score(["--predictions", "/nonexistent/p.json"]),
    /\/nonexistent\/p\.json: no such predictions file/,
  );
});

test("with ADEFLOW_MODEL=local-bert the benchmark trains from the BERT built from the corpus, not from a hub id", async () => {
  process.env.ADE_CORPUS_DIR ??= testCorpusDir();
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-local-bert-"));
  process.env.ADEFLOW_LOCAL_BERT_DIR = cache;
  try {
    const local = PROFILES.local();
    const profile = {
      ...local,
      model: LOCAL_MODEL,
      localBert: {
        ...local.localBert!,
        vocabSize: 200,
        hiddenSize: 16,
        layers: 1,
        heads: 2,
        intermediateSize: 32,
        initialisation: "random" as const,
      },
    };
    assert.equal(profile.model, LOCAL_MODEL);
    const setup = await prepareBenchmark(profile);
    assert.ok(setup.localBert, "the corpus-made BERT");
    assert.equal(path.dirname(setup.bert.model.dir), cache);
    assert.match(path.basename(setup.bert.model.dir), /^random-[0-9a-f]{16}$/);
    assert.equal(setup.bert.config.hidden_size, 16);
  } finally {
    delete process.env.ADEFLOW_LOCAL_BERT_DIR;
  }
});

test("a fold trained in its own process scores exactly as the same fold trained in this one", async () => {
  const setup = await prepareBenchmark(PROFILES.smoke());
  const plans: string[] = [];
  const [isolated] = await runBenchmark(setup, {
    folds: [1],
    outDir: fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-bench-process-")),
    onPlan: (plan) => plans.push(plan.why),
  });
  const [inPlace] = await runBenchmark(setup, {
    folds: [1],
    outDir: fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-bench-here-")),
    isolation: "none",
  });
  assert.match(plans.join(), /1 run at once in fresh processes/);
  assert.deepEqual(isolated.scores, inPlace.scores);
  assert.deepEqual(isolated.study_token, inPlace.study_token);
  assert.equal(isolated.reused, false);
});
