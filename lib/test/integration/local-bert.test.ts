/** The corpus-made BERT of the `local` profile: vocabulary training, MLM masking and pretraining, the cache. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../../src/backend";
import { loadBert } from "../../src/bert/checkpoint";
import { BertEncoder } from "../../src/bert/encoder";
import { WordAlignedTokenizer } from "../../src/bert/tokenizer";
import { makeTokenizerConfig, makeTokenizerJson, SPECIAL_TOKENS } from "../../src/bert/wordpiece";
import { trainWordPiece } from "../../src/bert/wordpiece-trainer";
import { ensureLocalBert, localBertConfig, type LocalBertSettings } from "../../src/experiment/shared/local-bert";
import { maskForMlm, MlmHead, pretrainMlm } from "../../src/train/mlm";
import { Rng } from "../../src/random/rng";
import { AdeflowError } from "../../src/errors";

const SPECIALS = [...SPECIAL_TOKENS];

test("WordPiece training merges the most frequent pair first, as worked out by hand", () => {
  // words: hug x3, pug x2, bun x1. Pairs: (h,##u) 3, (##u,##g) 5, (p,##u) 2, (b,##u) 1, (##u,##n) 1
  // merge 1: ##u ##g -> ##ug (5); then (h,##ug) 3 -> hug; (p,##ug) 2 -> pug; (b,##u) 1 < minFrequency 2: stop
  const r = trainWordPiece(["hug hug hug", "pug pug bun"], { vocabSize: 100, minFrequency: 2 });
  assert.deepEqual(r.vocab, [...SPECIALS, "##g", "##n", "##u", "b", "h", "p", "##ug", "hug", "pug"]);
  assert.equal(r.merges, 3);
  assert.equal(r.exhausted, true);
  assert.equal(r.words, 3);
  // the size limit stops it earlier: 5 specials + 6 characters + 2 merges
  const capped = trainWordPiece(["hug hug hug", "pug pug bun"], { vocabSize: 13, minFrequency: 2 });
  assert.deepEqual(capped.vocab.slice(-2), ["##ug", "hug"]);
  assert.equal(capped.exhausted, false);
});

test("WordPiece training: ties go to the merged piece that sorts first; punctuation is its own word; order of sentences does not matter", () => {
  const a = trainWordPiece(["cd ab", "ab cd"], { vocabSize: 10 });
  assert.equal(a.vocab.at(-1), "ab"); // (a,##b) and (c,##d) both 2: "ab" < "cd"
  const b = trainWordPiece(["ab cd", "cd ab"], { vocabSize: 10 });
  assert.deepEqual(a.vocab, b.vocab);
  const p = trainWordPiece(["x-ray, x-ray"], { vocabSize: 50, minFrequency: 1 });
  assert.ok(p.vocab.includes("-") && p.vocab.includes(",") && p.vocab.includes("ray"), p.vocab.join(" "));
  assert.throws(() => trainWordPiece(["a"], { vocabSize: 3 }), AdeflowError);
});

test("a trained vocabulary tokenizes through the Hugging Face tokenizer.json the loaders read", async () => {
  const { vocab } = trainWordPiece(["hug hug hug", "pug pug bun"], { vocabSize: 100, minFrequency: 2 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-wp-"));
  try {
    fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(makeTokenizerJson(vocab)));
    fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(makeTokenizerConfig()));
    const tok = await WordAlignedTokenizer.fromDirectory(dir);
    const seq = tok.encodeWords(["hug", "pug", "bun", "hugs"], undefined, 16);
    // "hugs": hug + ##s, and ##s is not in the vocabulary, so the whole word is [UNK] (WordPiece's rule)
    assert.deepEqual(seq.tokens, ["[CLS]", "hug", "pug", "b", "##u", "##n", "[UNK]", "[SEP]"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("MLM masking: 15 % of the real tokens (at least one) chosen, never a special one, labels only there, batch padded to its longest", () => {
  const CLS = 2,
    SEP = 3,
    MASK = 4;
  const ids = { maskId: MASK, special: [0, 1, 2, 3, 4], vocabSize: 30 };
  const long = [CLS, ...Array.from({ length: 20 }, (_, i) => 10 + (i % 15)), SEP];
  const short = [CLS, 11, SEP];
  const b = maskForMlm([long, short], ids, new Rng(7));
  assert.equal(b.seqLen, 22);
  assert.equal(b.chosen.length, 3 + 1); // round(0.15 x 20) = 3, and at least 1 of the short row's one token
  for (const at of b.chosen) {
    const [row, t] = [Math.floor(at / 22), at % 22];
    const original = (row === 0 ? long : short)[t];
    assert.equal(b.labels[at], original);
    assert.ok(!ids.special.includes(original), "a special token was chosen");
    const input = b.inputIds[at];
    assert.ok(input === MASK || input === original || !ids.special.includes(input), `replacement ${input} is special`);
  }
  assert.equal([...b.labels].filter((l) => l !== -100).length, b.chosen.length);
  assert.deepEqual([...b.attentionMask.slice(22, 22 + 4)], [1, 1, 1, 0]);
  assert.equal(b.inputIds[22 + 3], 0, "padding");
  // 80/10/10 over many draws
  const many = maskForMlm(
    Array.from({ length: 400 }, () => long),
    ids,
    new Rng(1),
  );
  const masked = [...many.chosen].filter((at) => many.inputIds[at] === MASK).length / many.chosen.length;
  assert.ok(masked > 0.74 && masked < 0.86, `masked share ${masked}`);
});

test("MLM pretraining: the loss falls on a small sample (seeded, so repeatable)", async () => {
  await initBackend();
  const cfg = {
    ...localBertConfig(
      {
        vocabSize: 0,
        hiddenSize: 16,
        layers: 1,
        heads: 2,
        intermediateSize: 32,
        maxPositions: 32,
        seed: 0,
        pretraining: {} as LocalBertSettings["pretraining"],
      },
      40,
    ),
  };
  const run = async () => {
    const encoder = BertEncoder.fromTensors(cfg, BertEncoder.randomTensors(cfg, 3), true);
    const head = new MlmHead(encoder, 3);
    // a tiny language: token 10 + k is always followed by 20 + k
    const seqs = Array.from({ length: 32 }, (_, i) => [
      2,
      ...Array.from({ length: 6 }, (_, j) => [10 + ((i + j) % 8), 20 + ((i + j) % 8)]).flat(),
      3,
    ]);
    try {
      return await pretrainMlm(
        head,
        seqs,
        { maskId: 4, special: [0, 1, 2, 3, 4], vocabSize: 40 },
        { steps: 60, maxSeconds: 600, batchSize: 8, learningRate: 1e-2, seed: 5 },
      );
    } finally {
      head.dispose();
      encoder.dispose();
    }
  };
  const r = await run();
  assert.equal(r.steps, 60);
  assert.equal(r.stoppedByTime, false);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(r.losses.slice(0, 10));
  const last = mean(r.losses.slice(-10));
  assert.ok(first > Math.log(40) - 1, `initial loss ${first} should be near ln(40) = ${Math.log(40).toFixed(2)}`);
  assert.ok(last < first - 1, `loss fell from ${first.toFixed(3)} to ${last.toFixed(3)} only`);
  assert.deepEqual((await run()).losses, r.losses, "same seed, same losses");
});

test("MLM pretraining stops at its time budget and says so", async () => {
  await initBackend();
  const cfg = localBertConfig(
    {
      vocabSize: 0,
      hiddenSize: 8,
      layers: 1,
      heads: 2,
      intermediateSize: 16,
      maxPositions: 16,
      seed: 0,
      pretraining: {} as LocalBertSettings["pretraining"],
    },
    20,
  );
  const encoder = BertEncoder.fromTensors(cfg, BertEncoder.randomTensors(cfg, 1), true);
  const head = new MlmHead(encoder, 1);
  try {
    const r = await pretrainMlm(
      head,
      [[2, 10, 11, 12, 3]],
      { maskId: 4, special: [0, 1, 2, 3, 4], vocabSize: 20 },
      { steps: 1000, maxSeconds: 0, batchSize: 1, learningRate: 1e-3, seed: 0 },
    );
    assert.equal(r.steps, 1);
    assert.equal(r.stoppedByTime, true);
  } finally {
    head.dispose();
    encoder.dispose();
  }
});

test("the local BERT is written in the Hugging Face layout, reused by fingerprint, rebuilt when a setting or a sentence changes", async () => {
  await initBackend();
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-local-bert-"));
  const settings: LocalBertSettings = {
    vocabSize: 120,
    hiddenSize: 16,
    layers: 2,
    heads: 2,
    intermediateSize: 32,
    maxPositions: 32,
    seed: 0,
    pretraining: { steps: 3, maxSeconds: 600, batchSize: 4, learningRate: 1e-3, maskProbability: 0.15, maxLength: 24 },
  };
  const sentences = [
    "Aspirin caused gastric bleeding.",
    "Methotrexate-induced hepatotoxicity was seen.",
    "No adverse effect of ibuprofen.",
    "Rash after penicillin.",
  ];
  const data = {
    sentences,
    fromNegatives: 1,
    fromTrainingRows: 3,
    excludedTestSentences: 0,
    excludedTestDocumentNegatives: 0,
  };
  try {
    const lines: string[] = [];
    const first = await ensureLocalBert(settings, data, { cacheDir: cache, log: (l) => lines.push(l) });
    assert.equal(first.reused, false);
    const builder = lines.map((l) => /^building in a process of its own \(pid (\d+)\)/.exec(l)).find(Boolean);
    assert.ok(builder && Number(builder[1]) !== process.pid, `pretrained in a child process: ${lines.join(" | ")}`);
    for (const f of [
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
      "vocab.txt",
      "local-bert.json",
    ])
      assert.ok(fs.existsSync(path.join(first.dir, f)), f);
    assert.equal(first.info.pretraining?.steps, 3);
    assert.ok(
      lines.some((l) => /MLM pretraining on 4 sentences/.test(l)),
      lines.join("\n"),
    );
    const bert = await loadBert(first.dir);
    assert.equal(bert.config.num_hidden_layers, 2);
    assert.ok(bert.tokenizer.encodeText("Aspirin caused bleeding", 16).tokens.includes("[CLS]"));
    bert.encoder.dispose();
    const again = await ensureLocalBert(settings, data, { cacheDir: cache });
    assert.equal(again.reused, true);
    assert.equal(again.dir, first.dir);
    const otherSetting = await ensureLocalBert(
      { ...settings, pretraining: { ...settings.pretraining, steps: 2 } },
      data,
      { cacheDir: cache },
    );
    assert.equal(otherSetting.reused, false);
    assert.notEqual(otherSetting.dir, first.dir);
    const otherCorpus = await ensureLocalBert(
      settings,
      { ...data, sentences: [...sentences, "One more sentence."] },
      { cacheDir: cache },
    );
    assert.notEqual(otherCorpus.info.fingerprint, first.info.fingerprint);
    const random = await ensureLocalBert(settings, data, { cacheDir: cache, variant: "random" });
    assert.equal(random.info.pretraining, undefined);
    assert.equal(
      fs.readFileSync(path.join(random.dir, "vocab.txt"), "utf8"),
      fs.readFileSync(path.join(first.dir, "vocab.txt"), "utf8"),
      "both arms share the vocabulary",
    );
    assert.deepEqual(
      fs.readdirSync(cache).filter((f) => f.startsWith(".")),
      [],
      "no temporary folder left",
    );
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
