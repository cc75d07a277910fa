import { test } from "node:test";
import assert from "node:assert/strict";
import type { DrugDoseRelation, DrugEffectRelation, NegativeSentence } from "../src/corpus/records";
import {
  ambiguityReport,
  corpusOverview,
  doseOverview,
  edaSummary,
  exploreCorpus,
  overviewRows,
  entityFrequencies,
  entityLengthSummary,
  entityMentions,
  fanOutExamples,
  groupBySentence,
  integerHistogram,
  longTail,
  rankCounts,
  relationsPerSentence,
  sentenceLengths,
  summarize,
} from "../src/eda";

let line = 0;
const rel = (pmid: string, sentence: string, drug: string, effect: string): DrugEffectRelation => ({
  pmid,
  sentence,
  drug,
  effect,
  drugBegin: 0,
  drugEnd: drug.length,
  effectBegin: 0,
  effectEnd: effect.length,
  source: { file: "DRUG-AE.rel", line: ++line },
});
const neg = (pmid: string, sentence: string): NegativeSentence => ({
  pmid,
  sentence,
  source: { file: "ADE-NEG.txt", line: ++line },
});
const dose = (pmid: string, sentence: string, drug: string, d: string): DrugDoseRelation => ({
  pmid,
  sentence,
  drug,
  dose: d,
  drugBegin: 0,
  drugEnd: drug.length,
  doseBegin: 0,
  doseEnd: d.length,
  source: { file: "DRUG-DOSE.rel", line: ++line },
});

const S1 = "Aspirin caused rash and severe nausea.";
const S2 = "Ibuprofen and aspirin caused ulcer.";
const S3 = "Insulin allergy after insulin.";
const relations = [
  rel("1", S1, "Aspirin", "rash"),
  rel("1", S1, "Aspirin", "severe nausea"),
  rel("1", S1, "Aspirin", "rash"), // exact duplicate (another mention in the abstract)
  rel("2", S2, "Ibuprofen", "ulcer"),
  rel("2", S2, "aspirin", "ulcer"),
  rel("3", S3, "insulin", "Insulin allergy"), // ambiguous? no: "insulin" != "Insulin" (case-sensitive words)
  rel("3", S3, "Insulin", "Insulin allergy"), // ambiguous: shares "Insulin"
];
const negatives = [
  neg("1", "No effect here."),
  neg("1", "No effect here."),
  neg("9", "Another quiet sentence with six words."),
  neg("2", S2),
];
const doses = [dose("1", S1, "Aspirin", "100 mg"), dose("7", "Lithium 300 mg daily.", "Lithium", "300 mg")];
const corpus = { relations, negatives, doses };

test("corpusOverview counts lines, distinct sentences and PMID overlap", () => {
  assert.deepEqual(corpusOverview(corpus), {
    relationLines: 7,
    distinctRelations: 6,
    exactDuplicateRelations: 1,
    positiveSentences: 3,
    positivePmids: 3,
    negativeLines: 4,
    negativeSentences: 3,
    negativePmids: 3,
    negativePmidsSharedWithPositive: 2,
    negativeSentencesInSharedPmids: 2,
    negativeSentencesAlsoPositive: 1,
    doseRelations: 2,
    distinctDrugs: 3,
    distinctEffects: 4,
  });
});

test("overviewRows labels every overview number once, by file", () => {
  const o = corpusOverview(corpus);
  const rows = overviewRows(o);
  assert.equal(rows.length, Object.keys(o).length);
  assert.deepEqual(rows[0], { file: "DRUG-AE.rel", quantity: "relation lines", count: 7 });
  assert.deepEqual(rows.map((r) => r.count).sort(), Object.values(o).sort());
});

test("groupBySentence keeps distinct pairs per sentence, in order", () => {
  const groups = groupBySentence(relations);
  assert.deepEqual(
    groups.map((g) => [g.sentence, g.pairs.length, g.drugs, g.effects]),
    [
      [S1, 2, ["Aspirin"], ["rash", "severe nausea"]],
      [S2, 2, ["Ibuprofen", "aspirin"], ["ulcer"]],
      [S3, 2, ["insulin", "Insulin"], ["Insulin allergy"]],
    ],
  );
});

test("relationsPerSentence: distribution and one-to-many sentences", () => {
  const extra = [...relations, rel("4", "Drug X gave fever.", "Drug X", "fever")];
  const r = relationsPerSentence(groupBySentence(extra));
  assert.equal(r.sentences, 4);
  assert.equal(r.singleRelation, 1);
  assert.equal(r.multiRelation, 3);
  assert.equal(r.relationsInMultiRelationSentences, 6);
  assert.equal(r.oneDrugManyEffects, 1);
  assert.equal(r.oneEffectManyDrugs, 2);
  assert.equal(r.maxRelations, 2);
  assert.deepEqual(r.histogram, [
    { value: 1, count: 1 },
    { value: 2, count: 3 },
  ]);
  assert.deepEqual(r.drugsPerSentence, [
    { value: 1, count: 2 },
    { value: 2, count: 2 },
  ]);
});

test("fanOutExamples lists one drug with many effects, and one effect with many drugs", () => {
  const groups = groupBySentence(relations);
  assert.deepEqual(fanOutExamples(groups, "drug"), [
    { entity: "Aspirin", partners: "rash; severe nausea", count: 2, sentence: S1 },
  ]);
  assert.deepEqual(
    fanOutExamples(groups, "effect").map((e) => [e.entity, e.partners]),
    [
      ["ulcer", "Ibuprofen; aspirin"],
      ["Insulin allergy", "insulin; Insulin"],
    ],
  );
  assert.equal(fanOutExamples(groups, "effect", 1).length, 1);
});

