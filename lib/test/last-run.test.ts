import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  collectBaselines,
  lastRunReport,
  collectLastRun,
  lastRunMarkdown,
  replaceReadmeSection,
  writeLastRunIntoReadme,
  README_RESULTS_END,
  README_RESULTS_START,
} from "../src/experiment/report/last-run";
import { repoRoot } from "../src/paths";

function fakeResults(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "last-run-"));
  fs.mkdirSync(path.join(dir, "05-re"));
  fs.writeFileSync(
    path.join(dir, "05-re", "metrics.json"),
    JSON.stringify({
      notebook: "05-re",
      profile: "quick",
      model: "/models/bert-base-cased/",
      seed: 0,
      backend: "wasm",
      model_hash: "0123456789abcdef",
      seconds: 12.5,
      written_at: "2026-11-25T20:01:02.000Z",
      metrics: [
        {
          model: "RE",
          split: "validation",
          metric: "token macro (study)",
          precision: 0.5,
          recall: 0.5,
          f1: 0.5,
          reported_f1: null,
        },
        {
          model: "RE",
          split: "test",
          metric: "token macro (study)",
          precision: 0.7,
          recall: 0.6,
          f1: 0.6543,
          reported_f1: 0.878,
        },
      ],
    }),
  );
  fs.mkdirSync(path.join(dir, "07-pos-ablation"));
  fs.writeFileSync(
    path.join(dir, "07-pos-ablation", "summary.json"),
    JSON.stringify({
      notebook: "07-pos-ablation",
      profile: "smoke",
      model: "tiny-bert",
      seed: 0,
      backend: "wasm",
      model_hash: "fedcba9876543210",
      seconds: 40,
      written_at: "2026-11-25T20:03:00.000Z",
      seeds: [0, 1],
      summary: [
        { arm: "with POS", measure: "token macro F1 (study)", mean: 0.3, std: 0.02, n: 2, seeds: "0 1" },
        { arm: "with POS", measure: "training s / epoch", mean: 4, std: 1, n: 2, seeds: "0 1" },
      ],
    }),
  );
  return dir;
}

test("the last run's table holds test rows with the settings that made them, and the ablation's means", () => {
  const rows = collectLastRun(fakeResults());
  assert.deepEqual(rows[0], {
    notebook: "05-re",
    score: "RE token macro (study) F1",
    value: "0.654",
    reported: "0.878",
    date: "2026-11-25 20:01",
    profile: "quick",
    model: "bert-base-cased",
    backend: "wasm",
    seed: "0",
  });
  assert.equal(rows.length, 2, "validation rows and timings are left out");
  assert.equal(rows[1].value, "0.300 ± 0.020");
  assert.equal(rows[1].seed, "0, 1");
  assert.match(lastRunMarkdown(rows), /^\| notebook \| score \|/);
  assert.match(lastRunMarkdown([]), /No run has written results yet/);
  assert.deepEqual(collectLastRun(path.join(os.tmpdir(), "no-such-results-dir")), []);
});

test("the README section is replaced between its markers, atomically; a missing marker names the file", () => {
  const dir = fakeResults();
  const readme = path.join(dir, "README.md");
  fs.writeFileSync(readme, `# x\n${README_RESULTS_START}\nold table\n${README_RESULTS_END}\nafter\n`);
  writeLastRunIntoReadme(readme, dir);
  const text = fs.readFileSync(readme, "utf8");
  assert.doesNotMatch(text, /old table/);
  assert.match(text, /\| 05-re \| RE token macro \(study\) F1 \| 0\.654 \|/);
  assert.match(text, /after\n$/);
  assert.throws(() => replaceReadmeSection("no markers", "t", "/x/README.md"), /\/x\/README\.md: needs the markers/);
});

test("the repository's README has the markers `adeflow results --readme` writes between", () => {
  const readme = fs.readFileSync(path.join(repoRoot(), "README.md"), "utf8");
  assert.doesNotThrow(() => replaceReadmeSection(readme, "table"));
});

