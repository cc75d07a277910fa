import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { estimateRun, type StepSpeeds } from "../src/experiment/plan/estimate";
import type { ProbeResult } from "../src/experiment/plan/probe";
import { runWork } from "../src/experiment/plan/workload";
import { PROFILES, type Profile } from "../src/experiment/shared/profile";
import { AdeflowError } from "../src/errors";
import { estimateLine, RunNarrator, summaryLines } from "../src/cli/narration";
import { planReproduce } from "../src/cli/run-plan";
import { notebooksDir } from "../src/paths";

const SPEEDS: StepSpeeds = {
  ner: { trainPerRow: 0.01, update: 0.1, inferPerRow: 0.002, singleRow: 0.005 },
  re: { trainPerRow: 0.05, update: 0.2, inferPerRow: 0.01, singleRow: 0.02 },
};
const STEMS = ["02-preprocessing", "04-ner", "05-re"];

/** A clock the test moves by hand. */
/** A profile frozen here (the real ones are resized by measurement): 600 / 100 / 300 rows, NER 2 + 1 epochs, RE 1 + 1. */
const FIXED_PROFILE: Profile = {
  ...PROFILES.smoke(),
  model: "some-hub/model",
  maxRows: { train: 600, val: 100, test: 300 },
  epochs: 2,
  finalEpochs: 1,
  batchSize: 8,
  accumulationSteps: 4,
  re: { epochs: 1, finalEpochs: 1 },
};

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (seconds: number) => (t += seconds * 1000) };
}

test("each notebook gets a line as it starts and as it ends, with the time elapsed and the corrected time left", () => {
  const work = runWork(STEMS, FIXED_PROFILE, { localBertCached: true });
  const estimates = estimateRun(work, SPEEDS);
  const c = clock();
  const narrator = new RunNarrator(STEMS, work, estimates, c.now);
  const total = estimates.reduce((s, e) => s + e!.seconds, 0);
  // 6 s for 02, 25 + 52.6 s for 04, 25 + 157.4 s for 05
  assert.ok(Math.abs(total - 266) < 1e-9, `${total}`);
  assert.match(
    narrator.starting(0),
    /^\[1\/3\] 02-preprocessing; estimate about 5 s \(0 s elapsed, about 4 min left\)$/,
  );
  // 02 takes 12 s against its 6: the fixed parts left double, the measured ones stay
  c.advance(12);
  const done = narrator.done(0, 12, "results/02-preprocessing/02-preprocessing.ipynb");
  assert.match(
    done,
    /^\[1\/3\] 02-preprocessing done in 12 s \(estimated about 5 s\) -> results\/02-preprocessing\/02-preprocessing\.ipynb; 12 s elapsed, about \d+ min left$/,
  );
  const left = (line: string) => Number(/about (\d+) min left/.exec(line)![1]);
  const rest = estimates.slice(1).reduce((s, e) => s + 2 * e!.fixedSeconds + e!.workSeconds, 0);
  assert.equal(left(done), Math.round(rest / 60));
  assert.match(
    narrator.starting(1),
    /^\[2\/3\] 04-ner: 2 NER models, 600 training rows, 2 epochs \+ 1 final; estimate about 1 min \(12 s elapsed, about \d+ min left\)$/,
  );
  c.advance(100);
  narrator.done(1, 100);
  c.advance(5);
  narrator.failed(2, 5, "05-re.ipynb: cell 4 failed with Error: out of memory\n--- cell source ---\n...");
  const summary = summaryLines(narrator, { table: "| the table |", dir: "/r" }, { failed: true }).join("\n");
  assert.match(summary, /stopped after 2 of 3 notebooks \(1 min 57 s\); the error is below/);
  assert.match(summary, /\| the table \|/);
  assert.match(summary, /\| 04-ner \| 1 min 40 s \| about 1 min \|/);
  assert.match(summary, /\| 05-re \| failed after 5 s \| about \d+ min \|/);
  assert.match(summary, /results: \/r/);
});

