/**
 * The models and batches the benches time: the tiny test checkpoint (its real weights), and BERTs of two published
 * sizes with seeded random weights (the cost per token does not depend on the weights): all-MiniLM-L6-v2's shape
 * and bert-base-cased's. The batch is random word pieces with every position attended and labelled.
 */
import * as path from "node:path";
import { readSafetensors } from "../io";
import { tinyCheckpointDir } from "../paths";
import { BertEncoder, BERT_BASE_CASED_CONFIG, readBertConfig, mapEncoderWeights, type BertConfig } from "../bert";
import type { AlignedBatch } from "../bert/tokenizer";

export type BenchModel = "tiny" | "minilm" | "base";

export const BENCH_MODELS: readonly BenchModel[] = ["tiny", "minilm", "base"];

/** all-MiniLM-L6-v2's architecture: 6 layers of 384, 12 heads, intermediate 1536, the uncased vocabulary. */
export const MINILM_L6_CONFIG: BertConfig = {
  ...BERT_BASE_CASED_CONFIG,
  vocab_size: 30522,
  hidden_size: 384,
  num_hidden_layers: 6,
  num_attention_heads: 12,
  intermediate_size: 1536,
};

/** A batch of B rows of T random word pieces (ids from 5 up), labels 0..4, every position attended. */
export function randomBatch(cfg: BertConfig, B: number, T: number, seed: number): AlignedBatch {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const n = B * T;
  const ids = new Int32Array(n).map(() => 5 + Math.floor(rnd() * (cfg.vocab_size - 5)));
  const labels = new Int32Array(n).map(() => Math.floor(rnd() * 5));
  return {
    batch: B,
    seqLen: T,
    inputIds: ids,
    attentionMask: new Int32Array(n).fill(1),
    labels,
    wordIndex: new Int32Array(n),
    sequences: [],
  };
}

/** The tiny test checkpoint's encoder, with its weights. */
export function tinyEncoder(): BertEncoder {
  const dir = tinyCheckpointDir();
  const cfg = readBertConfig(path.join(dir, "config.json"));
  return BertEncoder.fromTensors(cfg, mapEncoderWeights(readSafetensors(path.join(dir, "model.safetensors")), cfg));
}

/** The architecture of a bench model. */
export function benchConfig(model: BenchModel): BertConfig {
  if (model === "tiny") return readBertConfig(path.join(tinyCheckpointDir(), "config.json"));
  return model === "minilm" ? MINILM_L6_CONFIG : BERT_BASE_CASED_CONFIG;
}

/** The encoder of a bench model: the tiny checkpoint, or a random one (seed 1) of MiniLM's or bert-base's size. */
export function benchEncoder(model: BenchModel): BertEncoder {
  return model === "tiny" ? tinyEncoder() : BertEncoder.random(benchConfig(model), 1);
}
