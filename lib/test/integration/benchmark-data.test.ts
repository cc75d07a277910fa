import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  benchmarkDir,
  checkSentence,
  hasOverlap,
  loadBenchmark,
  overlappingEntities,
  type BenchmarkSentence,
} from "../../src/benchmark/dataset";
import { planFold } from "../../src/benchmark/folds";
import { pairWithGold, readPredictions, writePredictions } from "../../src/benchmark/predictions-file";
import { studyRows } from "../../src/benchmark/study-rows";
import {
  goldWordTags,
  predictionOnTokens,
  reachableByWords,
  sentenceText,
  wordEntityToTokens,
} from "../../src/benchmark/align";
import { concatenationsPerK } from "../../src/pipeline/augment";

const data = loadBenchmark();

test("the benchmark files: 4,272 sentences, ten disjoint folds of 427 (fold 9: 429), 240 overlapping entities in 119 sentences", () => {
  assert.equal(data.sentences.length, 4272);
  assert.deepEqual(
    data.folds.map((f) => f.length),
    [427, 427, 427, 427, 427, 427, 427, 427, 427, 429],
  );
  let entities = 0;
  let sentences = 0;
  for (const s of data.sentences) {
    entities += overlappingEntities(s).size;
    if (hasOverlap(s)) sentences++;
  }
  assert.equal(entities, 240);
  assert.equal(
    data.sentences.reduce((n, s) => n + s.entities.length, 0),
    10839,
  );
  assert.equal(
    data.sentences.reduce((n, s) => n + s.relations.length, 0),
    6821,
    "one per relation of DRUG-AE.rel",
  );
  assert.equal(sentences, 119);
  assert.equal(data.sentences[0].tokens.join(" "), "Intravenous azithromycin - induced ototoxicity .");
});

test("a missing or changed benchmark file is refused with its name", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-spert-"));
  assert.throws(
    () => loadBenchmark(dir),
    (err: Error) =>
      err.message.includes(path.join(dir, "ade_full.json")) &&
      /missing benchmark file.*ADEFLOW_SPERT_DIR/.test(err.message),
  );
  fs.copyFileSync(path.join(data.dir, "ade_full.json"), path.join(dir, "ade_full.json"));
  const folds = fs.readFileSync(path.join(data.dir, "folds.json"), "utf8");
  fs.writeFileSync(path.join(dir, "folds.json"), folds.replace("[83,", "[84,"));
  assert.throws(() => loadBenchmark(dir), /folds\.json: SHA-256 checksum mismatch \(expected 6c769d01/);
  // the variable points elsewhere; the explicit folder wins over it
  assert.equal(benchmarkDir(undefined, { ADEFLOW_SPERT_DIR: dir }), dir);
  assert.equal(benchmarkDir("/x", { ADEFLOW_SPERT_DIR: dir }), "/x");
});

test("a malformed record is named by file, record and field", () => {
  const ok = { tokens: ["a", "b"], entities: [{ type: "Drug", start: 0, end: 1 }], relations: [], orig_id: 5 };
  assert.equal(checkSentence(ok, "p.json", 0).orig_id, 5);
  assert.throws(
    () => checkSentence({ ...ok, entities: [{ type: "Drug", start: 1, end: 3 }] }, "p.json", 7),
    /p\.json: record 7, entities\[0\]: start 1 \/ end 3 is not a token span of a 2-token sentence/,
  );
  assert.throws(
    () => checkSentence({ ...ok, entities: [{ type: "Disease", start: 0, end: 1 }] }, "p.json", 0),
    /entities\[0\]\.type: "Disease" is not one of/,
  );
  assert.throws(
    () => checkSentence({ ...ok, relations: [{ type: "Adverse-Effect", head: 0, tail: 1 }] }, "p.json", 0),
    /relations\[0\]\.tail: 1 is not an index into the 1 entities/,
  );
  assert.throws(
    () => checkSentence({ ...ok, tokens: "a b" }, "p.json", 0),
    /record 0, tokens: must be a list of strings/,
  );
});

test("the fold protocol: training is every other sentence, validation is drawn from it, never from the test fold", () => {
  const plan = planFold(data, 3, { validationFraction: 0.1 }, 0);
  const test = new Set(plan.test);
  assert.equal(plan.test.length, 427);
  assert.equal(plan.train.length + plan.val.length, 4272 - 427);
  assert.equal(plan.val.length, Math.ceil(0.1 * 3845));
  for (const id of [...plan.train, ...plan.val]) assert.ok(!test.has(id), `sentence ${id} is in the test fold`);
  assert.equal(new Set([...plan.train, ...plan.val]).size, 3845, "no sentence twice");
  assert.deepEqual(planFold(data, 3, { validationFraction: 0.1 }, 0), plan, "seeded: the same plan again");
  const capped = planFold(data, 3, { validationFraction: 0.1, trainSentences: 20, testSentences: 5 }, 0);
  assert.deepEqual(capped.val, plan.val.slice(0, 2), "a cap takes the head of the same seeded order");
  assert.equal(capped.train.length, 18);
  assert.deepEqual(capped.test, data.folds[3].slice(0, 5));
  assert.throws(
    () => planFold(data, 10, { validationFraction: 0.1 }, 0),
    /fold 10 does not exist: the benchmark has folds 0\.\.9/,
  );
});

