import { test } from "node:test";
import assert from "node:assert/strict";
import { readCorpus } from "../../src/corpus/load";
import { cleanText } from "../../src/pipeline/clean";
import { isAmbiguous } from "../../src/pipeline/preprocess";
import { studyIobTags } from "../../src/pipeline/iob";
import { maskSentences } from "../../src/pipeline/mask";
import { runStudyPipeline } from "../../src/pipeline/study-pipeline";
import { readJson, referenceSamplePath, testCorpusDir } from "../helpers";

const reference = readJson(referenceSamplePath());
const output = runStudyPipeline(readCorpus(testCorpusDir()));

test("pipeline counts equal the original's: 6,821 -> 6,632 -> 6,507, 4,271 sentences, 12,951 rows, 10,360/1,295/1,296", () => {
  const c = reference.counts;
  assert.equal(output.counts.relations, c.relations);
  assert.equal(output.counts.afterDedup, c.after_dedup);
  assert.equal(output.counts.uniqueSentencesAfterDedup, c.unique_sentences_after_dedup);
  assert.equal(output.counts.afterDropAmbiguous, c.after_drop_ambiguous);
  assert.equal(output.counts.concatenationsPerK, c.concatenations_per_k);
  assert.equal(output.counts.nerRows, c.ner_rows_after_augmentation);
  assert.equal(output.counts.reRows, c.re_rows_after_augmentation);
  assert.deepEqual(output.counts.split, c.split);
});

test("NER rows equal the original's row for row (text, entities, IOB) on every sampled row", () => {
  let compared = 0;
  for (const rows of Object.values(reference.ner_rows) as any[][]) {
    for (const r of rows) {
      const mine = output.ner[r.row];
      assert.equal(mine.text, r.text, `row ${r.row} text`);
      assert.deepEqual(mine.drug, r.drug, `row ${r.row} drug`);
      assert.deepEqual(mine.effect, r.effect, `row ${r.row} effect`);
      assert.equal(mine.iob, r.iob, `row ${r.row} iob`);
      compared++;
    }
  }
  assert.ok(compared >= 25, `compared ${compared} rows`);
});

test("RE rows equal the original's (masked text and association labels)", () => {
  for (const rows of Object.values(reference.re_rows) as any[][]) {
    for (const r of rows) {
      assert.equal(output.re[r.row].maskedText, r.masked_text, `row ${r.row}`);
      assert.deepEqual(output.re[r.row].annotatedText, r.annotated_text, `row ${r.row}`);
    }
  }
});

test("split indices equal scikit-learn's, in its order", () => {
  for (const part of ["train", "val", "test"] as const) {
    assert.deepEqual(output.split[part].slice(0, reference.split_head[part].length), reference.split_head[part]);
  }
  const all = new Set([...output.split.train, ...output.split.val, ...output.split.test]);
  assert.equal(all.size, output.ner.length, "the three parts partition the rows");
});

test("every RE row has one label per word and every NER row one tag per Treebank token", () => {
  for (const r of output.re) assert.equal(r.annotatedText.length, r.maskedText.split(" ").length);
  assert.equal(output.ner.length, output.re.length);
});

test("cleaning keeps decimals and x=1.2, drops other punctuation, possessives and the final period", () => {
  // expected strings printed by the study's own regexes in Python; a final non-numeric period leaves a space
  assert.equal(cleanText("Patient's dose (5 mg/kg) was 0.5 mg."), "Patient dose 5 mg kg was 0.5 mg ");
  assert.equal(cleanText("z = 2.27, p = 0.01."), "z=2.27 p=0.01");
  assert.equal(cleanText('the "drug-induced" rash.'), "the drug induced rash ");
  assert.equal(cleanText("level was 12."), "level was 12");
});

test("ambiguous rows: any whitespace word of the drug equal to a word of the effect", () => {
  assert.ok(isAmbiguous("insulin glargine", "insulin allergy"));
  assert.ok(!isAmbiguous("insulin", "insulinoma"));
});

test("IOB: first occurrence, B on the token that starts the entity, I inside it", () => {
  assert.deepEqual(studyIobTags("drug a caused bad rash after drug a", ["drug a"], ["bad rash"]), [
    "B-Drug",
    "I-Drug",
    "O",
    "B-Effect",
    "I-Effect",
    "O",
    "O",
    "O",
  ]);
  // literal first match: "gold" is found at the start of "goldfish", which takes the tag (as in the original)
  assert.deepEqual(studyIobTags("the goldfish and gold rash", ["gold"], ["rash"]), [
    "O",
    "B-Drug",
    "O",
    "O",
    "B-Effect",
  ]);
  // "cannot" is two Treebank tokens, so the tags outnumber the words (as in the original)
  assert.deepEqual(studyIobTags("a cannot b x", ["x"], ["b"]), ["O", "O", "O", "B-Effect", "B-Drug"]);
  assert.throws(() => studyIobTags("no entity", ["x"], ["entity"]), /drug "x" does not occur/);
});

test("masking: one mask per entity, later occurrences kept, pair numbers by sentence in a concatenation", () => {
  const [single] = maskSentences(["a drug x caused big rash and drug x again"], ["drug x"], ["big rash"], false);
  assert.equal(single.maskedText, "a DRUG caused EFFECT and drug x again");
  assert.deepEqual(single.annotations, [0, 1, 0, 1, 0, 0, 0, 0]);
  const concat = maskSentences(["p caused q", "r caused s"], ["p", "r"], ["q", "s"], true);
  assert.deepEqual(
    concat.map((m) => m.annotations),
    [
      [1, 0, 1],
      [2, 0, 2],
    ],
  );
});
