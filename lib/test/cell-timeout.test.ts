import { test } from "node:test";
import assert from "node:assert/strict";
import { cellTimeoutSeconds } from "../src/jupyter/execute";
import { AdeflowError } from "../src/errors";

test("a cell may run an hour on smoke and local, without limit on quick and full, or what ADEFLOW_CELL_TIMEOUT says", () => {
  assert.equal(cellTimeoutSeconds({}), 3600, "local is the default profile");
  assert.equal(cellTimeoutSeconds({ ADEFLOW_PROFILE: "smoke" }), 3600);
  // quick's ablation cell trains four bert-base models: about two hours on 2 cores
  assert.equal(cellTimeoutSeconds({ ADEFLOW_PROFILE: "quick" }), 0);
  assert.equal(cellTimeoutSeconds({ ADEFLOW_PROFILE: "full" }), 0);
  assert.equal(cellTimeoutSeconds({ ADEFLOW_PROFILE: "quick", ADEFLOW_CELL_TIMEOUT: "7200" }), 7200);
  assert.equal(cellTimeoutSeconds({ ADEFLOW_CELL_TIMEOUT: "0" }), 0);
  assert.equal(cellTimeoutSeconds({ ADEFLOW_CELL_TIMEOUT: " 90 " }), 90);
  for (const bad of ["-1", "1.5", "an hour", "1e3"])
    assert.throws(
      () => cellTimeoutSeconds({ ADEFLOW_CELL_TIMEOUT: bad }),
      (e: unknown) =>
        e instanceof AdeflowError && e.message.startsWith(`ADEFLOW_CELL_TIMEOUT=${bad}: expected whole seconds`),
    );
});
