import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { planIsolatedRuns, runIsolated, type RunPlan } from "../src/experiment/shared/isolated-runs";
import { processAlive } from "../src/io/atomic";
import type { ProbeJob } from "./support/isolated-probe";

const PROBE = path.join(__dirname, "support", "isolated-probe.js");
const GiB = 2 ** 30;
const twoAtOnce: RunPlan = { processes: 2, threadsPerProcess: 1, why: "test" };

test("the plan: runs side by side, one thread each, within the memory; a lone bert-base-sized run on every core", () => {
  const none = { requestedProcesses: "", requestedThreads: "" };
  const small = planIsolatedRuns({
    runs: 4,
    backend: "wasm",
    parameters: 5e6,
    rows: 8,
    cores: 2,
    freeBytes: 20 * GiB,
    ...none,
  });
  assert.deepEqual([small.processes, small.threadsPerProcess], [2, 1]);
  assert.match(small.why, /2 runs at once in fresh processes, 1 thread each/);
  const base = planIsolatedRuns({
    runs: 4,
    backend: "wasm",
    parameters: 108e6,
    rows: 2,
    cores: 2,
    freeBytes: 20 * GiB,
    ...none,
  });
  // two data-parallel threads trained quick's RE runs no faster than one: two runs side by side, one thread each
  assert.deepEqual([base.processes, base.threadsPerProcess], [2, 1]);
  assert.match(base.why, /2 runs at once in fresh processes, 1 thread each/);
  const baseShortOfMemory = planIsolatedRuns({
    runs: 4,
    backend: "wasm",
    parameters: 108e6,
    rows: 2,
    cores: 2,
    freeBytes: 8 * GiB,
    ...none,
  });
  assert.deepEqual(
    [baseShortOfMemory.processes, baseShortOfMemory.threadsPerProcess],
    [1, 2],
    "memory for one run only: it trains on every core",
  );
  assert.match(baseShortOfMemory.why, /free memory 8\.0 GiB holds 1 run/);
  const fewRuns = planIsolatedRuns({
    runs: 1,
    backend: "wasm",
    parameters: 5e6,
    rows: 8,
    cores: 8,
    freeBytes: 20 * GiB,
    ...none,
  });
  assert.deepEqual(
    [fewRuns.processes, fewRuns.threadsPerProcess],
    [1, 1],
    "more threads would not speed a small model",
  );
  const baseAlone = planIsolatedRuns({
    runs: 1,
    backend: "wasm",
    parameters: 108e6,
    rows: 2,
    cores: 8,
    freeBytes: 64 * GiB,
    ...none,
  });
  assert.deepEqual([baseAlone.processes, baseAlone.threadsPerProcess], [1, 8], "a bert-base run takes every core");
  // the reason says what the plan does, not the side-by-side rule it did not apply
  assert.match(
    baseAlone.why,
    /^1 run at once in fresh processes, 8 threads each \(one run; .*data-parallel on 8 threads\)$/,
  );
  assert.doesNotMatch(baseAlone.why, /side by side/);
  assert.match(baseShortOfMemory.why, /data-parallel on 2 threads/);
  const gpu = planIsolatedRuns({
    runs: 4,
    backend: "webgpu",
    parameters: 5e6,
    rows: 8,
    cores: 8,
    freeBytes: 20 * GiB,
    ...none,
  });
  assert.deepEqual([gpu.processes, gpu.threadsPerProcess], [1, undefined]);
  const tight = planIsolatedRuns({
    runs: 8,
    backend: "wasm",
    parameters: 20e6,
    rows: 8,
    cores: 8,
    freeBytes: 3 * GiB,
    ...none,
  });
  assert.ok(tight.processes >= 1 && tight.processes < 8, tight.why);
  assert.match(tight.why, /free memory 3\.0 GiB holds/);
  assert.equal(tight.threadsPerProcess, 1);
});

test("the plan follows ADEFLOW_PARALLEL_RUNS and ADEFLOW_WORKERS, and names a bad value", () => {
  const p = planIsolatedRuns({
    runs: 4,
    backend: "wasm",
    parameters: 108e6,
    rows: 2,
    cores: 4,
    freeBytes: 64 * GiB,
    requestedProcesses: "2",
    requestedThreads: "",
  });
  assert.deepEqual([p.processes, p.threadsPerProcess], [2, 2]);
  const w = planIsolatedRuns({
    runs: 4,
    backend: "wasm",
    parameters: 5e6,
    rows: 8,
    cores: 4,
    freeBytes: 64 * GiB,
    requestedProcesses: "",
    requestedThreads: "2",
  });
  assert.deepEqual([w.processes, w.threadsPerProcess], [2, 2]);
  assert.throws(
    () =>
      planIsolatedRuns({
        runs: 4,
        backend: "wasm",
        parameters: 5e6,
        rows: 8,
        requestedProcesses: "two",
        requestedThreads: "",
      }),
    /ADEFLOW_PARALLEL_RUNS=two: expected a whole number/,
  );
});

