import { test } from "node:test";
import assert from "node:assert/strict";
import type { AlignedSequence } from "../src/bert/tokenizer";
import { posIdsForSequence } from "../src/pos/align";
import { tagDistribution } from "../src/pos/stats";
import { POS_NONE, POS_VOCAB, posId } from "../src/pos/tags";
import { WordTagger } from "../src/pos/tagger";

const tagger = new WordTagger();

test("every word of an RE input gets one tag, in context, masks included", () => {
  const words = "the patient developed EFFECT after DRUG therapy .".split(" ");
  const { tags, counts } = tagger.tagWords(words);
  assert.equal(tags.length, words.length);
  assert.equal(tags[0], "DET");
  assert.equal(tags[2], "VERB");
  assert.equal(tags[7], "PUNCT");
  for (const t of tags) assert.ok(POS_VOCAB.includes(t), t);
  assert.deepEqual(
    { ...counts, words: 0 },
    { words: 0, emptyWords: 0, untaggedWords: 0, splitWords: 0, unalignedTokens: 0, unknownTags: 0, failedRows: 0 },
  );
});

test("odd words are tagged and counted: empty, x=1.2, non-ASCII, punctuation around a number", () => {
  const { tags, counts } = tagger.tagWords(["", "x=1.2", "naïve", "α-interferon", "(12.5%)", "😀"]);
  assert.equal(tags.length, 6);
  assert.equal(tags[0], POS_NONE, "an empty word has nothing to tag");
  assert.equal(counts.emptyWords, 1);
  assert.equal(tags[4], "NUM", "the first token that is not punctuation decides");
  assert.ok(counts.splitWords >= 3, `x=1.2, α-interferon and (12.5%) are split by the tagger (${counts.splitWords})`);
  assert.equal(counts.unalignedTokens, 0, "every tagger token is found in the text");
  for (const t of tags.slice(1)) assert.notEqual(t, POS_NONE);
});

test("a word the tagger sees as whitespace is [NONE] and counted; no words is no tags", () => {
  const { tags, counts } = tagger.tagWords(["a", "\u00a0", "b"]);
  assert.equal(tags[1], POS_NONE);
  assert.equal(counts.untaggedWords, 1);
  assert.deepEqual(tagger.tagWords([]).tags, []);
});

test("a tagger that throws marks the row failed, tags [NONE], and the totals keep count", () => {
  const failing = new WordTagger({
    readDoc: () => {
      throw new Error("boom");
    },
    its: {},
  } as unknown as ConstructorParameters<typeof WordTagger>[0]);
  const r = failing.tagWords(["a", "b"]);
  assert.deepEqual(r.tags, [POS_NONE, POS_NONE]);
  assert.equal(r.counts.failedRows, 1);
  failing.tagWords(["c"]);
  assert.equal(failing.totals.failedRows, 2);
  assert.equal(failing.totals.words, 3);
});

test("tags reach sub-tokens as the labels do: every piece carries its word's tag, specials and padding [PAD]", () => {
  const seq = { wordIndex: Int32Array.from([-1, 0, 0, 1, -1, -1]) } as AlignedSequence;
  assert.deepEqual(
    [...posIdsForSequence(seq, ["NOUN", "VERB"])],
    [0, posId("NOUN"), posId("NOUN"), posId("VERB"), 0, 0],
  );
  assert.throws(() => posIdsForSequence(seq, ["NOUN"]), /word 1, but only 1 words/);
  assert.throws(() => posId("NOT-A-TAG"), /not in the vocabulary/);
});

test("tag distribution inside (masks) and outside entities, with the distance between them", () => {
  const d = tagDistribution([
    { words: ["DRUG", "caused", "EFFECT"], tags: ["PROPN", "VERB", "PROPN"] },
    { words: ["EFFECT", "after", "DRUG"], tags: ["NOUN", "ADP", "PROPN"] },
  ]);
  assert.equal(d.insideWords, 4);
  assert.equal(d.outsideWords, 2);
  const propn = d.rows.find((r) => r.tag === "PROPN");
  assert.deepEqual([propn?.inside, propn?.outside, propn?.inside_share], [3, 0, 0.75]);
  assert.equal(d.totalVariation, 1, "no tag is shared between inside and outside here");
  const effect = d.masks.find((m) => m.mask === "EFFECT");
  assert.deepEqual([effect?.words, effect?.other_tag_share, effect?.distinct_tags], [2, 0.5, 2]);
  assert.equal(d.rows.length, POS_VOCAB.length - 1, "every tag listed, zeros kept, [PAD] left out");
  assert.throws(() => tagDistribution([{ words: ["a"], tags: [] }]), /row 0: 1 words but 0 tags/);
});
