import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { executedCopy } from "../src/jupyter/browser-run";

test("screenshots of a run already made open its executed copies; a missing one says which and how to make it", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-executed-"));
  const saved = process.env.ADEFLOW_RESULTS_DIR;
  process.env.ADEFLOW_RESULTS_DIR = dir;
  try {
    assert.throws(
      () => executedCopy("/x/notebooks/04-ner.ipynb"),
      (err: Error) =>
        err.message.includes(path.join(dir, "04-ner", "04-ner.ipynb")) &&
        err.message.includes("npx adeflow reproduce --only 04"),
    );
    fs.mkdirSync(path.join(dir, "04-ner"));
    fs.writeFileSync(path.join(dir, "04-ner", "04-ner.ipynb"), "{}");
    assert.equal(executedCopy("/x/notebooks/04-ner.ipynb"), path.join(dir, "04-ner", "04-ner.ipynb"));
  } finally {
    if (saved === undefined) delete process.env.ADEFLOW_RESULTS_DIR;
    else process.env.ADEFLOW_RESULTS_DIR = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