test("entity mentions and their lengths in words and characters", () => {
  const m = entityMentions(relations);
  // drugs: Aspirin(S1), Ibuprofen, aspirin(S2), insulin, Insulin(S3) = 5; effects: rash, severe nausea, ulcer, Insulin allergy = 4
  assert.equal(m.filter((x) => x.kind === "drug").length, 5);
  assert.equal(m.filter((x) => x.kind === "effect").length, 4);
  const rows = entityLengthSummary(m);
  const effectWords = rows.find((r) => r.entity === "effect" && r.measure === "words")!;
  assert.equal(effectWords.count, 4);
  assert.equal(effectWords.mean, 1.5); // 1, 2, 1, 2
  assert.equal(effectWords.max, 2);
  assert.equal(effectWords.multiWordShare, 0.5);
  const drugChars = rows.find((r) => r.entity === "drug" && r.measure === "characters")!;
  assert.equal(drugChars.min, 7);
  assert.equal(drugChars.max, 9);
  assert.equal(drugChars.median, 7);
});

test("entityFrequencies case-folds names and ranks by sentences", () => {
  assert.deepEqual(entityFrequencies(relations, "drug"), [
    { name: "aspirin", sentences: 2, relations: 3 },
    { name: "insulin", sentences: 1, relations: 2 }, // tie on sentences: more relations first
    { name: "ibuprofen", sentences: 1, relations: 1 },
  ]);
  const tail = longTail(entityFrequencies(relations, "effect"), "effect");
  assert.equal(tail.distinct, 4);
  assert.equal(tail.singletons, 4);
  assert.equal(tail.singletonShare, 1);
  assert.deepEqual(tail.coverage, [0.25, 0.5, 0.75, 1]);
  assert.equal(tail.namesForHalf, 2);
  assert.equal(tail.top10Share, 1);
});

test("sentenceLengths counts words of distinct positive and negative sentences", () => {
  const l = sentenceLengths(corpus);
  assert.deepEqual(l.positive, [6, 5, 4]);
  assert.deepEqual(l.negative, [3, 6, 5]);
});

test("ambiguityReport: the rows the study drops, after deduplication", () => {
  const a = ambiguityReport(relations);
  assert.equal(a.deduplicated, 6);
  assert.equal(a.ambiguous, 1);
  assert.equal(a.kept, 5);
  assert.equal(a.sentencesTouched, 1);
  assert.equal(a.sentencesLostEntirely, 0);
  assert.deepEqual(a.sharedWords, [{ key: "Insulin", count: 1 }]);
  assert.deepEqual(a.examples, [{ drug: "Insulin", effect: "Insulin allergy", sharedWords: "Insulin", sentence: S3 }]);
  const lost = ambiguityReport([rel("5", "Codeine intoxication.", "Codeine", "Codeine intoxication")]);
  assert.equal(lost.sentencesLostEntirely, 1);
});

test("doseOverview relates the dose file to the adverse-effect file", () => {
  assert.deepEqual(doseOverview(corpus), {
    relations: 2,
    sentences: 2,
    pmids: 2,
    sentencesAlsoInAe: 1,
    drugs: 2,
    drugsAlsoInAe: 1,
    topDrugs: [
      { key: "aspirin", count: 1 },
      { key: "lithium", count: 1 },
    ],
  });
});

test("describe helpers: quantiles, histogram with gaps, stable ranking", () => {
  const s = summarize([4, 1, 3, 2]);
  assert.deepEqual(s, { count: 4, mean: 2.5, min: 1, q25: 1.75, median: 2.5, q75: 3.25, q90: 3.7, max: 4 });
  assert.ok(Number.isNaN(summarize([]).mean));
  assert.deepEqual(integerHistogram([3, 1, 1]), [
    { value: 1, count: 2 },
    { value: 2, count: 0 },
    { value: 3, count: 1 },
  ]);
  assert.deepEqual(
    rankCounts(
      new Map([
        ["b", 2],
        ["a", 2],
        ["c", 5],
      ]),
    ),
    [
      { key: "c", count: 5 },
      { key: "a", count: 2 },
      { key: "b", count: 2 },
    ],
  );
});

test("exploreCorpus and edaSummary: one report, JSON without per-item arrays", () => {
  const report = exploreCorpus(corpus);
  assert.equal(report.conflicts, undefined);
  assert.equal(report.perSentence.multiRelation, 3);
  const summary = JSON.parse(JSON.stringify(edaSummary(report)));
  assert.equal(summary.corpus.relationLines, 7);
  assert.deepEqual(summary.relationsPerSentence.histogram, { 2: 3 });
  assert.equal(summary.longTail.effect.coverage, undefined);
  assert.equal(summary.longTail.effect.distinct, 4);
  assert.deepEqual(summary.entityLengths[2], {
    entity: "effect",
    measure: "words",
    count: 4,
    mean: 1.5,
    min: 1,
    q25: 1,
    median: 1.5,
    q75: 2,
    q90: 2,
    max: 2,
    multiWordShare: 0.5,
  });
  assert.equal(summary.sentenceLengthWords.negative.mean, 4.667);
  assert.equal(summary.labelConflicts, undefined);
});
