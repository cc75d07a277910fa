/**
 * Deterministic generation of the tiny test checkpoint (lib/test/fixtures/tiny-bert): a
 * 2-layer, hidden-32, 4-head BERT with a cased WordPiece vocabulary built from the ADE
 * corpus sentences and seeded random weights, in the Hugging Face folder layout.
 * Regenerate with `node scripts/make-tiny-checkpoint.js` (after `npx tsc -b`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError } from "../errors";
import { sharedCorpusDir } from "../paths";
import type { BertConfig } from "./config";
import { BertEncoder } from "./encoder";
import { serializeSafetensors, type TensorMap } from "./safetensors";
import { writeFileAtomic } from "../io";
import { hubName } from "./weights";
import { buildWordPieceVocab, makeTokenizerConfig, makeTokenizerJson } from "./wordpiece";

export const TINY_SEED = 20240917;

/** Corpus folder for the tiny vocabulary and the smoke examples (see `sharedCorpusDir`). */
export function tinyCorpusDir(): string {
  return sharedCorpusDir();
}

/** Distinct sentences of DRUG-AE.rel and ADE-NEG.txt, in file order. */
export function readCorpusSentences(dir = tinyCorpusDir()): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const push = (s: string) => {
    if (s && !seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  };
  const rel = path.join(dir, "DRUG-AE.rel");
  const neg = path.join(dir, "ADE-NEG.txt");
  for (const f of [rel, neg]) {
    if (!fs.existsSync(f)) throw new AdeflowError(`${f}: corpus file not found (set ADE_CORPUS_DIR to the ADE Corpus V2 folder)`);
  }
  for (const line of fs.readFileSync(rel, "utf8").split("\n")) {
    const parts = line.split("|");
    if (parts.length >= 2) push(parts[1].trim());
  }
  for (const line of fs.readFileSync(neg, "utf8").split("\n")) {
    const m = /^\S+\s+NEG\s+(.*)$/.exec(line.trim());
    if (m) push(m[1].trim());
  }
  return out;
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
    "model.safetensors": serializeSafetensors(tensors, { format: "pt", generator: "adeflow tiny-bert", seed: String(seed) }),
  };
}

export function writeTinyCheckpoint(outDir: string, corpus = tinyCorpusDir(), seed = TINY_SEED): TinyCheckpointFiles {
  const files = buildTinyCheckpoint(readCorpusSentences(corpus), seed);
  for (const [name, data] of Object.entries(files)) writeFileAtomic(path.join(outDir, name), data);
  return files;
}
