/**
 * The `config.json` of an exported model, from the base checkpoint's own: its fields kept (sizes, dropout, vocabulary,
 * epsilon), what describes another task replaced. For NER it is what `BertForTokenClassification.save_pretrained`
 * writes (checked in transformers: scripts/hf_export_reference.py); for RE, the encoder's fields plus a section
 * `adeflow_relation_head` that says how the head is built, which the model card's PyTorch module reads.
 */
import { AdeflowError } from "../../errors";
import type { RelationModel } from "../../re/model";
import { DRUG_MASK, EFFECT_MASK } from "../../pipeline/rows";
import type { WordAlignedTokenizer } from "../../bert/tokenizer";
import { reMaskIds } from "../../re/mask-ids";

/** The config key of the RE head's description. */
export const RELATION_HEAD_KEY = "adeflow_relation_head";

/** The architecture name an RE export declares (the class of the model card's PyTorch module). */
export const RELATION_ARCHITECTURE = "AdeRelationModel";

/** How the RE head is built, in `config.json` (snake case, as the rest of a Hugging Face config). */
export type RelationHeadConfig = {
  /** Indices into BertModel's `hidden_states` (0 = embeddings), concatenated in this order per token. */
  hidden_states: number[];
  /** Units of each direction of the one bidirectional LSTM layer. */
  lstm_units: number;
  /** Width of the first linear layer, after the flatten. */
  dense_units: number;
  /** Dropout on the concatenated hidden states, in training only. */
  dropout: number;
  /** The activation after the last linear layer: exact (erf) GELU. */
  activation: "gelu";
  /** Positions of every input row; the flatten layer fixes it, so rows are padded or cut to exactly this. */
  max_length: number;
  /** Association classes: 0 for a word outside any pair, k for the k-th drug-effect pair of the row. */
  num_classes: number;
  /** The words that replace a whole drug and a whole effect in the (lower-cased) input. */
  drug_mask: string;
  effect_mask: string;
  /**
   * Where the vocabulary is uncased, the ids the masks take instead of their pieces (re/mask-ids.ts: "DRUG" would
   * read as the word "drug"), by mask word; absent for a cased vocabulary.
   */
  mask_token_ids?: Record<string, number>;
  lowercase: true;
};

/** Fields of a base config that describe another task or another writer, replaced in an export. */
const REPLACED = [
  "architectures",
  "id2label",
  "label2id",
  "num_labels",
  "_name_or_path",
  "transformers_version",
  "torch_dtype",
  "dtype",
  RELATION_HEAD_KEY,
];

/** A JSON value with every object's keys sorted, as `save_pretrained` writes (`json.dumps(sort_keys=True)`). */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, sortKeysDeep(obj[k])]),
    );
  }
  return value;
}

function baseFields(base: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(base).filter(([k]) => !REPLACED.includes(k)));
}

/** `config.json` of a NER export: the base's fields, BertForTokenClassification, and the labels both ways. */
export function nerHfConfig(base: Record<string, unknown>, labels: readonly string[]): Record<string, unknown> {
  return sortKeysDeep({
    ...baseFields(base),
    architectures: ["BertForTokenClassification"],
    model_type: "bert",
    // transformers falls back to hidden_dropout_prob when this is null, as the TypeScript head does
    classifier_dropout: base.classifier_dropout ?? null,
    dtype: "float32",
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  }) as Record<string, unknown>;
}

/** The head section of an RE export, from the model itself. */
export function relationHeadConfig(model: RelationModel, tokenizer?: WordAlignedTokenizer): RelationHeadConfig {
  const head = model.head;
  if (head.posEmbeddingSize > 0)
    throw new AdeflowError(
      "this RE model has a part-of-speech embedding (notebook 07's variant): its inputs need the POS tagger, " +
        "which an exported folder cannot carry; export the study's model (notebook 05) instead",
    );
  return {
    hidden_states: [...model.layers],
    lstm_units: head.lstmUnits,
    dense_units: head.denseUnits,
    dropout: head.dropout,
    activation: "gelu",
    max_length: head.seqLen,
    num_classes: head.numClasses,
    drug_mask: DRUG_MASK,
    effect_mask: EFFECT_MASK,
    ...maskTokenIds(tokenizer),
    lowercase: true,
  };
}

