/** Files a person relies on: failed writes clean up, dead leftovers are swept, bad JSON is named, checkpoints fall back. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend";
import { describeFault, InputFileError } from "../../src/errors";
import { readJsonFile, sweepDeadTemporaries, writeFileAtomic } from "../../src/io";
import { readModelInfo } from "../../src/experiment/shared/model-store";
import { KEPT_CHECKPOINTS, listCheckpoints, Trainer } from "../../src/train/trainer";
import { repoRoot } from "../../src/paths";
import { notebookResultsDir } from "../../src/jupyter/context";
import { openRun } from "../../src/experiment/report/notebook-run";
import { PROFILES } from "../../src/experiment/shared/profile";

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `adeflow-${prefix}-`));

/** The id of a process that has ended (and so cannot own a temporary any more). */
function deadPid(): number {
  const r = spawnSync("true");
  assert.ok(r.pid > 0);
  return r.pid;
}

test("temporaries of dead processes are swept at the next write; live ones stay", () => {
  const dir = tmp("sweep");
  const dead = deadPid();
  fs.writeFileSync(path.join(dir, `export.jsonl.tmp-${dead}-1700000000000`), "half");
  fs.mkdirSync(path.join(dir, `.ckpt-3.tmp-${dead}`));
  fs.writeFileSync(path.join(dir, `.ckpt-3.tmp-${dead}`, "params.safetensors"), "half");
  const ours = path.join(dir, `other.json.tmp-${process.pid}-1`);
  fs.writeFileSync(ours, "in flight");
  fs.writeFileSync(path.join(dir, "keep.tmp-notes"), "not a temporary of ours");
  writeFileAtomic(path.join(dir, "result.json"), "{}\n");
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    ["keep.tmp-notes", "other.json.tmp-" + process.pid + "-1", "result.json"].sort(),
  );
  assert.deepEqual(sweepDeadTemporaries(dir), []);
});

test("an OS error is one line: what failed, where, why", () => {
  let err: unknown;
  try {
    fs.mkdirSync("/proc/adeflow-cannot-be-here");
  } catch (e) {
    err = e;
  }
  assert.match(
    describeFault(err)!,
    /^could not create the folder \/proc\/adeflow-cannot-be-here: ENOENT \(no such file or folder\)$/,
  );
  assert.equal(describeFault(new SyntaxError("x")), undefined);
  // a folder where the file should go: the write fails with a line naming the file, and leaves nothing
  const dir = tmp("isdir");
  fs.mkdirSync(path.join(dir, "out.json"));
  assert.throws(
    () => writeFileAtomic(path.join(dir, "out.json"), "{}"),
    (e: Error) =>
      e.message.startsWith(`writing ${dir}/out.json failed, nothing was changed: could not rename`) &&
      /EISDIR/.test(e.message) &&
      !e.message.includes("\n"),
  );
  assert.deepEqual(fs.readdirSync(dir), ["out.json"]);
});

test("malformed JSON names the file and the line; an empty file says so", () => {
  const dir = tmp("json");
  const file = path.join(dir, "model.json");
  fs.writeFileSync(file, '{\n  "task": "ner",\n  "baseModel": "x",\n}\n'); // a trailing comma: V8 stops at the closing brace, line 4
  assert.throws(
    () => readJsonFile(file, "trained model's description"),
    (e: Error) =>
      e instanceof InputFileError &&
      e.message ===
        `${file}:4: this trained model's description is not valid JSON (Expected double-quoted property name)`,
  );
  fs.writeFileSync(file, "");
  assert.throws(
    () => readJsonFile(file),
    (e: Error) => e instanceof InputFileError && e.message === `${file}: this JSON file is empty`,
  );
  // the stored model's reader goes through it
  fs.writeFileSync(file, '{"task": "ner", "baseModel": "x"'); // torn
  assert.throws(
    () => readModelInfo(dir),
    (e: Error) =>
      e instanceof InputFileError &&
      e.message.startsWith(`${file}`) &&
      /not valid JSON/.test(e.message) &&
      !e.message.includes("\n"),
  );
  fs.writeFileSync(file, '{"task": "ner"}');
  assert.throws(() => readModelInfo(dir), /field "baseModel" is missing/);
});

let variables = 0;
async function tinyTrainer(size = 16) {
  await initBackend({ force: "cpu" });
  const w = tf.variable(tf.linspace(-1, 1, size), true, `faults-w${variables++}`);
  const params = new Map([["w", w]]);
  const trainer = new Trainer(params, { totalSteps: 10, accumulationSteps: 1, seed: 3 });
  const step = () => trainer.microBatch(() => tf.sum(tf.square(w)) as tf.Scalar);
  return { w, params, trainer, step, dispose: () => (trainer.dispose(), w.dispose()) };
}