test("the models beside their baselines: per split, the model against the best other system, signed", () => {
  const dir = fakeResults();
  const run = {
    profile: "local",
    model: "all-MiniLM-L6-v2",
    seed: 0,
    backend: "tensorflow",
    model_hash: "0123456789abcdef",
    seconds: 1,
    written_at: "2026-12-03T20:00:00.000Z",
  };
  const row = (split: string, system: string, f1: number) => ({
    split,
    system,
    token_macro_f1: null,
    strict_f1: f1,
    train_rows: 10,
    test_rows: 5,
  });
  fs.mkdirSync(path.join(dir, "04-ner"));
  fs.writeFileSync(
    path.join(dir, "04-ner", "summary.json"),
    JSON.stringify({
      ...run,
      notebook: "04-ner",
      baselines: [
        row("study", "dictionary", 0.652),
        row("study", "model", 0.586),
        row("leak-free", "model", 0.548),
        row("leak-free", "dictionary", 0.46),
      ],
    }),
  );
  fs.mkdirSync(path.join(dir, "06-end-to-end"));
  fs.writeFileSync(
    path.join(dir, "06-end-to-end", "summary.json"),
    JSON.stringify({
      ...run,
      notebook: "06-end-to-end",
      baselines: [row("study", "dictionary + co-occurrence", 0.4), row("study", "NER model -> RE model", 0.45)],
    }),
  );
  // a summary of another kind (notebooks 01-03) is not read as a run's
  fs.mkdirSync(path.join(dir, "01-eda"));
  fs.writeFileSync(path.join(dir, "01-eda", "summary.json"), JSON.stringify({ sentences: 4271 }));
  fs.mkdirSync(path.join(dir, "08-benchmark"));
  fs.writeFileSync(
    path.join(dir, "08-benchmark", "summary.json"),
    JSON.stringify({
      ...run,
      notebook: "08-benchmark",
      summary: [
        { measure: "NER macro F1", folds: 1, mean: 77.418, sd: null, per_fold: "77.42" },
        { measure: "NER token macro F1 (study)", folds: 1, mean: 84.4, sd: null, per_fold: "84.40" },
        { measure: "RE strict macro F1", folds: 2, mean: 50, sd: 2, per_fold: "48.00, 52.00" },
      ],
    }),
  );
  assert.deepEqual(
    collectLastRun(dir)
      .filter((r) => r.notebook === "08-benchmark")
      .map((r) => [r.score, r.value]),
    [
      ["SpERT's folds: NER macro F1 (strict), over 1 fold", "0.774"],
      ["SpERT's folds: RE strict macro F1, over 2 folds", "0.500 ± 0.020"],
    ],
  );
  const rows = collectBaselines(dir);
  assert.deepEqual(
    rows.map((r) => [r.notebook, r.scored, r.split, r.model, r.baseline, r.difference]),
    [
      ["04-ner", "entities (NER)", "study", "0.586", "0.652 (dictionary)", "-0.066"],
      ["04-ner", "entities (NER)", "leak-free", "0.548", "0.460 (dictionary)", "+0.088"],
      [
        "06-end-to-end",
        "relations from raw text (NER -> RE)",
        "study",
        "0.450",
        "0.400 (dictionary + co-occurrence)",
        "+0.050",
      ],
    ],
  );
  const report = lastRunReport(dir);
  assert.match(report, /^\| notebook \| score \|/);
  assert.match(report, /Beside the baselines[^]*\| 04-ner \| entities \(NER\) \| leak-free \| 0\.548 \|/);
  // a row that is not one names the file and the row
  fs.writeFileSync(
    path.join(dir, "04-ner", "summary.json"),
    JSON.stringify({ ...run, notebook: "04-ner", baselines: [{ split: "study" }] }),
  );
  assert.throws(() => collectBaselines(dir), /04-ner[\\/]summary\.json: field "baselines\[0\]"/);
});