test("runs in fresh processes, two at once, in job order, with their output and peak memory", async () => {
  const lines: string[] = [];
  const finished: number[] = [];
  const jobs: { label: string; message: ProbeJob }[] = [
    // the slow one waits long enough for two process starts on a loaded machine
    { label: "slow", message: { kind: "echo", value: 1, waitMs: 5000 } },
    { label: "fast", message: { kind: "echo", value: 2 } },
    { label: "third", message: { kind: "echo", value: 3 } },
  ];
  const out = await runIsolated<ProbeJob, { value: number; pid: number }>(PROBE, jobs, {
    plan: twoAtOnce,
    backend: "cpu",
    log: (l) => lines.push(l),
    onDone: (job) => finished.push(job),
  });
  assert.deepEqual(
    out.map((o) => o.value.value),
    [1, 2, 3],
  );
  assert.equal(new Set(out.map((o) => o.value.pid)).size, 3, "a process per run");
  assert.ok(!out.some((o) => o.value.pid === process.pid));
  assert.deepEqual(finished.slice(0, 2), [1, 2], "the fast job and the one after it finish while the slow one waits");
  assert.ok(
    lines.some((l) => /^\[fast\] job echo pid \d+$/.test(l)),
    lines.join("\n"),
  );
  assert.ok(lines.includes("[fast] echo 2 on stdout"), lines.join("\n"));
  for (const o of out) assert.ok(o.peakRssMb > 10 && o.peakRssMb < 2000 && o.seconds > 0);
});

test("a child's memory is its own: a large allocation shows in its peak, not in the parent's", async () => {
  const before = process.resourceUsage().maxRSS / 1024;
  const [small, big] = await runIsolated<ProbeJob, { bytes: number }>(
    PROBE,
    [
      { label: "small", message: { kind: "allocate", megabytes: 1 } },
      { label: "big", message: { kind: "allocate", megabytes: 400 } },
    ],
    { plan: twoAtOnce, backend: "cpu" },
  );
  assert.ok(big.peakRssMb - small.peakRssMb > 300, `${big.peakRssMb} vs ${small.peakRssMb}`);
  assert.ok(process.resourceUsage().maxRSS / 1024 - before < 200, "the parent did not grow by the child's 400 MB");
});

test("children get the backend and thread count, and line-by-line output", async () => {
  process.env.JPY_PARENT_PID = "12345";
  try {
    const [env] = await runIsolated<ProbeJob, Record<string, unknown>>(
      PROBE,
      [{ label: "env", message: { kind: "env" } }],
      {
        plan: { processes: 1, threadsPerProcess: 3, why: "test" },
        backend: "wasm",
      },
    );
    assert.deepEqual(env.value, { backend: "wasm", workers: "3", jupyter: null });
  } finally {
    delete process.env.JPY_PARENT_PID;
  }
});

test("a run that fails or is killed is named; the others still finish and are handed over", async () => {
  const done: number[] = [];
  const lines: string[] = [];
  await assert.rejects(
    runIsolated<ProbeJob, unknown>(
      PROBE,
      [
        { label: "with POS, seed 0", message: { kind: "die" } },
        { label: "without POS, seed 1", message: { kind: "throw", message: "corpus.txt:3: bad line" } },
        { label: "without POS, seed 2", message: { kind: "echo", value: 7 } },
      ],
      { plan: twoAtOnce, backend: "cpu", onDone: (job) => done.push(job), log: (l) => lines.push(l) },
    ),
    (err: Error) => {
      assert.match(err.message, /^2 of 3 runs failed \(the others were saved\)/);
      assert.match(
        err.message,
        /with POS, seed 0: its process was killed \(SIGKILL: out of memory, or killed by hand\); last output: .*about to be killed/,
      );
      assert.match(err.message, /without POS, seed 1: corpus\.txt:3: bad line/);
      assert.doesNotMatch(err.message, /\n\s+at /, "no stack trace for a user's mistake");
      return true;
    },
  );
  assert.deepEqual(done, [2]);
  assert.ok(lines.some((l) => /^\[with POS, seed 0\] failed: /.test(l)));
});

test("a run past its time limit is stopped and named as such", async () => {
  await assert.rejects(
    runIsolated<ProbeJob, unknown>(PROBE, [{ label: "measurement", message: { kind: "spin" } }], {
      plan: { processes: 1, why: "test" },
      backend: "cpu",
      timeoutMs: 1500,
    }),
    /^AdeflowError: 1 of 1 run failed \(the others were saved\): measurement: took longer than 1\.5 s and was stopped$/,
  );
});

for (const [what, job] of [
  ["waiting on a timer", { kind: "echo", value: 1, waitMs: 60000 }],
  ["training, its awaits all microtasks (the event loop never runs)", { kind: "spin" }],
] as const)
  test(`killing the parent (a kernel) stops its runs: a run ${what}`, async () => {
    const script = `
    const { runIsolated } = require(${JSON.stringify(path.join(__dirname, "..", "src", "experiment", "shared", "isolated-runs.js"))});
    runIsolated(${JSON.stringify(PROBE)}, [{ label: "long", message: ${JSON.stringify(job)} }],
      { plan: { processes: 1, why: "test" }, backend: "cpu", log: (l) => console.log(l) });`;
    const parent = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const childPid = await new Promise<number>((resolve, reject) => {
      let text = "";
      parent.stdout.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        const m = /job \w+ pid (\d+)/.exec(text);
        if (m) resolve(Number(m[1]));
      });
      parent.on("exit", () => reject(new Error(`the parent ended first: ${text}`)));
    });
    // let the spinning job get into its loop
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(processAlive(childPid));
    parent.kill("SIGKILL");
    const deadline = Date.now() + 10_000;
    while (processAlive(childPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const outlived = processAlive(childPid);
    if (outlived) process.kill(childPid, "SIGKILL");
    assert.ok(!outlived, "the run's process outlived its parent");
  });
