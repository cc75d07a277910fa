/** Runs that die: a kernel that dies is reported with the cell and the reason; stopping adeflow stops the kernel. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { executeNotebook, NotebookCellError, NotebookInterrupted } from "../../src/jupyter/execute";
import { findJupyterPython } from "../../src/jupyter/jupyter";
import { processAlive } from "../../src/io";

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

function notebook(dir: string, name: string, cells: string[]): string {
  const file = path.join(dir, `${name}.ipynb`);
  const nb = {
    cells: cells.map((source) => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

test(
  "a kernel that dies is reported with the notebook, the cell and the signal; the executed copy so far is saved",
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-dead-"));
    process.env.ADEFLOW_RESULTS_DIR = path.join(dir, "results");
    const nb = notebook(dir, "91-dies", [
      'console.log("before the end");',
      'process.kill(process.pid, "SIGKILL");',
      'console.log("never");',
    ]);
    const err = await executeNotebook(nb, { log: () => {} }).then(
      () => assert.fail("the run should fail"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NotebookCellError, String(err));
    assert.equal(err.cell, 1);
    assert.equal(err.ename, "DeadKernelError");
    assert.match(
      err.message,
      /^91-dies\.ipynb: cell 2 failed with DeadKernelError: the kernel died: killed by signal 9 \(SIGKILL\)/,
    );
    const saved = JSON.parse(fs.readFileSync(err.executedCopy, "utf8"));
    assert.equal(saved.cells[0].outputs[0].text.join?.("") ?? saved.cells[0].outputs[0].text, "before the end\n");
  },
);

test("stopping adeflow (SIGTERM) stops the notebook's kernel and keeps the executed copy", { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-stop-"));
  process.env.ADEFLOW_RESULTS_DIR = path.join(dir, "results");
  const pidFile = path.join(dir, "kernel.pid");
  const nb = notebook(dir, "92-long", [
    `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); console.log("training");`,
    "await new Promise((resolve) => setTimeout(resolve, 600_000));",
  ]);
  const run = executeNotebook(nb, { log: () => {} });
  const started = Date.now();
  while (!fs.existsSync(pidFile) && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 200));
  const kernelPid = Number(fs.readFileSync(pidFile, "utf8"));
  await new Promise((r) => setTimeout(r, 1500)); // into the second cell
  assert.ok(processAlive(kernelPid));
  process.emit("SIGTERM", "SIGTERM"); // what `kill <adeflow>` delivers to the listener executeNotebook installed
  await assert.rejects(
    run,
    (e: Error) => e instanceof NotebookInterrupted && /^92-long\.ipynb: stopped by SIGTERM/.test(e.message),
  );
  for (let i = 0; i < 50 && processAlive(kernelPid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!processAlive(kernelPid), "the kernel is not left running");
  const saved = JSON.parse(fs.readFileSync(path.join(dir, "results", "92-long", "92-long.ipynb"), "utf8"));
  assert.ok(saved.cells[0].outputs.length > 0, "the first cell's output is in the executed copy");
  assert.equal(process.listenerCount("SIGTERM"), 0, "executeNotebook removes its signal listeners");
});

test(
  "a cell that runs past the limit is stopped and named in one line, with the setting; the copy so far is saved",
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-timeout-"));
    process.env.ADEFLOW_RESULTS_DIR = path.join(dir, "results");
    const nb = notebook(dir, "93-slow", [
      'console.log("first");',
      "await new Promise((resolve) => setTimeout(resolve, 600_000));",
    ]);
    const err = await executeNotebook(nb, { log: () => {}, timeoutSeconds: 3 }).then(
      () => assert.fail("the run should stop"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NotebookCellError, String(err));
    assert.equal(err.cell, 1);
    assert.equal(err.ename, "CellTimeout");
    assert.match(err.message, /^93-slow\.ipynb: cell 2 failed with CellTimeout: the cell ran past the limit of 3 s/);
    assert.match(err.message, /ADEFLOW_CELL_TIMEOUT/);
    assert.doesNotMatch(err.message, /Traceback|File "/, "no Python traceback");
    const saved = JSON.parse(fs.readFileSync(err.executedCopy, "utf8"));
    assert.ok(saved.cells[0].outputs.length > 0, "the first cell's output is in the executed copy");
  },
);
