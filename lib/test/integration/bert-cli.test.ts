/** `adeflow encode` and `adeflow bench` (the tiny model, and its native row) print what they promise. */
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import assert from "node:assert/strict";
import { encodeCommand } from "../../src/cli/encode";
import { benchCommand } from "../../src/cli/bench";
import { addRatios, benchTagging, type BenchRow } from "../../src/bench";
import { testCorpusDir } from "../helpers";
import { parseFlags } from "../../src/cli/command";
import { AdeflowError } from "../../src/errors";
import { repoRoot, tinyCheckpointDir } from "../../src/paths";
import { nativeUnavailable } from "../support/native";

const DIR = tinyCheckpointDir();

async function capture(fn: () => Promise<void>): Promise<string> {
  const out: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  // Only strings are ours: node's test runner talks to its parent through stdout in binary chunks.
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
    typeof s === "string"
      ? (out.push(s), true)
      : (orig as (...a: unknown[]) => boolean)(s, ...rest)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array, ...rest: unknown[]) =>
    typeof s === "string"
      ? true
      : (origErr as (...a: unknown[]) => boolean)(s, ...rest)) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = orig;
    process.stderr.write = origErr;
  }
  return out.join("");
}

test("encode prints word pieces, ids, word indices and every hidden state", async () => {
  const text = await capture(() =>
    encodeCommand.run(parseFlags(encodeCommand, ["--model", DIR, "--text", "Rash after penicillin."])!),
  );
  const j = JSON.parse(text);
  assert.equal(j.tokens[0], "[CLS]");
  assert.equal(j.tokens[j.tokens.length - 1], "[SEP]");
  assert.equal(j.input_ids.length, j.tokens.length);
  assert.equal(j.word_index[1], 0);
  assert.deepEqual(j.layers, [0, 1, 2]);
  assert.equal(j.hidden_states.length, 3);
  assert.equal(j.hidden_states[2].length, j.tokens.length);
  assert.equal(j.hidden_states[2][0].length, 32);
  const sel = JSON.parse(
    await capture(() =>
      encodeCommand.run(parseFlags(encodeCommand, ["--model", DIR, "--text", "Fever", "--layers", "2,1"])!),
    ),
  );
  assert.deepEqual(sel.layers, [2, 1]);
  await assert.rejects(
    encodeCommand.run(parseFlags(encodeCommand, ["--model", DIR])!),
    (e: Error) => e instanceof AdeflowError && /--text/.test(e.message),
  );
  await assert.rejects(
    encodeCommand.run(parseFlags(encodeCommand, ["--model", DIR, "--text", "x", "--layers", "5"])!),
    /outside 0\.\.2/,
  );
});

