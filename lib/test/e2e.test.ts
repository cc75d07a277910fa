import { test } from "node:test";
import assert from "node:assert/strict";
import { findWords, goldRelations, maskPredictedEntities, readRelations } from "../src/experiment/e2e/chain";
import { nerWordsAndTags, wordTagsFromPieces } from "../src/experiment/ner/data";
import { pooledClassWeights } from "../src/train/class-weights";
import { computeClassWeights } from "../src/bert/loss";
import { currentProfile, fitProfileToBackend, LOCAL_MODEL } from "../src/experiment/shared/profile";
import { registryModel } from "../src/bert/registry-mirror";
import { wordsWithOffsets } from "../src/experiment/e2e/predictor";
import { extractionHtml } from "../src/viz/extraction";
import type { AlignedSequence } from "../src/bert/tokenizer";
import { fixture, readJson } from "./helpers";

const words = "Intravenous azithromycin induced severe ototoxicity in one patient".split(" ");

test("predicted entities become one mask each, the rest is lower-cased", () => {
  const m = maskPredictedEntities(words, ["O", "B-Drug", "O", "B-Effect", "I-Effect", "O", "O", "O"]);
  assert.deepEqual(m.words, ["intravenous", "DRUG", "induced", "EFFECT", "in", "one", "patient"]);
  assert.deepEqual(m.entityAt[3], { type: "Effect", start: 3, end: 4 });
});

test("relations pair drugs and effects that carry the same association number", () => {
  const m = maskPredictedEntities("a b c d e f".split(" "), ["B-Drug", "O", "B-Effect", "B-Drug", "O", "B-Effect"]);
  assert.deepEqual(readRelations(m, [1, 0, 1, 2, 0, 2]), [
    { drug: { start: 0, end: 0 }, effect: { start: 2, end: 2 } },
    { drug: { start: 3, end: 3 }, effect: { start: 5, end: 5 } },
  ]);
  assert.deepEqual(readRelations(m, [1, 0, 2, 0, 0, 0]), [], "different numbers: no relation");
  assert.equal(readRelations(m, [1, 0, 1, 1, 0, 1]).length, 4, "one number shared by two drugs and two effects");
});

test("gold relations locate each pair at its first whole-word occurrence", () => {
  const w = "x induced rash and x caused fever".split(" ");
  const g = goldRelations(w, ["x", "x"], ["rash", "fever"]);
  assert.deepEqual(g.relations, [
    { drug: { start: 0, end: 0 }, effect: { start: 2, end: 2 } },
    { drug: { start: 0, end: 0 }, effect: { start: 6, end: 6 } },
  ]);
  assert.equal(goldRelations(w, ["xy"], ["rash"]).unlocatable, 1);
  assert.equal(findWords(["and", "x"], w), 3);
});

test("NER words pair with tags as Python's zip does, and words take their first piece's label", () => {
  const { words: ws, tags } = nerWordsAndTags({
    text: "a cannot b",
    iob: "O O O B-Drug",
    drug: [],
    effect: [],
    parts: [0],
  });
  assert.deepEqual(ws, ["a", "cannot", "b"]);
  assert.deepEqual(tags, ["O", "O", "O"]);
  const seq = { length: 5, wordIndex: Int32Array.from([-1, 0, 1, 1, -1]) } as unknown as AlignedSequence;
  assert.deepEqual(wordTagsFromPieces(seq, [0, 3, 1, 4, 0], 3), ["B-Effect", "B-Drug", "O"]);
});

// Values printed by the study's own compute_weights (scripts/study_class_weights_reference.py).
for (const [i, c] of (readJson(fixture("study-class-weights.json")) as any[]).entries()) {
  test(`class weights equal the study's code, case ${i}`, () => {
    const got = computeClassWeights(c.sequences, 5);
    c.weights.forEach((w: number, k: number) =>
      assert.ok(Math.abs(got[k] - w) < 1e-5, `class ${k}: ${got[k]} != ${w}`),
    );
  });
}

