/**
 * What the training notebooks (04-08) must leave in the results folder on the smoke profile, and what they must
 * show. Both ways of running a notebook check the same things: `notebooks.test` headlessly, where there is no
 * browser, and `browser.test` through JupyterLab, which then runs 04-08 once for the whole suite instead of twice.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { chooseJupyter, describeProbe } from "../../src/jupyter/python-env";
import { findChromium } from "../../src/viz/save";
import { nerModelDir } from "../../src/experiment/ner/task";
import { reModelDir } from "../../src/experiment/re/task";
import { currentProfile } from "../../src/experiment/shared/profile";
import { readAblationSummary, readMetricsFile, readRunSummary } from "../../src/experiment/report/records";
import { readJson } from "../helpers";

/** What a notebook displayed: its printed text, how many charts it drew and whether it highlighted entities. */
export interface NotebookShown {
  text: string;
  charts: number;
  highlights: boolean;
}

/**
 * Why the browser test cannot run here (no Chromium, no JupyterLab 4), or undefined when it can. Under CI,
 * where `.ci/run` sets both up, a missing one is an error: a skip would hide a broken page.
 */
export function browserTestMissing(): string | undefined {
  const reasons: string[] = [];
  if (!findChromium()) reasons.push("no Chromium (apt-get install chromium, or set ADEFLOW_CHROMIUM)");
  const rejected: string[] = [];
  const jupyter = chooseJupyter("server", undefined, rejected);
  if (!jupyter) reasons.push(`no JupyterLab 4 (run \`npm run setup\`; tried ${rejected.join("; ")})`);
  else if (!jupyter.probe.jupyterlab)
    reasons.push(`${jupyter.python} has Notebook 7 but not JupyterLab (${describeProbe(jupyter.probe)})`);
  if (reasons.length === 0) return undefined;
  if (process.env.CI) throw new Error(`browser test under CI: ${reasons.join("; ")}`);
  return reasons.join("; ");
}

/** The notebooks whose runs train models: run once per suite, in the browser where there is one. */
export const TRAINING_NOTEBOOKS = ["04-ner", "05-re", "06-end-to-end", "07-pos-ablation", "08-benchmark"] as const;
export type TrainingNotebook = (typeof TRAINING_NOTEBOOKS)[number];
export const isTrainingNotebook = (stem: string): stem is TrainingNotebook =>
  (TRAINING_NOTEBOOKS as readonly string[]).includes(stem);

const inRange = (row: Record<string, number>, what: string) => {
  for (const k of ["precision", "recall", "f1"]) assert.ok(row[k] >= 0 && row[k] <= 1, `${what} ${k} = ${row[k]}`);
};

function checkNer(dir: string, shown: NotebookShown): void {
  assert.ok(shown.charts >= 1, "charts are displayed");
  // the typed reader checks the run's record (profile, seed, model and its hash, backend, time) and every score
  const metrics: any = readMetricsFile(path.join(dir, "metrics.json"));
  assert.equal(metrics.profile, "smoke");
  assert.equal(metrics.seed, 0);
  assert.equal(metrics.metrics.length, 6, "token and entity scores on validation and test");
  for (const row of metrics.metrics) inRange(row, `${row.split} ${row.metric}`);
  assert.equal(metrics.metrics.find((r: any) => r.split === "test" && r.metric.startsWith("token")).reported_f1, 0.806);
  const train = metrics.history.filter((h: any) => h.phase === "train");
  assert.ok(
    train[train.length - 1].trainLoss < train[0].trainLoss,
    `training loss falls: ${train.map((h: any) => h.trainLoss.toFixed(3)).join(" -> ")}`,
  );
  for (const f of ["confusion.html", "loss.html", "class-weights.csv", "summary.json"])
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  const saved = readJson(path.join(nerModelDir(currentProfile()), "model.json"));
  assert.equal(saved.task, "ner");
  assert.equal(saved.baseModelDir, path.join("lib", "test", "fixtures", "tiny-bert"), "stored relative to the project");
  assert.deepEqual(saved.labels, ["O", "B-Drug", "I-Drug", "B-Effect", "I-Effect"]);
  checkExport(`${nerModelDir(currentProfile())}-hf`, (config) => {
    assert.deepEqual(config.architectures, ["BertForTokenClassification"]);
    assert.deepEqual(Object.values(config.id2label), saved.labels);
  });
}

/** The notebook's last cell exported its model beside the stored one, with a card that carries the run's scores. */
function checkExport(dir: string, checkConfig: (config: any) => void): void {
  checkConfig(readJson(path.join(dir, "config.json")));
  for (const f of ["model.safetensors", "tokenizer.json", "adeflow-export.json"])
    assert.ok(fs.existsSync(path.join(dir, f)), `${dir}/${f}`);
  assert.match(fs.readFileSync(path.join(dir, "README.md"), "utf8"), /\| test \| token macro \(study\) \|/);
}

function checkRe(dir: string): void {
  const metrics: any = readMetricsFile(path.join(dir, "metrics.json"));
  assert.equal(metrics.profile, "smoke");
  assert.ok(metrics.backend.length > 0);
  assert.equal(metrics.metrics.length, 4);
  for (const row of metrics.metrics) inRange(row, row.metric);
  assert.equal(metrics.metrics.find((r: any) => r.split === "test" && r.metric.startsWith("token")).reported_f1, 0.878);
  const train = metrics.history.filter((h: any) => h.phase === "train");
  assert.ok(train[train.length - 1].trainLoss < train[0].trainLoss, "training loss falls");
  const summary: any = readRunSummary(path.join(dir, "summary.json"));
  // flatten (128 x 2 x 128) -> 384: the study's dense layer whatever the encoder size
  assert.equal(summary.parameters.dense, 128 * 256 * 384 + 384);
  checkExport(`${reModelDir(currentProfile())}-hf`, (config) => {
    assert.equal(config.adeflow_relation_head.max_length, 128);
    assert.equal(config.adeflow_relation_head.num_classes, 5);
  });
}