test("benchmark sentences become the study's rows: one per relation, cleaned, tagged, masked; augmented only when asked", () => {
  // sentence 3: "METHODS : We report two cases of pseudoporphyria caused by naproxen and oxaprozin ." (2 relations)
  const s = data.sentences[3];
  const plain = studyRows([s], { augment: false, seed: 0 });
  assert.equal(plain.ner.length, 2);
  assert.equal(plain.counts.concatenations, 0);
  assert.equal(plain.ner[0].text, "METHODS We report two cases of pseudoporphyria caused by naproxen and oxaprozin");
  assert.deepEqual(plain.ner[0].drug, ["naproxen"]);
  assert.deepEqual(
    plain.ner[0].iob.split(" ").filter((t) => t !== "O"),
    ["B-Effect", "B-Drug"],
  );
  assert.equal(plain.re[0].maskedText, "methods we report two cases of EFFECT caused by DRUG and oxaprozin");
  const some = data.sentences.slice(0, 30);
  const augmented = studyRows(some, { augment: true, seed: 0 });
  assert.equal(augmented.counts.concatenations, 3 * concatenationsPerK(augmented.counts.rows));
  assert.equal(augmented.ner.length, augmented.counts.rows + augmented.counts.concatenations);
  // every concatenation is made of these sentences' rows only
  for (const row of augmented.ner) for (const part of row.parts) assert.ok(part < augmented.counts.rows);
});

test("predicted word spans go back onto benchmark tokens, or are counted as unmappable with the reason", () => {
  const st = sentenceText(["5-FU", "induced", "rash", "in", "serum", "Na+"]);
  assert.deepEqual(
    st.words.map((w) => w.text),
    ["5", "FU", "induced", "rash", "in", "serum", "Na"],
  );
  assert.deepEqual(st.tokenSpans[1], { start: 5, end: 12 });
  assert.deepEqual(wordEntityToTokens(st, { type: "Drug", start: 0, end: 1 }), {
    entity: { type: "Drug", start: 0, end: 1 },
  });
  assert.deepEqual(wordEntityToTokens(st, { type: "Effect", start: 2, end: 3 }), {
    entity: { type: "Adverse-Effect", start: 1, end: 3 },
  });
  assert.deepEqual(wordEntityToTokens(st, { type: "Drug", start: 1, end: 1 }), { reason: "starts inside a token" });
  assert.deepEqual(wordEntityToTokens(st, { type: "Drug", start: 0, end: 0 }), { reason: "ends inside a token" });
  // "Na+" can never be matched by the study's words, "5-FU" can
  assert.equal(reachableByWords(st, { type: "Adverse-Effect", start: 4, end: 6 }), false);
  assert.equal(reachableByWords(st, { type: "Drug", start: 0, end: 1 }), true);
  assert.deepEqual(
    goldWordTags(st, {
      entities: [
        { type: "Drug", start: 0, end: 1 },
        { type: "Adverse-Effect", start: 2, end: 3 },
      ],
    }),
    ["B-Drug", "I-Drug", "O", "B-Effect", "O", "O", "O"],
  );
  const mapped = predictionOnTokens(
    { tokens: ["5-FU", "induced", "rash", "in", "serum", "Na+"], orig_id: 9 },
    st,
    [
      { type: "Drug", start: 0, end: 1 },
      { type: "Effect", start: 3, end: 3 },
      { type: "Drug", start: 1, end: 1 },
    ],
    [
      { drug: { start: 0, end: 1 }, effect: { start: 3, end: 3 } },
      { drug: { start: 1, end: 1 }, effect: { start: 3, end: 3 } },
    ],
  );
  assert.deepEqual(mapped.sentence.entities, [
    { type: "Drug", start: 0, end: 1 },
    { type: "Adverse-Effect", start: 2, end: 3 },
  ]);
  assert.deepEqual(
    mapped.sentence.relations,
    [{ type: "Adverse-Effect", head: 1, tail: 0 }],
    "the effect is the head, the drug the tail",
  );
  assert.deepEqual(mapped.unmapped, [{ text: "FU", type: "Drug", reason: "starts inside a token" }]);
  assert.equal(mapped.lostRelations, 1);
});

test("prediction files: written in the benchmark's format, read back, paired with gold by orig_id or by position in a fold", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-pred-"));
  const file = path.join(dir, "p.json");
  const gold = data.folds[0].slice(0, 3).map((id) => data.sentences[id]);
  writePredictions(file, gold);
  const back = readPredictions(file);
  assert.deepEqual(back, gold);
  assert.deepEqual(pairWithGold(file, back, data).gold, gold);
  const anonymous: BenchmarkSentence[] = data.folds[1].map((id) => ({
    ...data.sentences[id],
    orig_id: undefined as unknown as number,
  }));
  assert.throws(() => pairWithGold(file, anonymous, data), /say which fold \(--fold K\)/);
  assert.equal(pairWithGold(file, anonymous, data, 1).gold[0].orig_id, data.folds[1][0]);
  assert.throws(
    () => pairWithGold(file, anonymous.slice(1), data, 1),
    /426 records, but test fold 1 has 427 sentences/,
  );
  const wrongTokens = [{ ...gold[0], tokens: [...gold[0].tokens].reverse() }];
  assert.throws(() => pairWithGold(file, wrongTokens, data), /record 0, tokens: not the tokens of benchmark sentence/);
  assert.throws(() => pairWithGold(file, [gold[0]], data, 1), /not in test fold 1/);
  fs.writeFileSync(file, "[{");
  assert.throws(() => readPredictions(file), /p\.json: not valid JSON/);
});
