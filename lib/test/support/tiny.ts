/**
 * Deterministic generation of the tiny test checkpoint (lib/test/fixtures/tiny-bert): a
 * 2-layer, hidden-32, 4-head BERT with a cased WordPiece vocabulary built from the ADE
 * corpus sentences and seeded random weights, in the Hugging Face folder layout.
 * Regenerate with `node scripts/make-tiny-checkpoint.js` (after `npx tsc -b`). Test support, not library: the
 * checkpoint it writes is committed and the smoke profile loads it like any other folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError } from "../../src/errors";
import { parseDrugEffectRelations, parseNegativeSentences } from "../../src/corpus/parse";
import { sharedCorpusDir } from "../../src/paths";
import type { BertConfig } from "../../src/bert/config";
import { BertEncoder } from "../../src/bert/encoder";
import { serializeSafetensors, type TensorMap } from "../../src/io/safetensors";
import { writeFileAtomic } from "../../src/io";
import { hubName } from "../../src/bert/weights";
import { buildWordPieceVocab, makeTokenizerConfig, makeTokenizerJson } from "../../src/bert/wordpiece";

export const TINY_SEED = 20240917;

/** Corpus folder for the tiny vocabulary and the smoke examples (see `sharedCorpusDir`). */
export function tinyCorpusDir(): string {
  return sharedCorpusDir();
}

/**
 * Distinct sentences of DRUG-AE.rel and ADE-NEG.txt, in file order, read with the corpus's own parsers (so a
 * malformed file fails with its file and line here too).
 */
export function readCorpusSentences(dir = tinyCorpusDir()): string[] {
  const read = (name: string): string => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file))
      throw new AdeflowError(`${file}: corpus file not found (set ADE_CORPUS_DIR to the ADE Corpus V2 folder)`);
    return fs.readFileSync(file, "utf8");
  };
  const relations = parseDrugEffectRelations(read("DRUG-AE.rel"), "DRUG-AE.rel").records.map((r) => r.sentence);
  const negatives = parseNegativeSentences(read("ADE-NEG.txt"), "ADE-NEG.txt").records.map((r) => r.sentence);
  return [...new Set([...relations, ...negatives].map((s) => s.trim()).filter((s) => s.length > 0))];
}

export function tinyConfig(vocabSize: number): BertConfig & Record<string, unknown> {
  return {
    architectures: ["BertForMaskedLM"],
    model_type: "bert",
    vocab_size: vocabSize,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 64,
    hidden_act: "gelu",
    max_position_embeddings: 512,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    initializer_range: 0.02,
    pad_token_id: 0,
    position_embedding_type: "absolute",
  };
}

export interface TinyCheckpointFiles {
  "config.json": string;
  "vocab.txt": string;
  "tokenizer.json": string;
  "tokenizer_config.json": string;
  "model.safetensors": Buffer;
}

/** Build all files of the tiny checkpoint in memory (deterministic for a given corpus). */
export function buildTinyCheckpoint(sentences: string[], seed = TINY_SEED): TinyCheckpointFiles {
  const vocab = buildWordPieceVocab(sentences);
  const cfg = tinyConfig(vocab.length);
  const canonical = BertEncoder.randomTensors(cfg, seed, 1);
  const tensors: TensorMap = new Map();
  for (const [n, t] of canonical) tensors.set(hubName(n), t);
  // An MLM-head tensor that loaders must ignore (as in real hub checkpoints).
  tensors.set("cls.predictions.bias", { shape: [vocab.length], data: new Float32Array(vocab.length) });
  return {
    "config.json": JSON.stringify(cfg, null, 2) + "\n",
    "vocab.txt": vocab.join("\n") + "\n",
    "tokenizer.json": JSON.stringify(makeTokenizerJson(vocab)),
    "tokenizer_config.json": JSON.stringify(makeTokenizerConfig(), null, 2) + "\n",
    "model.safetensors": serializeSafetensors(tensors, {
      format: "pt",
      generator: "adeflow tiny-bert",
      seed: String(seed),
    }),
  };
}

export function writeTinyCheckpoint(outDir: string, corpus = tinyCorpusDir(), seed = TINY_SEED): TinyCheckpointFiles {
  const files = buildTinyCheckpoint(readCorpusSentences(corpus), seed);
  for (const [name, data] of Object.entries(files)) writeFileAtomic(path.join(outDir, name), data);
  return files;
}