test("a run that finishes says so with its estimate and points at the next step; without a measurement, no estimate", () => {
  const work = runWork(["01-eda"], PROFILES.smoke());
  const estimates = estimateRun(work, undefined);
  const c = clock();
  const narrator = new RunNarrator(["01-eda"], work, estimates, c.now);
  c.advance(9);
  narrator.done(0, 9);
  const summary = summaryLines(narrator, { table: "_none_", dir: "/r" }, { failed: false }).join("\n");
  assert.match(summary, /adeflow reproduce: 1 notebook done in 9 s \(estimated about 10 s\)/);
  assert.match(summary, /next: `npm run lab`/);
  const training = runWork(STEMS, FIXED_PROFILE);
  assert.equal(
    estimateLine(estimateRun(training, undefined), STEMS, "bert-large is not on this machine yet"),
    "none for the notebooks that train (bert-large is not on this machine yet); 02 5 s, 04 ?, 05 ?",
  );
  const unknown = new RunNarrator(STEMS, training, estimateRun(training, undefined), c.now);
  assert.match(unknown.starting(1), /no estimate \(0 s elapsed, time left unknown \(no estimate\)\)$/);
});

const fakeProbe = (over: Partial<ProbeResult> = {}): ProbeResult => ({
  backend: {
    name: "wasm",
    description: "TensorFlow.js backend: wasm (@tensorflow/tfjs-backend-wasm, 2 threads) — fastest",
    threads: 2,
  },
  batch: { batchSize: 8, accumulationSteps: 4 },
  threads: { threads: 1, why: "a small model" },
  architecture: "2 layers x 32",
  measurement: {
    speeds: SPEEDS,
    timed: { ner: { rows: 40, positions: 60 }, re: { rows: 40, positions: 128 } },
    parameters: 128_000,
    seconds: 12,
  },
  ...over,
});

const nb = (stem: string) => path.join(notebooksDir(), `${stem}.ipynb`);

test("before the long work: profile, model and its source, backend and threads, measured steps, estimate, results", async () => {
  const lines: string[] = [];
  const env = { ...process.env, ADEFLOW_PROFILE: "smoke", ADEFLOW_MODEL: "" };
  const plan = await planReproduce([nb("02-preprocessing"), nb("04-ner")], env, {
    log: (l) => lines.push(l),
    probe: async () => fakeProbe(),
  });
  const text = lines.join("\n");
  assert.match(text, /^adeflow reproduce: 2 notebooks, profile smoke$/m);
  assert.match(text, /^ {2}model {6}the project's tiny test checkpoint, lib\/test\/fixtures\/tiny-bert$/m);
  assert.match(
    text,
    /^ {2}backend {4}wasm \(@tensorflow\/tfjs-backend-wasm, 2 threads\); training on 1 thread of Node \(a small model\)$/m,
  );
  assert.match(
    text,
    /^ {2}measured {3}in 12 s, 2 layers x 32 with random weights: a NER micro-batch of 8 rows \(60 positions on average\) trains in 0\.080 s, an RE one \(128 positions\) in 0\.40 s/m,
  );
  assert.match(text, /^ {2}estimate {3}about \d+ s on this machine: 02 5 s, 04 \d+ s$/m);
  assert.match(text, /^ {2}results {4}.*<notebook>\/ .*; trained models in /m);
  assert.equal(plan.estimates.length, 2);
  assert.ok(plan.estimates.every((e) => e !== undefined));
});

test("a failed measurement leaves the run without an estimate; a missing model folder stops it before anything runs", async () => {
  const lines: string[] = [];
  const env = { ...process.env, ADEFLOW_PROFILE: "smoke", ADEFLOW_MODEL: "" };
  await planReproduce([nb("04-ner")], env, {
    log: (l) => lines.push(l),
    probe: async () => {
      throw new AdeflowError("1 of 1 run failed (the others were saved): measurement: its process was killed");
    },
  });
  assert.match(lines.join("\n"), /measured {3}nothing: the measurement failed \(its process was killed\)$/m);
  assert.match(lines.join("\n"), /estimate {3}none for the notebooks that train/);
  let probed = false;
  await assert.rejects(
    planReproduce(
      [nb("04-ner")],
      { ...env, ADEFLOW_MODEL: "/nowhere/bert" },
      {
        log: () => {},
        probe: async () => {
          probed = true;
          return fakeProbe();
        },
      },
    ),
    /model folder \/nowhere\/bert does not exist/,
  );
  assert.equal(probed, false);
  // notebooks that train nothing need no probe at all
  const quiet: string[] = [];
  await planReproduce([nb("02-preprocessing")], env, {
    log: (l) => quiet.push(l),
    probe: async () => assert.fail("no probe for 02"),
  });
  assert.match(quiet.join("\n"), /backend {4}not needed/);
});
