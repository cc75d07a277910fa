/** Word-aligned tokenization (labels to sub-tokens, specials, truncation, padding). */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { WordAlignedTokenizer, IGNORE_INDEX, resolveModel } from "../src/bert";
import { AdeflowError } from "../src/errors";
import { tinyCheckpointDir } from "../src/paths";

const DIR = tinyCheckpointDir();

test("labels are copied to every sub-token; -100 on [CLS], [SEP] and padding", async () => {
  const tok = await WordAlignedTokenizer.fromDirectory(DIR);
  const words = ["Intravenous", "azithromycin-induced", "ototoxicity."];
  const seq = tok.encodeWords(words, [0, 1, 3], 32);
  const pieces = words.map((w) => tok.wordIds(w).length);
  assert.ok(pieces[1] > 1, "test needs a multi-piece word");
  const n = 2 + pieces.reduce((a, b) => a + b, 0);
  assert.equal(seq.length, n);
  assert.equal(seq.inputIds[0], tok.clsId);
  assert.equal(seq.inputIds[n - 1], tok.sepId);
  assert.equal(seq.tokens[0], "[CLS]");
  const expectLabels = [
    IGNORE_INDEX,
    ...Array(pieces[0]).fill(0),
    ...Array(pieces[1]).fill(1),
    ...Array(pieces[2]).fill(3),
    IGNORE_INDEX,
  ];
  assert.deepEqual(Array.from(seq.labels.slice(0, n)), expectLabels);
  assert.deepEqual(Array.from(seq.wordIndex.slice(0, n)), [
    -1,
    ...Array(pieces[0]).fill(0),
    ...Array(pieces[1]).fill(1),
    ...Array(pieces[2]).fill(2),
    -1,
  ]);
  assert.ok(Array.from(seq.labels.slice(n)).every((l) => l === IGNORE_INDEX));
  assert.ok(Array.from(seq.inputIds.slice(n)).every((i) => i === tok.padId));
  assert.deepEqual(Array.from(seq.attentionMask), [...Array(n).fill(1), ...Array(32 - n).fill(0)]);
  assert.equal(seq.truncated, false);
});

test("truncation keeps the first maxLength tokens, [CLS] included, and so may drop [SEP]", async () => {
  const tok = await WordAlignedTokenizer.fromDirectory(DIR);
  const words =
    "Unaccountable severe hypercalcemia in a patient treated for hypoparathyroidism with dihydrotachysterol .".split(
      " ",
    );
  const full = tok.encodeWords(
    words,
    words.map(() => 0),
    128,
  );
  const cut = tok.encodeWords(
    words,
    words.map(() => 0),
    8,
  );
  assert.equal(cut.truncated, true);
  assert.deepEqual(Array.from(cut.inputIds), Array.from(full.inputIds.slice(0, 8)));
  assert.notEqual(cut.inputIds[7], tok.sepId);
  assert.equal(cut.labels[7], 0, "last kept position is a word piece with its label");
  assert.ok(cut.attentionMask.every((m) => m === 1));
});

test("batch arrays are row-major and typed", async () => {
  const tok = await WordAlignedTokenizer.fromDirectory(DIR);
  const b = tok.encodeBatch(
    [{ words: ["Fever", "."] }, { words: ["Rash", "after", "penicillin", "."], labels: [3, 0, 0, 0] }],
    10,
  );
  assert.ok(b.inputIds instanceof Int32Array && b.labels instanceof Int32Array);
  assert.equal(b.inputIds.length, 20);
  assert.equal(b.inputIds[10], tok.clsId);
  assert.equal(b.labels[11], 3);
  assert.equal(b.labels[1], IGNORE_INDEX);
});

test("a folder with only vocab.txt gives the same ids as tokenizer.json", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-vocab-"));
  try {
    for (const f of ["vocab.txt", "tokenizer_config.json"]) fs.copyFileSync(path.join(DIR, f), path.join(tmp, f));
    const a = await WordAlignedTokenizer.fromDirectory(DIR);
    const b = await WordAlignedTokenizer.fromDirectory(tmp);
    const text = "Lithium-induced nephrogenic diabetes insipidus (NDI) in a 45-year-old woman.";
    assert.deepEqual(Array.from(b.encodeText(text, 40).inputIds), Array.from(a.encodeText(text, 40).inputIds));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("vocab.txt alone honours tokenizer_config.json: do_lower_case, strip_accents, and transformers' defaults", async () => {
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "cafe", "café", "Café", "##s", "CAFE"];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-case-"));
  const ids = async (config: object | undefined, word: string) => {
    fs.writeFileSync(path.join(tmp, "vocab.txt"), vocab.join("\n") + "\n");
    if (config) fs.writeFileSync(path.join(tmp, "tokenizer_config.json"), JSON.stringify(config));
    else fs.rmSync(path.join(tmp, "tokenizer_config.json"), { force: true });
    return (await WordAlignedTokenizer.fromDirectory(tmp)).wordIds(word);
  };
  try {
    // uncased (all-MiniLM-L6-v2's config): lower-cased, and accents go with it (strip_accents null)
    assert.deepEqual(await ids({ do_lower_case: true, strip_accents: null }, "CAFÉs"), [5, 8]);
    // lower-cased but accents kept when strip_accents is false
    assert.deepEqual(await ids({ do_lower_case: true, strip_accents: false }, "CAFÉ"), [6]);
    // cased: as written; accents stripped only when asked
    assert.deepEqual(await ids({ do_lower_case: false }, "Café"), [7]);
    assert.deepEqual(await ids({ do_lower_case: false, strip_accents: true }, "CAFÉ"), [9]);
    // a config without do_lower_case lower-cases, as transformers' BertTokenizer does by default
    assert.deepEqual(await ids({ tokenizer_class: "BertTokenizer" }, "CAFE"), [5]);
    // no config at all: the project's cased default
    assert.deepEqual(await ids(undefined, "CAFE"), [9]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("model references: missing folder files and offline hub ids give actionable errors", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-model-"));
  try {
    fs.copyFileSync(path.join(DIR, "config.json"), path.join(tmp, "config.json"));
    await assert.rejects(
      resolveModel(tmp),
      (e: Error) => e instanceof AdeflowError && /lacks model\.safetensors, tokenizer\.json/.test(e.message),
    );
    const r = await resolveModel(DIR);
    assert.equal(r.source, "local");
    const tr = await import("@huggingface/transformers");
    const prev = tr.env.cacheDir;
    tr.env.cacheDir = tmp;
    try {
      await assert.rejects(
        resolveModel("bert-base-cased", { allowDownload: false }),
        (e: Error) =>
          e instanceof AdeflowError &&
          /not cached/.test(e.message) &&
          /ADEFLOW_MODEL=/.test(e.message) &&
          /--model DIR/.test(e.message),
      );
    } finally {
      tr.env.cacheDir = prev;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("a word that tokenizes to nothing gets no position (as the study's loop)", async () => {
  const tok = await WordAlignedTokenizer.fromDirectory(DIR);
  assert.deepEqual(tok.wordIds("\u0007"), []);
  const seq = tok.encodeWords(["Fever", "\u0007", "."], [1, 2, 0], 16);
  assert.ok(!Array.from(seq.labels).includes(2));
  assert.ok(!Array.from(seq.wordIndex).includes(1));
  assert.equal(seq.length, 2 + tok.wordIds("Fever").length + 1);
});
