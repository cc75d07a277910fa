import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { executeNotebook, listNotebooks, selectNotebooks } from "../../src/jupyter/execute";
import { findJupyterPython } from "../../src/jupyter/jupyter";
import { readJson, testCorpusDir } from "../helpers";
import { nerModelDir } from "../../src/experiment/ner/task";
import { currentProfile } from "../../src/experiment/shared/profile";
import { readAblationSummary, readMetricsFile, readRunSummary } from "../../src/experiment/report/records";

/**
 * Executes the notebooks headlessly through Jupyter and the tslab kernel, as `adeflow reproduce` does, into
 * a temporary results folder. Without Jupyter the test is skipped with the reason, except under CI, where
 * `.ci/run` installs Jupyter and a skip would hide a broken notebook.
 */
function jupyterMissing(): string | undefined {
  try {
    findJupyterPython();
    return undefined;
  } catch (err) {
    if (process.env.CI) throw err;
    return (err as Error).message;
  }
}

const skip = jupyterMissing();
if (skip) console.log(`# notebook tests skipped: ${skip}`);

const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-results-"));
process.env.ADEFLOW_RESULTS_DIR = resultsDir;
process.env.ADE_CORPUS_DIR = testCorpusDir();
process.env.ADEFLOW_PNG = process.env.ADEFLOW_PNG ?? "0";
// training notebooks run the smoke profile: the project's tiny checkpoint and a small sample
process.env.ADEFLOW_PROFILE = "smoke";
delete process.env.ADEFLOW_MODEL;
process.env.ADEFLOW_MODELS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-models-"));

interface Output {
  output_type: string;
  name?: string;
  text?: string;
  data?: Record<string, string | string[]>;
}
/** nbformat stores multi-line strings as arrays of lines. */
const html = (o: Output): string => [o.data?.["text/html"] ?? ""].flat().join("");
const outputsOf = (file: string): Output[][] =>
  readJson(file)
    .cells.filter((c: any) => c.cell_type === "code")
    .map((c: any) => c.outputs as Output[]);

function assertCleanRun(executed: string): Output[][] {
  const outputs = outputsOf(executed);
  outputs.forEach((cell, i) => {
    for (const o of cell) {
      assert.notEqual(o.output_type, "error", `code cell ${i + 1} of ${path.basename(executed)} has an error output`);
      if (o.output_type === "stream" && o.name === "stderr")
        assert.doesNotMatch(o.text ?? "", /error/i, `code cell ${i + 1} wrote an error`);
    }
  });
  return outputs;
}

test("the committed notebooks carry no outputs and name the tslab kernel", () => {
  const notebooks = listNotebooks();
  assert.ok(notebooks.length >= 3);
  for (const nb of notebooks) {
    const json = readJson(nb);
    assert.equal(json.metadata.kernelspec.name, "tslab", nb);
    for (const cell of json.cells)
      if (cell.cell_type === "code") assert.deepEqual(cell.outputs, [], `${nb} has outputs`);
  }
});

test("--only selects a notebook by number or name, and an unknown one is named in the error", () => {
  assert.equal(path.basename(selectNotebooks("02")[0]), "02-preprocessing.ipynb");
  assert.equal(path.basename(selectNotebooks("preprocessing")[0]), "02-preprocessing.ipynb");
  assert.throws(() => selectNotebooks("99-nothing"), /no notebook matches --only 99-nothing; there are: 01-eda/);
});

test("notebook 02 runs headlessly and its counts equal the original's", { skip }, async () => {
  const done = await executeNotebook(selectNotebooks("02")[0], { log: () => {} });
  assertCleanRun(done.executedCopy);
  const summary = readJson(path.join(resultsDir, "02-preprocessing", "summary.json"));
  assert.equal(summary.seed, 0);
  assert.deepEqual(summary.counts.split, summary.original_counts.split);
  assert.equal(summary.counts.afterDropAmbiguous, summary.original_counts.afterDropAmbiguous);
  assert.equal(summary.reference_sample?.mismatches ?? 0, 0);
  for (const f of ["steps.csv", "steps.md", "iob-label-counts.html"])
    assert.ok(fs.existsSync(path.join(resultsDir, "02-preprocessing", f)), f);
});