test("checkpoints are pruned to the newest two, and a corrupt newest falls back to the previous one", async () => {
  const dir = tmp("ckpt");
  const a = await tinyTrainer();
  const weightsAt = new Map<number, number[]>();
  for (let i = 0; i < 4; i++) {
    await a.step();
    await a.trainer.save(dir, { epoch: i + 1 });
    weightsAt.set(a.trainer.step, Array.from(a.w.dataSync()));
  }
  assert.equal(KEPT_CHECKPOINTS, 2);
  assert.deepEqual(listCheckpoints(dir), ["ckpt-4", "ckpt-3"]);

  // a torn latest.json: the folders are read on their own, newest first
  fs.writeFileSync(path.join(dir, "latest.json"), '{"checkpoint": "ckpt-');
  const b = await tinyTrainer();
  const lines: string[] = [];
  assert.equal(b.trainer.restore(dir, (l) => lines.push(l)).epoch, 4);
  assert.deepEqual(Array.from(b.w.dataSync()), weightsAt.get(4));
  assert.match(lines.join("\n"), /latest\.json:1: this checkpoint index is not valid JSON/);

  // a torn newest checkpoint: the previous one, with its own weights and step
  const params = path.join(dir, "ckpt-4", "params.safetensors");
  fs.truncateSync(params, 20);
  lines.length = 0;
  const c = await tinyTrainer();
  assert.equal(c.trainer.restore(dir, (l) => lines.push(l)).epoch, 3);
  assert.equal(c.trainer.step, 3);
  assert.deepEqual(Array.from(c.w.dataSync()), weightsAt.get(3));
  assert.ok(
    lines.some((l) => l.includes(params)),
    lines.join("\n"),
  );
  assert.ok(lines.some((l) => l.includes(`resuming from ${path.join(dir, "ckpt-3")}`)));

  // nothing readable: the error lists why, per file
  fs.writeFileSync(path.join(dir, "ckpt-3", "state.json"), "{");
  const d = await tinyTrainer();
  assert.throws(
    () => d.trainer.restore(dir),
    (e: Error) =>
      e.message.startsWith(`${dir}: no checkpoint to resume from`) &&
      e.message.includes(path.join(dir, "ckpt-3", "state.json")),
  );
  for (const t of [a, b, c, d]) t.dispose();
});

test("a checkpoint that cannot be written removes its temporary folder and keeps the previous checkpoint", () => {
  const dir = tmp("ckpt-fail");
  const script = path.join(dir, "save.js");
  const lib = path.join(repoRoot(), "lib", "dist", "src");
  // 200,000 floats (800 kB of parameters) against a file size limit of 100 kB: the second save fails mid-write
  fs.writeFileSync(
    script,
    `const tf = require(${JSON.stringify(path.join(repoRoot(), "node_modules", "@tensorflow", "tfjs"))});
const { Trainer } = require(${JSON.stringify(path.join(lib, "train", "trainer.js"))});
tf.setBackend("cpu").then(async () => {
  const w = tf.variable(tf.zeros([200000]), true, "w");
  const t = new Trainer(new Map([["w", w]]), { totalSteps: 5, accumulationSteps: 1 });
  await t.microBatch(() => tf.sum(tf.square(tf.sub(w, 1))));
  try { await t.save(process.argv[2]); } catch (e) { console.error(e.message); process.exit(1); }
});
`,
  );
  const ckpts = path.join(dir, "checkpoints");
  fs.mkdirSync(path.join(ckpts, "ckpt-0"), { recursive: true }); // an earlier, complete checkpoint (stands in)
  const r = spawnSync("bash", ["-c", `ulimit -f 100; exec "${process.execPath}" "${script}" "${ckpts}"`], {
    encoding: "utf8",
  });
  assert.equal(r.status, 1, r.stderr);
  const last = r.stderr.trim().split("\n").pop()!; // after TensorFlow.js's own banner
  assert.match(last, new RegExp(`^saving the checkpoint ${ckpts}/ckpt-1 failed, the previous one is kept: .*EFBIG`));
  assert.deepEqual(fs.readdirSync(ckpts), ["ckpt-0"], "no .ckpt-1.tmp-* folder and no latest.json pointing at a torso");
});

test("a notebook's results folder holds one run: an earlier run's files go when a run starts, finished ablation runs and benchmark folds stay", async () => {
  const results = tmp("results");
  const before = process.env.ADEFLOW_RESULTS_DIR;
  process.env.ADEFLOW_RESULTS_DIR = results;
  try {
    const dir = path.join(results, "01-eda");
    fs.mkdirSync(path.join(dir, "runs"), { recursive: true });
    for (const f of ["01-eda.ipynb", "summary.json", "lengths.html", "lengths.png", "plotly.min.js"])
      fs.writeFileSync(path.join(dir, f), "earlier run");
    fs.writeFileSync(path.join(dir, "runs", "seed-0.json"), "{}");
    assert.equal(notebookResultsDir("01-eda"), dir);
    assert.deepEqual(fs.readdirSync(dir), ["runs"]);
    assert.deepEqual(fs.readdirSync(path.join(dir, "runs")), ["seed-0.json"]);
    // the training notebooks' first cell does the same
    const train = path.join(results, "07-pos-ablation");
    fs.mkdirSync(path.join(train, "runs"), { recursive: true });
    for (const f of ["07-pos-ablation.ipynb", "summary.json", "scores.png"])
      fs.writeFileSync(path.join(train, f), "earlier run");
    const run = await openRun("07-pos-ablation", {
      profile: PROFILES.smoke(),
      log: () => {},
      display: { html: () => {} },
    });
    assert.equal(run.results, train);
    assert.deepEqual(fs.readdirSync(train), ["runs"]);
    // notebook 08's finished folds stay too: a benchmark stopped in its third fold restarts there
    const bench = path.join(results, "08-benchmark");
    fs.mkdirSync(path.join(bench, "folds"), { recursive: true });
    fs.writeFileSync(path.join(bench, "folds", "fold-0.json"), "{}");
    fs.writeFileSync(path.join(bench, "summary.json"), "earlier run");
    await openRun("08-benchmark", { profile: PROFILES.smoke(), log: () => {}, display: { html: () => {} } });
    assert.deepEqual(fs.readdirSync(bench), ["folds"]);
    assert.deepEqual(fs.readdirSync(path.join(bench, "folds")), ["fold-0.json"]);
  } finally {
    if (before === undefined) delete process.env.ADEFLOW_RESULTS_DIR;
    else process.env.ADEFLOW_RESULTS_DIR = before;
  }
});