function maskTokenIds(tokenizer: WordAlignedTokenizer | undefined): { mask_token_ids?: Record<string, number> } {
  const ids = tokenizer && reMaskIds(tokenizer);
  return ids ? { mask_token_ids: Object.fromEntries([...ids].map(([word, [id]]) => [word, id])) } : {};
}

/** `config.json` of an RE export: the base's fields and the head's description. */
export function reHfConfig(base: Record<string, unknown>, head: RelationHeadConfig): Record<string, unknown> {
  return sortKeysDeep({
    ...baseFields(base),
    architectures: [RELATION_ARCHITECTURE],
    model_type: "bert",
    dtype: "float32",
    [RELATION_HEAD_KEY]: head,
  }) as Record<string, unknown>;
}

/** The labels of a token-classification config, by id (`id2label`); undefined when it has none. */
export function configLabels(config: Record<string, unknown>, file: string): string[] | undefined {
  const raw = config.id2label;
  if (raw === undefined) return undefined;
  if (!raw || typeof raw !== "object" || Array.isArray(raw))
    throw new AdeflowError(`${file}: field "id2label" must be an object of id -> label`);
  const entries = Object.entries(raw as Record<string, unknown>);
  const labels: string[] = [];
  for (const [id, label] of entries) {
    const i = Number(id);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof label !== "string")
      throw new AdeflowError(
        `${file}: field "id2label" must map the ids 0..${entries.length - 1} to label names, found ${JSON.stringify(id)}: ${JSON.stringify(label)}`,
      );
    labels[i] = label;
  }
  return labels;
}

/** The head section of an RE export's config, checked field by field. */
export function readRelationHeadConfig(config: Record<string, unknown>, file: string): RelationHeadConfig {
  const raw = config[RELATION_HEAD_KEY];
  if (!raw || typeof raw !== "object" || Array.isArray(raw))
    throw new AdeflowError(`${file}: field "${RELATION_HEAD_KEY}" is missing or not an object`);
  const head = raw as Record<string, unknown>;
  const problems: string[] = [];
  const positive = (k: string) => {
    if (!Number.isInteger(head[k]) || (head[k] as number) <= 0) problems.push(`"${k}" must be a positive integer`);
  };
  ["lstm_units", "dense_units", "max_length", "num_classes"].forEach(positive);
  const layers = head.hidden_states;
  if (!Array.isArray(layers) || layers.length === 0 || !layers.every((l) => Number.isInteger(l) && l >= 0))
    problems.push(`"hidden_states" must be a non-empty list of hidden-state indices`);
  if (typeof head.dropout !== "number" || !(head.dropout >= 0 && head.dropout < 1))
    problems.push(`"dropout" must be a number in [0, 1)`);
  if (head.activation !== "gelu") problems.push(`"activation" must be "gelu"`);
  if (head.drug_mask !== DRUG_MASK || head.effect_mask !== EFFECT_MASK)
    problems.push(
      `"drug_mask" and "effect_mask" must be "${DRUG_MASK}" and "${EFFECT_MASK}", the masks it was trained with`,
    );
  const ids = head.mask_token_ids;
  if (
    ids !== undefined &&
    (!ids ||
      typeof ids !== "object" ||
      [DRUG_MASK, EFFECT_MASK].some((m) => !Number.isInteger((ids as Record<string, unknown>)[m])))
  )
    problems.push(`"mask_token_ids" must give an integer id for "${DRUG_MASK}" and "${EFFECT_MASK}"`);
  if (problems.length) throw new AdeflowError(`${file}: field "${RELATION_HEAD_KEY}": ${problems.join("; ")}`);
  return head as RelationHeadConfig;
}
