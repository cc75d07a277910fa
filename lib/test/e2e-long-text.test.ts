/** Text in, offsets out: code-point offsets, and texts longer than the model's positions read whole. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../src/backend";
import { loadBert, type LoadedBert } from "../src/bert/checkpoint";
import type { AlignedBatch } from "../src/bert/tokenizer";
import { AdePredictor } from "../src/experiment/e2e/predictor";
import { bestWindowPerWord, codePointOffsets, wordWindows } from "../src/experiment/e2e/windows";
import { tinyCheckpointDir } from "../src/paths";

test("windows fit the budget, cover every word, overlap by about half; a text that fits is one window", () => {
  assert.deepEqual(wordWindows([3, 3, 3, 3, 3, 3], 7), [
    { start: 0, end: 2 },
    { start: 1, end: 3 },
    { start: 2, end: 4 },
    { start: 3, end: 5 },
    { start: 4, end: 6 },
  ]);
  assert.deepEqual(wordWindows([1, 2, 1, 1, 2, 1, 1], 4), [
    { start: 0, end: 3 },
    { start: 1, end: 4 },
    { start: 2, end: 5 },
    { start: 3, end: 6 },
    { start: 4, end: 7 },
  ]);
  assert.deepEqual(wordWindows([2, 2, 2], 126), [{ start: 0, end: 3 }]);
  assert.deepEqual(
    wordWindows([10, 1], 4),
    [
      { start: 0, end: 1 },
      { start: 1, end: 2 },
    ],
    "a word longer than the budget gets its own window",
  );
  assert.deepEqual(wordWindows([], 4), [{ start: 0, end: 0 }]);
  // each word is tagged where it is farthest from an edge: words 0..5 in windows [0,4) and [2,6)
  assert.deepEqual(
    bestWindowPerWord(
      [
        { start: 0, end: 4 },
        { start: 2, end: 6 },
      ],
      6,
    ),
    [0, 0, 0, 1, 1, 1],
  );
});

test("code-point offsets: an emoji is one, as in Python", () => {
  assert.deepEqual(Array.from(codePointOffsets("a😀b")), [0, 1, 1, 2, 3]);
  assert.deepEqual(Array.from(codePointOffsets("è")), [0, 1]);
});

/** A stand-in NER model: `label(position in window, word index in window)` for every real piece. */
function fakeNer(bert: LoadedBert, label: (position: number, word: number) => number) {
  const model = {
    predict(batch: AlignedBatch): Int32Array {
      const out = new Int32Array(batch.batch * batch.seqLen);
      for (let i = 0; i < out.length; i++)
        if (batch.wordIndex[i] >= 0) out[i] = label(i % batch.seqLen, batch.wordIndex[i]);
      return out;
    },
  };
  return {
    model,
    bert,
    info: { task: "ner", baseModel: "tiny", baseModelDir: "tiny", labels: [], profile: {} },
  } as unknown as AdePredictor["ner"];
}

function fakeRe(bert: LoadedBert) {
  const model = { seqLen: 128, predict: (batch: AlignedBatch) => new Int32Array(batch.batch * batch.seqLen) };
  return {
    model,
    bert,
    info: { task: "re", baseModel: "tiny", baseModelDir: "tiny", labels: [], profile: {} },
  } as unknown as AdePredictor["re"];
}

const FILLER = "the patient developed a severe rash after intravenous azithromycin and recovered".split(" ");
const longText = (words: number) =>
  "😀 ibuprofène " + Array.from({ length: words }, (_, i) => FILLER[i % FILLER.length]).join(" ");

test("offsets are code points: after an emoji, ibuprofène slices as ibuprofène in Python's units", async () => {
  await initBackend({ force: "cpu" });
  const bert = await loadBert(tinyCheckpointDir(), { trainable: false });
  // every word its own drug (B-Drug on every piece of it: each piece starts the word it belongs to)
  const predictor = new AdePredictor(
    fakeNer(bert, () => 1),
    fakeRe(bert),
  );
  const text = "😀 ibuprofène 𝑥 caused rash";
  const x = await predictor.extract(text);
  assert.equal(x.offsets, "unicode code points");
  const codePoints = Array.from(text);
  assert.deepEqual(
    x.entities.map((e) => [e.text, e.start, e.end]),
    [
      ["ibuprofène", 2, 12],
      ["𝑥", 13, 14],
      ["caused", 15, 21],
      ["rash", 22, 26],
    ],
  );
  for (const e of x.entities) assert.equal(codePoints.slice(e.start, e.end).join(""), e.text);
  bert.encoder.dispose();
});

test("a text longer than the model's positions is read whole, and an entity across the seams comes out whole", async () => {
  await initBackend({ force: "cpu" });
  const bert = await loadBert(tinyCheckpointDir(), { trainable: false });
  const text = longText(400);
  const nWords = 1 + 400; // the emoji is not a word
  // each window tags its first word B-Effect and the rest I-Effect: merged by the most central window, the
  // whole text is one effect; cut after the first window (the old behaviour), it would end there
  const predictor = new AdePredictor(
    fakeNer(bert, (_, word) => (word === 0 ? 3 : 4)),
    fakeRe(bert),
  );
  const x = await predictor.extract(text);
  assert.equal(x.words, nWords);
  assert.ok(x.windows > 3, `${x.windows} windows`);
  assert.equal(x.truncated, false);
  assert.equal(x.entities.length, 1, JSON.stringify(x.entities.map((e) => [e.start, e.end])));
  assert.equal(x.entities[0].type, "Effect");
  assert.equal(x.entities[0].start, 2);
  assert.equal(x.entities[0].end, Array.from(text).length);
  assert.equal(x.entities[0].text, text.slice(3));
  bert.encoder.dispose();
});
