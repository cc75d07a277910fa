import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runNotebooksInBrowser, type BrowserRun } from "../../src/jupyter/browser-run";
import { cellProblems } from "../../src/jupyter/expectations";
import { listNotebooks } from "../../src/jupyter/execute";
import { testCorpusDir } from "../helpers";
import { browserTestMissing, checkTrainingNotebook, isTrainingNotebook } from "../support/notebook-artefacts";

/**
 * Every notebook opened in headless Chromium against a real Jupyter server and run through the page, as a
 * reader would: then what the page shows is checked (no errors, charts drawn with data, tables and the
 * highlighted prediction present) and a screenshot of the notebook is taken. Needs Chromium and JupyterLab 4
 * (`npm run setup` installs it into .venv/); without them the test is skipped with the reason, except under
 * CI, where `.ci/run` sets both up and a skip would hide a broken page.
 * The training notebooks' metrics and files are checked on this run too (notebooks.test then skips its own
 * headless runs of them, so each trains once per suite).
 * Screenshots go to a temporary folder, or to ADEFLOW_SCREENSHOTS_DIR when set (`adeflow screenshots`
 * writes the README's copies).
 */
const skip = browserTestMissing();
if (skip) console.log(`browser test skipped: ${skip}`);

test(
  "every notebook runs in a browser without errors and shows its charts, tables and highlights",
  // eight notebooks took 521 s here on a quiet 2-core machine (05 and 07 about 150 s each): room for a busy one
  { skip, timeout: 30 * 60_000 },
  async (t) => {
    const screenshots =
      process.env.ADEFLOW_SCREENSHOTS_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-screenshots-"));
    const notebooks = listNotebooks();
    // the kernels inherit the server's environment: smoke profile, temporary results and models folders
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ADEFLOW_PROFILE: "smoke",
      ADEFLOW_RESULTS_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-browser-results-")),
      ADEFLOW_MODELS_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-browser-models-")),
      ADE_CORPUS_DIR: testCorpusDir(),
      ADEFLOW_PNG: "0",
    };
    delete env.ADEFLOW_MODEL; // the smoke profile's own tiny checkpoint
    const run: BrowserRun = await runNotebooksInBrowser({
      notebooks,
      screenshotsDir: screenshots,
      env,
      // per notebook: 05 and 07 train several models on smoke; a hung cell still fails, only later
      timeoutSeconds: 480,
      log: (line) => t.diagnostic(line),
    });
    t.diagnostic(
      `${run.ui} UI, ${run.runs.length} notebooks in ${run.seconds.toFixed(1)} s; screenshots in ${screenshots}`,
    );
    assert.equal(run.ui, "lab", "the browser test drives JupyterLab");
    // the checks below find the saved models as the kernels did
    process.env.ADEFLOW_PROFILE = "smoke";
    process.env.ADEFLOW_MODELS_DIR = env.ADEFLOW_MODELS_DIR;
    delete process.env.ADEFLOW_MODEL;

    assert.deepEqual(
      run.runs.map((r) => r.notebook),
      notebooks.map((f) => path.basename(f)),
      "every notebook of the folder, in order",
    );
    for (const r of run.runs) {
      await t.test(r.notebook, () => {
        assert.equal(r.failure, undefined, r.failure);
        assert.deepEqual(cellProblems(r.notebook, r.expectations, r.cells), []);
        assert.deepEqual(r.pageErrors, [], `${r.notebook}: JavaScript errors in the page`);
        // what the notebook displays at all: something a reader can look at
        const shown = r.cells.reduce((n, c) => n + c.tables + c.charts.length + c.highlights, 0);
        assert.ok(shown > 0, `${r.notebook} displays no table, chart or highlight`);
        assert.ok(r.screenshot && fs.statSync(r.screenshot).size > 10_000, `${r.notebook}: a screenshot was written`);
        // the training notebooks run only here when there is a browser (notebooks.test skips them): their
        // metrics, records and files are checked on this run
        const stem = path.basename(r.notebook, ".ipynb");
        if (isTrainingNotebook(stem))
          checkTrainingNotebook(stem, env.ADEFLOW_RESULTS_DIR as string, {
            text: r.cells.map((c) => c.stdout).join(""),
            charts: r.cells.reduce((n, c) => n + c.charts.length, 0),
            highlights: r.cells.some((c) => c.highlights > 0),
          });
      });
    }
    assert.deepEqual(run.blockedRequests, [], "no request leaves loopback");
  },
);

test(
  "in the browser, a failing cell and a cell that hangs are reported with the notebook and the cell; restart and run all starts a new kernel",
  { skip, timeout: 5 * 60_000 },
  async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-browser-bad-"));
    const template = JSON.parse(fs.readFileSync(listNotebooks()[0], "utf8"));
    const write = (name: string, sources: string[]) => {
      const cells = sources.map((source) => ({
        cell_type: "code",
        metadata: {},
        execution_count: null,
        outputs: [],
        source,
      }));
      fs.writeFileSync(path.join(dir, name), JSON.stringify({ ...template, cells }));
      return path.join(dir, name);
    };
    // a compile error (tslab prints it on stderr and the kernel drops the queued cells)
    const broken = write("98-broken.ipynb", [
      'console.log("fine");',
      'const n: number = "not a number";',
      'console.log("never reached");',
    ]);
    const slow = write("99-slow.ipynb", [
      'console.log("fine");',
      "await new Promise((resolve) => setTimeout(resolve, 120_000));",
    ]);
    // a counter that lives in the kernel: a plain re-run would print 2, a restarted kernel prints 1 again
    const restart = write("97-restart.ipynb", [
      "const g = globalThis as any;\ng.runs = (g.runs ?? 0) + 1;\nconsole.log(`runs in this kernel: ${g.runs}`);",
      'console.log("second cell");',
    ]);
    const run = await runNotebooksInBrowser({
      notebooks: [broken, slow],
      timeoutSeconds: 30,
      log: (line) => t.diagnostic(line),
    });
    assert.equal(run.ui, "lab");
    const [b, s] = run.runs;
    assert.equal(b.failure, undefined);
    const problems = cellProblems(b.notebook, b.expectations, b.cells);
    assert.match(
      problems.join("\n"),
      /98-broken\.ipynb code cell 2 \(`const n: number = "not a number";`\): error on stderr: 1:\d+ - Type 'string' is not assignable/,
    );
    assert.match(problems.join("\n"), /98-broken\.ipynb code cell 3 .*did not run/);
    assert.match(
      s.failure ?? "",
      /99-slow\.ipynb: still running 30 s after Run All, in code cell 2 \(`await new Promise/,
    );

    const restarted = await runNotebooksInBrowser({
      notebooks: [restart],
      timeoutSeconds: 120,
      restartAndRunAll: ["97-restart.ipynb"],
      log: (line) => t.diagnostic(line),
    });
    const [r] = restarted.runs;
    assert.equal(r.failure, undefined, r.failure);
    assert.deepEqual(
      r.beforeRestart?.map((c) => [c.executionCount, c.stdout]),
      [
        [1, "runs in this kernel: 1"],
        [2, "second cell"],
      ],
    );
    assert.deepEqual(
      r.cells.map((c) => [c.executionCount, c.stdout]),
      [
        [1, "runs in this kernel: 1"],
        [2, "second cell"],
      ],
      "after the restart, a new kernel ran every cell",
    );
    assert.deepEqual(cellProblems(r.notebook, r.expectations, r.cells), []);
    assert.deepEqual([...b.pageErrors, ...s.pageErrors, ...r.pageErrors], [], "no JavaScript error in the page");
  },
);