test("notebook 03 runs headlessly and reports leakage of the original protocol", { skip }, async () => {
  const done = await executeNotebook(selectNotebooks("03")[0], { log: () => {} });
  assertCleanRun(done.executedCopy);
  const summary = readJson(path.join(resultsDir, "03-augmentation-split", "summary.json"));
  assert.equal(summary.counts.nerRows, 12951);
  assert.ok(
    summary.leakage.testRowsWithSentenceInTrain > 0 &&
      summary.leakage.testRowsWithSentenceInTrain <= summary.leakage.testRows,
  );
  for (const v of summary.corrected_splits) assert.equal(v.test_sentences_seen_in_train, 0, `split by ${v.split_by}`);
});

test("notebook 01 runs headlessly and writes its summary and charts", { skip }, async () => {
  const done = await executeNotebook(selectNotebooks("01")[0], { log: () => {} });
  const outputs = assertCleanRun(done.executedCopy);
  assert.ok(
    outputs.flat().some((o) => html(o).includes("<table")),
    "a table is displayed",
  );
  assert.ok(
    outputs.flat().some((o) => html(o).includes("Plotly.newPlot")),
    "a chart is displayed",
  );
  const dir = path.join(resultsDir, "01-eda");
  assert.ok(fs.existsSync(path.join(dir, "summary.json")));
  assert.ok(
    fs.readdirSync(dir).some((f) => f.endsWith(".html")),
    "a chart saved as HTML",
  );
});

test(
  "notebook 04 trains NER (smoke profile) and writes metrics with the settings that made them",
  { skip },
  async () => {
    const done = await executeNotebook(selectNotebooks("04")[0], { log: () => {} });
    const outputs = assertCleanRun(done.executedCopy);
    assert.ok(
      outputs.flat().some((o) => html(o).includes("Plotly.newPlot")),
      "charts are displayed",
    );
    const dir = path.join(resultsDir, "04-ner");
    // the typed reader checks the run's record (profile, seed, model and its hash, backend, time) and every score
    const metrics: any = readMetricsFile(path.join(dir, "metrics.json"));
    assert.equal(metrics.profile, "smoke");
    assert.equal(metrics.seed, 0);
    assert.equal(metrics.metrics.length, 6, "token and entity scores on validation and test");
    for (const row of metrics.metrics) {
      for (const k of ["precision", "recall", "f1"])
        assert.ok(row[k] >= 0 && row[k] <= 1, `${row.split} ${row.metric} ${k} = ${row[k]}`);
    }
    assert.equal(
      metrics.metrics.find((r: any) => r.split === "test" && r.metric.startsWith("token")).reported_f1,
      0.806,
    );
    const train = metrics.history.filter((h: any) => h.phase === "train");
    assert.ok(
      train[train.length - 1].trainLoss < train[0].trainLoss,
      `training loss falls: ${train.map((h: any) => h.trainLoss.toFixed(3)).join(" -> ")}`,
    );
    for (const f of ["confusion.html", "loss.html", "class-weights.csv", "summary.json"])
      assert.ok(fs.existsSync(path.join(dir, f)), f);
    const saved = readJson(path.join(nerModelDir(currentProfile()), "model.json"));
    assert.equal(saved.task, "ner");
    assert.equal(
      saved.baseModelDir,
      path.join("lib", "test", "fixtures", "tiny-bert"),
      "stored relative to the project",
    );
    assert.deepEqual(saved.labels, ["O", "B-Drug", "I-Drug", "B-Effect", "I-Effect"]);
  },
);

test("notebook 05 trains RE (smoke profile) and writes metrics and parameter counts", { skip }, async () => {
  const done = await executeNotebook(selectNotebooks("05")[0], { log: () => {} });
  assertCleanRun(done.executedCopy);
  const dir = path.join(resultsDir, "05-re");
  const metrics: any = readMetricsFile(path.join(dir, "metrics.json"));
  assert.equal(metrics.profile, "smoke");
  assert.equal(metrics.backend.length > 0, true);
  assert.equal(metrics.metrics.length, 4);
  for (const row of metrics.metrics)
    for (const k of ["precision", "recall", "f1"]) assert.ok(row[k] >= 0 && row[k] <= 1, `${row.metric} ${k}`);
  assert.equal(metrics.metrics.find((r: any) => r.split === "test" && r.metric.startsWith("token")).reported_f1, 0.878);
  const train = metrics.history.filter((h: any) => h.phase === "train");
  assert.ok(train[train.length - 1].trainLoss < train[0].trainLoss, "training loss falls");
  const summary: any = readRunSummary(path.join(dir, "summary.json"));
  // flatten (128 x 2 x 128) -> 384: the study's dense layer whatever the encoder size
  assert.equal(summary.parameters.dense, 128 * 256 * 384 + 384);
});

