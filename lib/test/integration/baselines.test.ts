/** The dictionary and co-occurrence baselines on hand-made cases, and the leak-free split they are scored on. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readCorpus } from "../../src/corpus/load";
import { relationScores } from "../../src/metrics/entity";
import { runStudyPipeline } from "../../src/pipeline/study-pipeline";
import {
  buildEntityDictionary,
  cooccurrenceReLabels,
  cooccurrenceRelations,
  dictionaryTags,
  evaluateBaselineEndToEnd,
  nerWordSentences,
  piecesFromWordLabels,
  reWordSentences,
} from "../../src/experiment/baselines/baselines";
import {
  cooccurrenceReEvaluation,
  INITIALISATION_ARMS,
  marginSentence,
  pretrainingEffect,
} from "../../src/experiment/baselines/comparison";
import { encodeReRows } from "../../src/experiment/re/data";
import type { ReSetup } from "../../src/experiment/re/task";
import { WordAlignedTokenizer, type AlignedSequence } from "../../src/bert/tokenizer";
import * as path from "node:path";
import { repoRoot } from "../../src/paths";
import { evaluateNer } from "../../src/experiment/ner/evaluate";
import { leakFreeSplit, studySplitData } from "../../src/experiment/shared/splits";
import { testCorpusDir } from "../helpers";

test("dictionary NER: longest entry first, whole words, case-sensitive; a string of both types takes its majority type", () => {
  const dict = buildEntityDictionary([
    { drug: ["aspirin"], effect: ["bleeding"] },
    { drug: ["low dose aspirin"], effect: ["bleeding"] },
    { drug: ["bleeding"], effect: ["rash"] }, // "bleeding" as a drug once, as an effect twice: Effect
  ]);
  assert.equal(dict.maxWords, 3);
  assert.equal(dict.ambiguous, 1);
  const words = "low dose aspirin caused bleeding and aspirin rash but Aspirin dose".split(" ");
  assert.deepEqual(dictionaryTags(dict, words), [
    "B-Drug",
    "I-Drug",
    "I-Drug",
    "O",
    "B-Effect",
    "O",
    "B-Drug",
    "B-Effect",
    "O",
    "O",
    "O",
  ]);
});

test("dictionary predictions scored as the model's: word tags copied to every sub-token, then the same metrics", () => {
  // words: "aspirin" (2 pieces), "caused", "bleeding" (2 pieces); [CLS] and [SEP] carry -100
  const seq: AlignedSequence = {
    inputIds: new Int32Array(8),
    attentionMask: new Int32Array([1, 1, 1, 1, 1, 1, 1, 0]),
    labels: new Int32Array([-100, 1, 1, 0, 3, 3, -100, -100]),
    wordIndex: new Int32Array([-1, 0, 0, 1, 2, 2, -1, -1]),
    tokens: [],
    length: 7,
    truncated: false,
  };
  assert.deepEqual([...piecesFromWordLabels(seq, [1, 0, 3])], [0, 1, 1, 0, 3, 3, 0, 0]);
  const dict = buildEntityDictionary([{ drug: ["aspirin"], effect: ["rash"] }]);
  const tags = dictionaryTags(dict, ["aspirin", "caused", "bleeding"]);
  const ev = evaluateNer(
    [{ row: 0, words: ["aspirin", "caused", "bleeding"], tags: ["B-Drug", "O", "B-Effect"], sequence: seq }],
    [
      piecesFromWordLabels(
        seq,
        tags.map((t) => (t === "B-Drug" ? 1 : 0)),
      ),
    ],
  );
  // entities: gold Drug + Effect, predicted Drug only: precision 1, recall 1/2, F1 2/3
  assert.equal(ev.entity.micro.precision, 1);
  assert.equal(ev.entity.micro.recall, 0.5);
  assert.ok(Math.abs(ev.entity.micro.f1 - 2 / 3) < 1e-12);
  // tokens: O (1 of 1 right), B-Drug (2 of 2), B-Effect (0 of 2, predicted O): macro over the 3 classes present
  // O: precision 1/3, recall 1, F1 0.5; B-Drug: 1, 1, 1; B-Effect: 0, 0, 0 -> macro F1 0.5
  assert.ok(Math.abs(ev.token.macro.f1 - 0.5) < 1e-12, String(ev.token.macro.f1));
});

test("co-occurrence RE: each mask gets its sentence's number; end to end, drugs pair with the effects of their own sentence only", () => {
  const words = ["DRUG", "caused", "EFFECT", "DRUG", "gave", "EFFECT", "EFFECT"];
  assert.deepEqual(cooccurrenceReLabels(words, [0, 0, 0, 1, 1, 1, 1]), [1, 0, 1, 2, 0, 2, 2]);
  // "a b caused c | d gave e f": drugs a-b (0..1) and d (4), effects c (3) and e f (6..7)
  const tags = ["B-Drug", "I-Drug", "O", "B-Effect", "B-Drug", "O", "B-Effect", "I-Effect"] as const;
  const sentences = [0, 0, 0, 0, 1, 1, 1, 1];
  const rel = cooccurrenceRelations(tags, sentences);
  assert.deepEqual(rel, [
    { drug: { start: 0, end: 1 }, effect: { start: 3, end: 3 } },
    { drug: { start: 4, end: 4 }, effect: { start: 6, end: 7 } },
  ]);
  // against gold that pairs only the first: precision 1/2, recall 1
  const s = relationScores([[rel[0]]], [rel]);
  assert.deepEqual([s.precision, s.recall], [0.5, 1]);
});

test("marginSentence says in words whether the model beats the baseline", () => {
  assert.match(
    marginSentence("NER model", "dictionary", "entity F1", 0.6, 0.5),
    /beats the dictionary: entity F1 0\.600 against 0\.500 \(\+0\.100\)/,
  );
  assert.match(marginSentence("NER model", "dictionary", "entity F1", 0.4, 0.5), /does NOT beat the dictionary/);
  assert.match(marginSentence("NER model", "dictionary", "entity F1", 0.5, 0.5), /only ties/);
});

test("on the corpus: sentence boundaries of every NER and RE row, the leak-free split holds no test sentence in training, the baselines run", () => {
  const pipeline = runStudyPipeline(readCorpus(testCorpusDir()), 0);
  for (const data of [studySplitData(pipeline), leakFreeSplit(pipeline)]) {
    data.re.forEach((row, i) => {
      const s = reWordSentences(data.preprocessed, row, i);
      assert.equal(s.at(-1), row.parts.length - 1, `RE row ${i}: last word in the last sentence`);
    });
    data.ner.forEach((row, i) => {
      const s = nerWordSentences(data.preprocessed, row);
      assert.equal(s.length, row.text.split(" ").length, `NER row ${i}`);
    });
  }
  const leakFree = leakFreeSplit(pipeline);
  const sentencesOf = (rows: number[]) =>
    new Set(rows.flatMap((r) => leakFree.ner[r].parts.map((p) => pipeline.preprocessed[p].sentence)));
  const train = sentencesOf(leakFree.split.train);
  const test = sentencesOf(leakFree.split.test);
  assert.ok(test.size > 300, `${test.size} test sentences`);
  assert.equal([...test].filter((s) => train.has(s)).length, 0, "a test sentence occurs in a training row");
  // the first rows of a part are a sample of it, not only its single sentences
  assert.ok(leakFree.split.train.slice(0, 200).some((r) => leakFree.ner[r].parts.length > 1));
  // the study's split does leak (notebook 03): most test sentences are in training rows
  const study = studySplitData(pipeline);
  const studyTrain = new Set(
    study.split.train.flatMap((r) => study.ner[r].parts.map((p) => pipeline.preprocessed[p].sentence)),
  );
  const studyTest = new Set(
    study.split.test.flatMap((r) => study.ner[r].parts.map((p) => pipeline.preprocessed[p].sentence)),
  );
  assert.ok([...studyTest].filter((s) => studyTrain.has(s)).length > 0.9 * studyTest.size);
  // the baselines end to end: a dictionary of the training rows finds relations in the test rows, better on the leaky split
  const score = (d: typeof study) =>
    evaluateBaselineEndToEnd(buildEntityDictionary(d.split.train.map((r) => d.ner[r])), d, d.split.test).relation.f1;
  const leaky = score(study);
  const clean = score(leakFree);
  assert.ok(leaky > clean && clean > 0, `study ${leaky}, leak-free ${clean}`);
});

test("pretrainingEffect states from the numbers what the pretrained checkpoint gave over random weights and a corpus-made BERT", () => {
  const row = (system: string, strict: number) => ({
    split: "leak-free",
    system,
    token_macro_f1: 0.5,
    strict_f1: strict,
    train_rows: 1,
    test_rows: 1,
  });
  const rows = [row("model", 0.62), row(INITIALISATION_ARMS.random, 0.21), row(INITIALISATION_ARMS.corpus, 0.3)];
  assert.equal(
    pretrainingEffect(rows, "sentence-transformers/all-MiniLM-L6-v2"),
    "Pretraining on real text is what this model's score rests on: entity-level strict F1 on the leak-free split 0.620 from sentence-transformers/all-MiniLM-L6-v2's pretrained weights; 0.210 from the same network's random weights (+0.410); 0.300 from a small BERT pretrained on the corpus alone (+0.320). Pretraining on the corpus alone beats no pretraining at all (+0.090).",
  );
  assert.match(
    pretrainingEffect([row("model", 0.2), row(INITIALISATION_ARMS.random, 0.25)], "x"),
    /^Pretraining on real text did not help here: .* \(-0\.050\)\.$/,
  );
  assert.match(pretrainingEffect([row("model", 0.3)], "x"), /^No comparison/);
});

test("co-occurrence on RE rows: with the joined rows' sentence boundaries, and without them (what the model is given)", async () => {
  const pipeline = runStudyPipeline(readCorpus(testCorpusDir()), 0);
  const data = studySplitData(pipeline);
  const tokenizer = await WordAlignedTokenizer.fromDirectory(
    path.join(repoRoot(), "lib", "test", "fixtures", "tiny-bert"),
  );
  const test = encodeReRows(data.re, data.split.test.slice(0, 200), tokenizer, 128);
  assert.ok(
    test.some((ex) => data.re[ex.row].parts.length > 1),
    "some test rows join sentences",
  );
  const setup = { test, data } as unknown as ReSetup;
  const given = cooccurrenceReEvaluation(setup);
  const without = cooccurrenceReEvaluation(setup, { boundaries: false });
  // pairing every mask of a row finds every gold pair the other finds (both lose those cut off at 128 pieces), and
  // the pairs across sentences too
  assert.ok(without.relation.recall >= given.relation.recall, `${without.relation.recall} < ${given.relation.recall}`);
  assert.ok(without.relation.precision < 0.6, `precision ${without.relation.precision}`);
  assert.ok(given.relation.f1 > without.relation.f1 + 0.3, `${given.relation.f1} against ${without.relation.f1}`);
});
