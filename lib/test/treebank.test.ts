import { test } from "node:test";
import assert from "node:assert/strict";
import { treebankSpans, treebankTokenize } from "../src/text/treebank";
import { fixture, readJson } from "./helpers";

// Tokens and spans printed by NLTK 3.8's TreebankWordTokenizer (scripts/nltk_reference.py).
const ref = readJson<{ cases: { text: string; tokens: string[]; spans: [number, number][] }[] }>(
  fixture("nltk-treebank.json"),
);

for (const [i, c] of ref.cases.entries()) {
  test(`Treebank tokens and spans equal NLTK's, case ${i}: ${JSON.stringify(c.text.slice(0, 40))}`, () => {
    assert.deepEqual(treebankTokenize(c.text), c.tokens);
    assert.deepEqual(treebankSpans(c.text), c.spans);
  });
}

test("'cannot' splits in two, so Treebank tokens outnumber whitespace words (the study's label shift)", () => {
  assert.deepEqual(treebankTokenize("it cannot be"), ["it", "can", "not", "be"]);
});
