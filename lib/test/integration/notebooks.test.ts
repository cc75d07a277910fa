import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { executeNotebook, listNotebooks, selectNotebooks } from "../../src/jupyter/execute";
import { findJupyterPython } from "../../src/jupyter/jupyter";
import { readJson, testCorpusDir } from "../helpers";
import { browserTestMissing, checkTrainingNotebook, TRAINING_NOTEBOOKS } from "../support/notebook-artefacts";

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

// The training notebooks run once per suite: in the browser (browser.test) where Chromium and JupyterLab are
// here, which checks the same artefacts on its run; headlessly here otherwise.
const inBrowser = browserTestMissing() === undefined;
for (const notebook of TRAINING_NOTEBOOKS)
  test(
    `notebook ${notebook} runs headlessly on the smoke profile and writes its metrics, records and charts`,
    { skip: skip ?? (inBrowser ? "run and checked in the browser by browser.test" : false) },
    async () => {
      const done = await executeNotebook(selectNotebooks(notebook)[0], { log: () => {} });
      const outputs = assertCleanRun(done.executedCopy).flat();
      checkTrainingNotebook(notebook, resultsDir, {
        text: outputs.map((o) => [o.text ?? ""].flat().join("")).join(""),
        charts: outputs.filter((o) => html(o).includes("Plotly.newPlot")).length,
        highlights: outputs.some((o) => html(o).includes("adeflow-extraction") && html(o).includes("<mark")),
      });
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
