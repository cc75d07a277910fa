import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isLoopback } from "../src/jupyter/browser-run";
import { cellExpectation, cellProblems, notebookExpectations, type ShownCell } from "../src/jupyter/expectations";
import { listNotebooks } from "../src/jupyter/execute";

const clean = (over: Partial<ShownCell> = {}): ShownCell => ({
  executionCount: 1,
  errors: [],
  stderr: "",
  charts: [],
  tables: 0,
  highlights: 0,
  ...over,
});

test("a cell's expected displays are read from its source, comments excluded", () => {
  const e = cellExpectation(
    '\n// ade.showChart(old)\nade.showTable(rows);\nade.showChart(a, { save: "x" });\nade.showChart (b);\n/* ade.showTable(t) */',
    3,
  );
  assert.equal(e.codeCell, 3);
  assert.equal(e.firstLine, "// ade.showChart(old)");
  assert.equal(e.charts, 2);
  assert.equal(e.tables, 1);
  assert.equal(e.highlights, false);
  assert.equal(cellExpectation("ade.showHtml(ade.extractionHtml(x));", 1).highlights, true);
  // a URL in a string is not a comment
  assert.equal(cellExpectation('const u = "http://x"; ade.showTable(t);', 1).tables, 1);
});

test("the committed notebooks display charts and tables the browser test will look for", () => {
  const all = listNotebooks().map((f) => ({ f, cells: notebookExpectations(f) }));
  for (const { f, cells } of all) assert.ok(cells.length > 0, `${f} has code cells`);
  assert.ok(all.some(({ cells }) => cells.some((c) => c.charts > 0)));
  assert.ok(
    all.some(({ cells }) => cells.some((c) => c.highlights)),
    "one notebook highlights a prediction",
  );
});

test("an unreadable notebook is named in the error", () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-exp-")), "bad.ipynb");
  fs.writeFileSync(file, "{not json");
  assert.throws(() => notebookExpectations(file), /bad\.ipynb: not a readable notebook/);
});

test("cellProblems names the notebook, the cell and what is wrong", () => {
  const expected = [
    cellExpectation("ade.showChart(f);\nade.showTable(t);", 1),
    cellExpectation("ade.showHtml(ade.extractionHtml(x));", 2),
    cellExpectation("x", 3),
  ];
  assert.deepEqual(
    cellProblems("n.ipynb", expected, [
      clean({ charts: [{ svg: true, marks: 3 }], tables: 1 }),
      clean({ highlights: 2 }),
      clean(),
    ]),
    [],
  );
  const problems = cellProblems("n.ipynb", expected, [
    clean({ charts: [{ svg: false, marks: 0, note: "plotly.js is not loaded" }], tables: 0 }),
    clean({ highlights: 0, stderr: "1:7 - Type 'string' is not assignable to type 'number'." }),
    clean({ executionCount: null, errors: ["Error: boom"] }),
  ]);
  assert.deepEqual(problems, [
    "n.ipynb code cell 1 (`ade.showChart(f);`): chart 1 not drawn (plotly.js is not loaded)",
    "n.ipynb code cell 1 (`ade.showChart(f);`): 1 table(s) expected, 0 shown",
    "n.ipynb code cell 2 (`ade.showHtml(ade.extractionHtml(x));`): error on stderr: 1:7 - Type 'string' is not assignable to type 'number'.",
    "n.ipynb code cell 2 (`ade.showHtml(ade.extractionHtml(x));`): no highlighted entity in the prediction",
    "n.ipynb code cell 3 (`x`): did not run (no execution count)",
    "n.ipynb code cell 3 (`x`): error output: Error: boom",
  ]);
  assert.match(
    cellProblems("n.ipynb", expected, [
      clean({ charts: [{ svg: true, marks: 0 }] }),
      clean({ highlights: 1 }),
      clean(),
    ])[0],
    /chart 1 is drawn without any data/,
  );
  assert.match(cellProblems("n.ipynb", expected, [clean()])[0], /shows 1 code cells, the file has 3/);
  // tslab's uncaught exception on stderr; a plain warning there is not an error
  const one = [cellExpectation("f()", 1)];
  assert.match(
    cellProblems("n.ipynb", one, [clean({ stderr: "evalmachine.<anonymous>:2\nError: boom\n    at f" })])[0],
    /error on stderr: .*Error: boom/s,
  );
  assert.deepEqual(cellProblems("n.ipynb", one, [clean({ stderr: "warn: slow backend" })]), []);
});

test("only loopback and in-page data may be fetched by the browser", () => {
  for (const ok of [
    "http://127.0.0.1:8888/api/kernels",
    "ws://127.0.0.1:1/x",
    "http://localhost:3/",
    "data:image/png;base64,AA",
    "blob:http://127.0.0.1/x",
  ])
    assert.ok(isLoopback(ok), ok);
  for (const no of [
    "https://cdn.plot.ly/plotly.js",
    "http://127.0.0.2.example.com/",
    "https://fonts.googleapis.com/css",
    "not a url",
  ])
    assert.ok(!isLoopback(no), no);
});