test(
  "notebook 06 chains the saved NER and RE models, scores relations and highlights a pasted sentence",
  { skip },
  async () => {
    const done = await executeNotebook(selectNotebooks("06")[0], { log: () => {} });
    const outputs = assertCleanRun(done.executedCopy);
    assert.ok(
      outputs.flat().some((o) => html(o).includes("adeflow-extraction") && html(o).includes("<mark")),
      "highlighted prediction displayed",
    );
    const dir = path.join(resultsDir, "06-end-to-end");
    const metrics: any = readMetricsFile(path.join(dir, "metrics.json"));
    assert.equal(metrics.profile, "smoke");
    assert.match(metrics.model_hash, /^[0-9a-f]{16}$/, "the chain's record names the model it ran");
    assert.equal(readRunSummary(path.join(dir, "summary.json")).notebook, "06-end-to-end");
    for (const row of metrics.metrics)
      for (const k of ["precision", "recall", "f1"]) assert.ok(row[k] >= 0 && row[k] <= 1);
    const example = readJson(path.join(dir, "example-prediction.json"));
    for (const e of example.entities)
      assert.equal(example.text.slice(e.start, e.end), e.text, "offsets point at the entity text");
  },
);

test(
  "notebook 07 tags the RE rows, trains both arms on each seed and writes a computed conclusion",
  { skip },
  async () => {
    const done = await executeNotebook(selectNotebooks("07")[0], { log: () => {} });
    const outputs = assertCleanRun(done.executedCopy);
    assert.ok(
      outputs.flat().filter((o) => html(o).includes("Plotly.newPlot")).length >= 3,
      "tag distribution, scores and cost charts displayed",
    );
    const dir = path.join(resultsDir, "07-pos-ablation");
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
    ]) {
      assert.ok(field in summary, `summary.json has ${field}`);
    }
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
    assert.ok(
      summary.conclusion.sentences.some((s: string) =>
        s.includes(
          token.mean_difference >= 0 ? `+${token.mean_difference.toFixed(3)}` : token.mean_difference.toFixed(3),
        ),
      ),
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
    ]) {
      assert.ok(fs.existsSync(path.join(dir, f)), f);
    }
    assert.equal(
      fs.readdirSync(path.join(dir, "runs")).filter((f) => f.endsWith(".json")).length,
      2 * seeds.length,
      "one file per finished run, to resume from",
    );
  },
);

test(
  "notebook 08 runs the field's protocol on two folds (smoke) and sets it beside the published table",
  { skip },
  async () => {
    const done = await executeNotebook(selectNotebooks("08")[0], { log: () => {} });
    const outputs = assertCleanRun(done.executedCopy);
    assert.ok(
      outputs.flat().some((o) => html(o).includes("Plotly.newPlot")),
      "the per-fold chart is displayed",
    );
    const text = outputs
      .flat()
      .map((o) => [o.text ?? ""].flat().join(""))
      .join("");
    assert.match(text, /this profile runs 2 of the 10 folds: 0, 1/);
    assert.match(text, /ran 2 of 10 folds \(0, 1\)/);
    const dir = path.join(resultsDir, "08-benchmark");
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
  },
);

test("a failing cell is reported with its number, source and error", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-nb-"));
  const bad = path.join(dir, "99-broken.ipynb");
  const template = readJson(listNotebooks()[0]);
  template.cells = [
    { cell_type: "code", metadata: {}, execution_count: null, outputs: [], source: "const ok = 1;" },
    {
      cell_type: "code",
      metadata: {},
      execution_count: null,
      outputs: [],
      source: 'throw new Error("boom in cell two");',
    },
  ];
  fs.writeFileSync(bad, JSON.stringify(template));
  await assert.rejects(
    executeNotebook(bad, { log: () => {} }),
    /99-broken\.ipynb: cell 2 failed with Error[\s\S]*boom in cell two[\s\S]*cell source[\s\S]*throw new Error/,
  );
  assert.ok(
    fs.existsSync(path.join(resultsDir, "99-broken", "99-broken.ipynb")),
    "the executed copy is kept for inspection",
  );
});