function checkEndToEnd(dir: string, shown: NotebookShown): void {
  assert.ok(shown.highlights, "highlighted prediction displayed");
  const metrics: any = readMetricsFile(path.join(dir, "metrics.json"));
  assert.equal(metrics.profile, "smoke");
  assert.match(metrics.model_hash, /^[0-9a-f]{16}$/, "the chain's record names the model it ran");
  assert.equal(readRunSummary(path.join(dir, "summary.json")).notebook, "06-end-to-end");
  for (const row of metrics.metrics) inRange(row, row.metric);
  const example = readJson(path.join(dir, "example-prediction.json"));
  for (const e of example.entities)
    assert.equal(example.text.slice(e.start, e.end), e.text, "offsets point at the entity text");
}

function checkAblation(dir: string, shown: NotebookShown): void {
  assert.ok(shown.charts >= 3, "tag distribution, scores and cost charts displayed");
  const summary: any = readAblationSummary(path.join(dir, "summary.json"));
  for (const field of [
    "profile",
    "seed",
    "model",
    "backend",
    "seconds",
    "seeds",
    "pos_embedding_size",
    "tagging",
    "runs",
    "summary",
    "comparison",
    "conclusion",
  ])
    assert.ok(field in summary, `summary.json has ${field}`);
  const seeds: number[] = summary.seeds;
  assert.equal(seeds.length, 2, "the smoke profile's two seeds");
  assert.equal(summary.runs.length, 2 * seeds.length, "both arms on every seed");
  for (const run of summary.runs) {
    for (const k of ["test_token_f1", "test_relation_f1"])
      assert.ok(run[k] >= 0 && run[k] <= 1, `${run.arm} seed ${run.seed} ${k}`);
    assert.ok(run.train_seconds_per_epoch > 0 && run.inference_seconds_per_pass > 0);
  }
  const withPos = summary.runs.find((r: any) => r.arm === "with POS");
  const without = summary.runs.find((r: any) => r.arm === "without POS");
  assert.equal(
    withPos.parameters_total - without.parameters_total,
    19 * summary.pos_embedding_size + 2 * 4 * 128 * summary.pos_embedding_size,
    "embedding table + wider LSTM input",
  );
  const token = summary.comparison.find((r: any) => r.measure === "token macro F1 (study)");
  assert.equal(token.seeds, seeds.length);
  assert.ok(Math.abs(token.mean_difference - (token.with_pos - token.without_pos)) < 1e-9);
  const quoted = token.mean_difference >= 0 ? `+${token.mean_difference.toFixed(3)}` : token.mean_difference.toFixed(3);
  assert.ok(
    summary.conclusion.sentences.some((s: string) => s.includes(quoted)),
    "the conclusion quotes the measured difference",
  );
  assert.equal(summary.tagging.words > 0 && summary.tagging.failedRows, 0);
  for (const f of [
    "runs.csv",
    "summary.csv",
    "comparison.csv",
    "scores.html",
    "cost.html",
    "tag-distribution.html",
    "tag-distribution.csv",
    "tagging-counts.csv",
    "mask-tags.csv",
  ])
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  assert.equal(
    fs.readdirSync(path.join(dir, "runs")).filter((f) => f.endsWith(".json")).length,
    2 * seeds.length,
    "one file per finished run, to resume from",
  );
}

function checkBenchmark(dir: string, shown: NotebookShown): void {
  assert.ok(shown.charts >= 1, "the per-fold chart is displayed");
  assert.match(shown.text, /this profile runs 2 of the 10 folds: 0, 1/);
  assert.match(shown.text, /ran 2 of 10 folds \(0, 1\)/);
  const summary = readJson(path.join(dir, "summary.json"));
  assert.equal(summary.profile, "smoke");
  assert.deepEqual(summary.folds_run, [0, 1]);
  for (const field of ["seed", "model", "model_hash", "backend", "seconds", "split_seeds", "training_seed"])
    assert.ok(field in summary, `summary.json has ${field}`);
  const published = summary.comparison.filter((r: any) => r.source !== "measured here");
  assert.deepEqual(
    published.map((r: any) => [r.system, r.ner_macro_f1, r.re_macro_f1]),
    [
      ["SpERT", 89.28, 78.84],
      ["PFN", 89.6, 80.0],
    ],
  );
  assert.ok(published.every((r: any) => r.encoder === "bert-base-cased" && r.overlap && r.source));
  for (const f of [
    "per-fold.html",
    "summary.csv",
    "comparison.csv",
    "folds/fold-0.predictions.json",
    "folds/fold-1.json",
  ])
    assert.ok(fs.existsSync(path.join(dir, f)), f);
}

/**
 * Checks what `notebook` (a stem such as "04-ner") wrote into `resultsDir` and showed. The models folder is the
 * one ADEFLOW_MODELS_DIR names in this process, as in the kernel that ran it.
 */
export function checkTrainingNotebook(notebook: TrainingNotebook, resultsDir: string, shown: NotebookShown): void {
  const dir = path.join(resultsDir, notebook);
  if (notebook === "04-ner") checkNer(dir, shown);
  else if (notebook === "05-re") checkRe(dir);
  else if (notebook === "06-end-to-end") checkEndToEnd(dir, shown);
  else if (notebook === "07-pos-ablation") checkAblation(dir, shown);
  else checkBenchmark(dir, shown);
}
