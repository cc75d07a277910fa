import { test } from "node:test";
import assert from "node:assert/strict";
import { detectProgressMode, formatBytes, formatDuration, formatProgress, Progress } from "../src/progress";
import { LiveOutput } from "../src/jupyter/live-output";

/** A clock the test moves by hand, in milliseconds. */
const clock = (start = 1_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
};

test("the bar shows label, fill, percentage, count, rate, time left and extra text", () => {
  const text = formatProgress(
    { done: 90, total: 200, elapsed: 75 },
    { label: "epoch 1/3", unit: "batches", rateUnit: "batch", width: 20 },
    "loss 0.4321",
  );
  assert.equal(text, "epoch 1/3 [#########...........]  45% 90/200 batches · 1.2 batch/s · 1m32s left · loss 0.4321");
  // finished: the total time instead of time left; nothing done yet: no rate and no time left
  assert.equal(
    formatProgress({ done: 200, total: 200, elapsed: 150 }, { width: 4, unit: "batches" }),
    "[####] 100% 200/200 batches · 1.3 batches/s · 2m30s total",
  );
  assert.equal(formatProgress({ done: 0, total: 10, elapsed: 0 }, { width: 4 }), "[....]   0% 0/10");
  // more than the total (a miscount) never draws past the end
  assert.match(formatProgress({ done: 12, total: 10, elapsed: 1 }, { width: 4 }), /^\[####\] 100% /);
});

test("bytes are counted with decimal units and the rate per second", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1_500), "1.5 kB");
  assert.equal(formatBytes(2_600_000), "2.6 MB");
  assert.equal(formatBytes(25_000_000), "25 MB");
  assert.equal(
    formatProgress({ done: 1_200_000, total: 2_600_000, elapsed: 4 }, { label: "DRUG-AE.rel", bytes: true, width: 10 }),
    "DRUG-AE.rel [#####.....]  46% 1.2 MB/2.6 MB · 300 kB/s · 5s left",
  );
});

test("durations read as seconds, minutes and hours", () => {
  assert.equal(formatDuration(4.4), "4s");
  assert.equal(formatDuration(70), "1m10s");
  assert.equal(formatDuration(7_500), "2h05m");
  assert.equal(formatDuration(Infinity), "?");
});

test("redraw mode draws in place with \\r, throttled, pads over a longer previous line, and ends the line once", () => {
  const c = clock();
  const out: string[] = [];
  const bar = new Progress({
    total: 4,
    unit: "batches",
    width: 4,
    mode: "redraw",
    write: (s) => out.push(s),
    now: c.now,
    minIntervalMs: 1000,
  });
  assert.deepEqual(out, ["\r[....]   0% 0/4 batches"], "an empty bar at once");
  c.advance(500);
  bar.tick(1, "loss 10.0000");
  assert.equal(out.length, 1, "within the interval: not drawn");
  c.advance(600);
  bar.tick(1);
  assert.equal(out[1], "\r[##..]  50% 2/4 batches · 1.8 batches/s · 1s left");
  c.advance(1000);
  bar.tick(2);
  assert.equal(out.length, 3, "the last state is always drawn");
  assert.ok(out[2].startsWith("\r[####] 100% 4/4 batches"));
  assert.ok(out[2].endsWith("\n"));
  bar.tick();
  bar.finish();
  assert.equal(out.length, 3, "nothing after the end");
  // a shorter line after a longer one is padded with spaces so no old characters remain
  const short: string[] = [];
  const b2 = new Progress({
    total: 2,
    width: 2,
    mode: "redraw",
    write: (s) => short.push(s),
    now: c.now,
    minIntervalMs: 0,
  });
  c.advance(1000);
  b2.update(1, "a long extra text");
  c.advance(1000);
  b2.update(1);
  assert.equal(short[2].length, short[1].length);
});

test("lines mode (not a terminal, not a notebook) prints a line every 10 % and the final one", () => {
  const c = clock();
  const out: string[] = [];
  const bar = new Progress({ total: 100, mode: "lines", write: (s) => out.push(s), now: c.now });
  for (let i = 0; i < 100; i++) {
    c.advance(100);
    bar.tick();
  }
  assert.equal(out.length, 10);
  assert.ok(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
  assert.match(out[0], / 10% 10\/100 · 10 it\/s · 9s left\n$/);
  assert.match(out[9], /100% 100\/100 · 10 it\/s · 10s total\n$/);
  // a jump over several steps prints one line, not one per step skipped
  const jumps: string[] = [];
  const b2 = new Progress({ total: 10, mode: "lines", write: (s) => jumps.push(s), now: c.now });
  b2.update(5);
  b2.update(6);
  b2.update(10);
  assert.deepEqual(
    jumps.map((l) => / (\d+)%/.exec(l)![1]),
    ["50", "60", "100"],
  );
});

test("the mode follows where the output goes: a terminal or a Jupyter kernel redraws, a pipe gets lines", () => {
  assert.equal(detectProgressMode({ isTTY: true }, {}, []), "redraw");
  assert.equal(detectProgressMode({ isTTY: false }, { JPY_PARENT_PID: "12" }, []), "redraw");
  assert.equal(
    detectProgressMode({}, {}, ["/usr/bin/node", "/x/node_modules/.bin/tslab", "kernel", "--config-path", "c.json"]),
    "redraw",
  );
  assert.equal(detectProgressMode({}, {}, ["/usr/bin/node", "adeflow.js", "reproduce"]), "lines");
});

test("live cell output in a terminal redraws the bar's line in place and keeps its final state", () => {
  const out: string[] = [];
  const live = new LiveOutput({
    prefix: "[04] ",
    tty: true,
    write: (s) => out.push(s),
    line: () => assert.fail("no lines in a terminal"),
  });
  live.push("\repoch 1/3 [..] 0%");
  live.push("\repoch 1/3 [#.] 50%");
  live.push("\repoch 1/3 [##] 100%\nepoch 1: train loss 1.0\n");
  live.flush();
  const screen = out.join("");
  assert.equal(screen.split("\n").length - 1, 2, "two lines end: the bar's final state and the summary");
  assert.match(screen, /\r\u001b\[K\[04\] epoch 1\/3 \[##\] 100%\n\r\u001b\[K\[04\] epoch 1: train loss 1\.0\n$/);
});

test("live cell output in a log prints finished lines only, and an unfinished one at most every quietMs", () => {
  const c = clock();
  const lines: string[] = [];
  const live = new LiveOutput({
    prefix: "[04] ",
    tty: false,
    write: () => assert.fail("no raw writes in a log"),
    line: (l) => lines.push(l),
    now: c.now,
    quietMs: 30_000,
  });
  for (let i = 1; i <= 100; i++) {
    c.advance(1_000);
    live.push(`\rbatch ${i}/100`);
  }
  assert.deepEqual(lines, ["[04] batch 30/100", "[04] batch 60/100", "[04] batch 90/100"]);
  live.push("\rbatch 100/100 done\nplain line\n\u001b[31mred\u001b[0m\n\n");
  assert.deepEqual(lines.slice(3), ["[04] batch 100/100 done", "[04] plain line", "[04] red"]);
  live.push("unfinished");
  live.flush();
  assert.equal(lines[6], "[04] unfinished");
});
