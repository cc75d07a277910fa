/**
 * The relation model's masks on cased and uncased vocabularies (re/mask-ids.ts): the study writes DRUG and EFFECT in
 * capitals into lower-cased text, which a cased vocabulary keeps apart from the words "drug" and "effect" and an
 * uncased one does not.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadBert, WordAlignedTokenizer } from "../src/bert";
import { makeTokenizerConfig, makeTokenizerJson } from "../src/bert/wordpiece";
import { encodeReWords, reMaskIds, reWordPieces } from "../src/re/mask-ids";
import { tinyCheckpointDir } from "../src/paths";
import { miniLmFolder } from "./support/minilm";

const WORDS = ["an", "adverse", "drug", "reaction", ":", "DRUG", "caused", "EFFECT"];

test("a cased vocabulary keeps the study's own pieces for the masks", async () => {
  const bert = await loadBert(tinyCheckpointDir());
  try {
    assert.notDeepEqual(bert.tokenizer.wordIds("DRUG"), bert.tokenizer.wordIds("drug"));
    assert.equal(reMaskIds(bert.tokenizer), undefined);
    const seq = encodeReWords(bert.tokenizer, WORDS, undefined, 32);
    assert.deepEqual(seq.inputIds, bert.tokenizer.encodeWords(WORDS, undefined, 32).inputIds);
    assert.equal(reWordPieces(bert.tokenizer, "DRUG"), bert.tokenizer.wordIds("DRUG").length);
  } finally {
    bert.encoder.dispose();
  }
});

test("an uncased vocabulary gives the masks [unused0] and [unused1], which no text produces", async (t) => {
  const model = await miniLmFolder();
  if ("skip" in model) return t.skip(model.skip);
  const bert = await loadBert(model.dir);
  try {
    const tok = bert.tokenizer;
    assert.deepEqual(tok.wordIds("DRUG"), tok.wordIds("drug"), "all-MiniLM-L6-v2 lower-cases the masks");
    const ids = reMaskIds(tok)!;
    assert.deepEqual(ids.get("DRUG"), [tok.idOf("[unused0]")]);
    assert.deepEqual(ids.get("EFFECT"), [tok.idOf("[unused1]")]);
    const seq = encodeReWords(tok, WORDS, [0, 0, 0, 0, 0, 1, 0, 1], 32);
    assert.deepEqual(seq.tokens, [
      "[CLS]",
      "an",
      "adverse",
      "drug",
      "reaction",
      ":",
      "[unused0]",
      "caused",
      "[unused1]",
      "[SEP]",
    ]);
    // the word "drug" of the text stays a word; the labels go with the masks' positions
    assert.deepEqual([...seq.labels.slice(0, 10)], [-100, 0, 0, 0, 0, 0, 1, 0, 1, -100]);
    assert.equal(reWordPieces(tok, "EFFECT"), 1);
  } finally {
    bert.encoder.dispose();
  }
});

test("an uncased vocabulary without reserved tokens keeps what the tokenizer gives (nothing to take instead)", async () => {
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "drug", "effect", "caused"];
  const tr = await import("@huggingface/transformers");
  const hf = new tr.PreTrainedTokenizer(makeTokenizerJson(vocab, { lowercase: true }), {
    ...makeTokenizerConfig(),
    do_lower_case: true,
  });
  const tok = new WordAlignedTokenizer(hf as never, "in-memory");
  assert.deepEqual(tok.wordIds("DRUG"), tok.wordIds("drug"));
  assert.equal(tok.idOf("[unused0]"), undefined);
  assert.equal(reMaskIds(tok), undefined);
});