test(
  "encode's output through a pipe arrives whole, however long (process.exit once cut it at 64 KB)",
  { skip: process.platform === "win32" && "the pipe is made by sh" },
  () => {
    const text = Array.from({ length: 120 }, (_, i) => `word${i}`).join(" ");
    const cli = [process.execPath, path.join(repoRoot(), "lib", "bin", "adeflow.js"), "encode", "--model", DIR];
    // a reader that starts late: the pipe (64 KB) is full before the command is done writing
    const r = spawnSync("sh", ["-c", `"$@" --text "${text}" | (sleep 1; cat)`, "sh", ...cli], {
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.length > 200_000, `${r.stdout.length} characters`);
    const j = JSON.parse(r.stdout);
    assert.equal(j.hidden_states.length, 3);
    assert.equal(j.hidden_states[2].length, 128); // truncated to --max-length
    assert.equal(j.model_source, "local");
    assert.match(j.model_hash, /^[0-9a-f]{64}$/);
  },
);

test("bench (tiny, one backend) prints a table and JSON rows with throughput", async () => {
  const text = await capture(() =>
    benchCommand.run(
      parseFlags(benchCommand, ["--models", "tiny", "--backends", "wasm,cpu", "--iters", "1", "--no-torch"])!,
    ),
  );
  const json = JSON.parse(text.slice(text.indexOf("\n{") + 1));
  assert.match(text, /^engine\s+model/);
  assert.equal(json.rows.length, 2);
  for (const r of json.rows as BenchRow[]) {
    assert.ok(r.forward_tokens_per_s! > 0 && r.train_tokens_per_s! > 0 && r.peak_tensor_mb! > 0, JSON.stringify(r));
  }
  assert.equal(json.rows[1].ratio_peer, "tfjs cpu");
  assert.equal(json.rows[1].forward_ratio, 1);
});

test("bench native rows: the tiny model trains on TensorFlow in a process of its own, on the threads asked for", async (t) => {
  const missing = nativeUnavailable();
  if (missing) return t.skip(missing);
  const run = async (args: string[]) => {
    const text = await capture(() => benchCommand.run(parseFlags(benchCommand, args)!));
    return { text, json: JSON.parse(text.slice(text.indexOf("\n{") + 1)) };
  };
  const { text, json } = await run([
    ...["--models", "native", "--native-models", "tiny", "--native-iters", "2", "--native-threads", "1", "--no-torch"],
  ]);
  assert.equal(json.native.length, 1);
  const row = json.native[0];
  assert.match(row.engine, /^tfjs tensorflow \(TensorFlow \d+\.\d+/);
  assert.deepEqual([row.model, row.batch, row.seq, row.steps, row.step_s.length], ["tiny", 8, 128, 2, 2]);
  assert.equal(row.threads, 1, "TF_NUM_INTRAOP_THREADS reached the measuring process");
  assert.ok(row.train_tokens_per_s > 0 && row.user_s_per_step > 0, JSON.stringify(row));
  // the measuring process's peak (VmHWM): TensorFlow's library alone keeps over 100 MB resident
  assert.ok(row.peak_rss_mb > 100, JSON.stringify(row));
  assert.equal(row.torch_ratio, null, "no peer with --no-torch");
  assert.equal(json.torch_peer, null);
  assert.match(text, /^\(no BERT rows/);
  assert.match(text, /engine \(training, native rows\)/);
  assert.match(text, /native rows: 8x128 tokens, 1 thread on both sides/);

  const without = await run(["--models", "native", "--backends", "wasm", "--no-torch"]);
  assert.deepEqual(without.json.native, []);
  assert.match(without.text, /native rows skipped: tensorflow is not in --backends/);
});

test("ratios use pytorch as the peer when present", () => {
  const row = (engine: string, f: number, t: number): BenchRow => ({
    engine,
    model: "tiny",
    batch: 1,
    seq: 1,
    forward_tokens_per_s: f,
    train_tokens_per_s: t,
    peak_tensor_mb: null,
    rss_mb: 0,
    segment_sum_share: null,
  });
  const rows = [row("tfjs cpu", 10, 5), row("pytorch 1.13", 100, 20)];
  addRatios(rows);
  assert.equal(rows[0].forward_ratio, 0.1);
  assert.equal(rows[0].train_ratio, 0.25);
  assert.equal(rows[0].ratio_peer, "pytorch 1.13");
});

test("bench tagging: the tagger and its WordPiece peer read the same RE rows, the peer's ratio is 1", async () => {
  process.env.ADE_CORPUS_DIR ??= testCorpusDir();
  const rows = await benchTagging();
  assert.deepEqual(
    rows.map((r) => r.engine),
    ["WordPiece tokenizer (peer)", "wink-nlp POS tagger"],
  );
  assert.equal(rows[0].rows, 12951, "every RE row of the study's pipeline");
  assert.equal(rows[0].words, rows[1].words);
  assert.equal(rows[0].ratio, 1);
  assert.ok(rows[1].words_per_s > 0 && Math.abs(rows[1].ratio - rows[1].words_per_s / rows[0].words_per_s) < 1e-9);
});
