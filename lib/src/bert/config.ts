/** Typed BERT configuration, read from a checkpoint's `config.json` (Hugging Face layout). */
import * as fs from "node:fs";
import { AdeflowError } from "../errors";

export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  /** Only "gelu" (the exact erf form, as in bert-base-cased) is supported. */
  hidden_act: "gelu";
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
}

const POSITIVE_INTS = [
  "vocab_size",
  "hidden_size",
  "num_hidden_layers",
  "num_attention_heads",
  "intermediate_size",
  "max_position_embeddings",
  "type_vocab_size",
] as const;

/** Validate a parsed config object; `file` names the source in error messages. */
export function parseBertConfig(raw: unknown, file = "config.json"): BertConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new AdeflowError(`${file}: expected a JSON object`);
  }
  const obj = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of POSITIVE_INTS) {
    const v = obj[k];
    if (v === undefined) problems.push(`field "${k}" is missing`);
    else if (!Number.isInteger(v) || (v as number) <= 0)
      problems.push(`field "${k}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const act = obj.hidden_act ?? "gelu";
  if (act !== "gelu") {
    problems.push(`field "hidden_act" is ${JSON.stringify(act)}; only "gelu" (exact erf GELU) is supported`);
  }
  const prob = (k: string, dflt: number): number => {
    const v = obj[k] ?? dflt;
    if (typeof v !== "number" || !(v >= 0 && v < 1)) {
      problems.push(`field "${k}" must be a number in [0, 1), got ${JSON.stringify(v)}`);
      return dflt;
    }
    return v;
  };
  const eps = obj.layer_norm_eps ?? 1e-12;
  if (typeof eps !== "number" || !(eps > 0))
    problems.push(`field "layer_norm_eps" must be a positive number, got ${JSON.stringify(eps)}`);
  const hidden = prob("hidden_dropout_prob", 0.1);
  const attn = prob("attention_probs_dropout_prob", 0.1);
  if (problems.length === 0 && (obj.hidden_size as number) % (obj.num_attention_heads as number) !== 0) {
    problems.push(
      `field "hidden_size" (${obj.hidden_size}) is not a multiple of "num_attention_heads" (${obj.num_attention_heads})`,
    );
  }
  if (problems.length) throw new AdeflowError(`${file}: ${problems.join("; ")}`);
  return {
    vocab_size: obj.vocab_size as number,
    hidden_size: obj.hidden_size as number,
    num_hidden_layers: obj.num_hidden_layers as number,
    num_attention_heads: obj.num_attention_heads as number,
    intermediate_size: obj.intermediate_size as number,
    hidden_act: "gelu",
    max_position_embeddings: obj.max_position_embeddings as number,
    type_vocab_size: obj.type_vocab_size as number,
    layer_norm_eps: eps as number,
    hidden_dropout_prob: hidden,
    attention_probs_dropout_prob: attn,
  };
}

export function readBertConfig(file: string): BertConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new AdeflowError(`${file}: cannot read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AdeflowError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseBertConfig(raw, file);
}

/** The bert-base-cased architecture (used by the benchmark with random weights). */
export const BERT_BASE_CASED_CONFIG: BertConfig = {
  vocab_size: 28996,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: "gelu",
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
};