test("final-epoch weights are pooled in proportion to the set sizes", () => {
  assert.deepEqual([...pooledClassWeights(Float32Array.from([1, 2]), 3, Float32Array.from([3, 4]), 1)], [1.5, 2.5]);
});

test("profiles: ADEFLOW_PROFILE picks one, ADEFLOW_MODEL overrides its model, a typo is an error", () => {
  // the default fine-tunes a real pretrained BERT, which the package registry carries where the hub is unreachable
  const local = currentProfile({});
  assert.equal(local.name, "local");
  assert.equal(local.model, "sentence-transformers/all-MiniLM-L6-v2");
  assert.ok(registryModel(local.model), "the default model is in the registry mirror's table");
  assert.equal(currentProfile({ ADEFLOW_MODEL: LOCAL_MODEL }).model, LOCAL_MODEL, "the corpus-made BERT on request");
  assert.equal(currentProfile({ ADEFLOW_PROFILE: "full" }).lengthBuckets, undefined);
  const full = currentProfile({ ADEFLOW_PROFILE: "full" });
  assert.deepEqual(
    [full.epochs, full.batchSize, full.accumulationSteps, full.learningRate, full.finalLearningRate],
    [6, 8, 4, 2e-4, 1e-5],
  );
  assert.equal(currentProfile({ ADEFLOW_PROFILE: "smoke", ADEFLOW_MODEL: "/m" }).model, "/m");
  assert.throws(
    () => currentProfile({ ADEFLOW_PROFILE: "fast" }),
    /ADEFLOW_PROFILE=fast is not one of full, quick, local, smoke/,
  );
});

test("profiles fit the backend: quick's 2 x 16 stays on wasm only, the study's 8 x 4 elsewhere", () => {
  const onWasm = currentProfile({ ADEFLOW_PROFILE: "quick" });
  assert.equal(fitProfileToBackend(onWasm, "wasm"), undefined);
  assert.deepEqual([onWasm.batchSize, onWasm.accumulationSteps], [2, 16]);
  for (const backend of ["webgpu", "tensorflow", "cpu"]) {
    const p = currentProfile({ ADEFLOW_PROFILE: "quick" });
    assert.match(fitProfileToBackend(p, backend) ?? "", /2 x 16 -> 8 x 4/);
    assert.deepEqual([p.batchSize, p.accumulationSteps], [8, 4], backend);
  }
  const full = currentProfile({ ADEFLOW_PROFILE: "full" });
  assert.equal(fitProfileToBackend(full, "webgpu"), undefined);
  assert.deepEqual([full.batchSize, full.accumulationSteps], [8, 4]);
});

test("raw text becomes words with offsets, keeping decimals and x=1.2 whole", () => {
  const text = "Azithromycin-induced ototoxicity (z = 2.27, p=0.01) at 0.5 mg.";
  const words = wordsWithOffsets(text);
  assert.deepEqual(
    words.map((w) => w.text),
    ["Azithromycin", "induced", "ototoxicity", "z", "2.27", "p=0.01", "at", "0.5", "mg"],
  );
  for (const w of words) assert.equal(text.slice(w.start, w.end), w.text);
});

test("extraction HTML highlights entities, numbers their relations and escapes the text", () => {
  const html = extractionHtml({
    text: "<b>x</b> caused rash",
    entities: [
      { type: "Drug", text: "x", start: 3, end: 4 },
      { type: "Effect", text: "rash", start: 16, end: 20 },
    ],
    relations: [{ drug: 0, effect: 1 }],
  });
  assert.match(html, /&lt;b&gt;<mark class="adeflow-entity adeflow-drug"/);
  assert.match(html, /<b>x<\/b> &rarr; <b>rash<\/b>/);
  assert.equal((html.match(/<mark/g) ?? []).length, 2);
  assert.doesNotMatch(html, /<script/);
});
