/**
 * The model card (`README.md`) of an exported folder: the Hugging Face YAML header (licence, base model, tags, data
 * set, metrics, and for NER the pipeline), then what the model is, how to load it, how its input must be prepared
 * to get what `adeflow predict` gets, how it was trained, the scores its run reached beside the baselines and the
 * study's figures (read from the run's result files, see run-scores.ts), and what it must not be used for.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tinyCheckpointDir } from "../../paths";
import type { RelationHeadConfig } from "./hf-config";
import type { MetricRow } from "../report/records";
import type { StoredModelInfo } from "../shared/model-store";
import { LOCAL_MODEL } from "../shared/profile";
import { REPORTED } from "../shared/reported";
import type { RunScores } from "./run-scores";

/** The Hugging Face data set id of ADE Corpus V2. */
export const ADE_DATASET_ID = "ade-benchmark-corpus/ade_corpus_v2";

/** Base models whose licence is known without their own card. */
const KNOWN_LICENCES: Record<string, string> = {
  "bert-base-cased": "apache-2.0",
  "bert-base-uncased": "apache-2.0",
  "bert-large-cased": "apache-2.0",
  "google-bert/bert-base-cased": "apache-2.0",
  "google-bert/bert-base-uncased": "apache-2.0",
  "google-bert/bert-large-cased": "apache-2.0",
};

export interface BaseLicence {
  /** The YAML `license` value. */
  id: string;
  /** Where it comes from, in words. */
  source: string;
}

/** The `license:` line of a model card's YAML header, if it has one. */
function cardLicence(dir: string): string | undefined {
  const file = path.join(dir, "README.md");
  if (!fs.existsSync(file)) return undefined;
  const header = /^---\r?\n([\s\S]*?)\r?\n---/.exec(fs.readFileSync(file, "utf8"));
  const line = header && /^license:\s*["']?([^"'\s#]+)/m.exec(header[1]);
  return line ? line[1] : undefined;
}

/** The licence of the base model: its own card's, a known hub model's, or adeflow's for the checkpoints it makes. */
export function baseModelLicence(baseModel: string, baseDir: string): BaseLicence {
  const own = cardLicence(baseDir);
  if (own) return { id: own, source: `the base model's own card (${path.basename(baseDir)}/README.md)` };
  if (KNOWN_LICENCES[baseModel]) return { id: KNOWN_LICENCES[baseModel], source: `${baseModel}'s licence on the hub` };
  if (baseModel === LOCAL_MODEL || path.resolve(baseDir) === tinyCheckpointDir())
    return {
      id: "mit",
      source: "adeflow's (MIT): the base model was made by adeflow itself from ADE Corpus V2 sentences",
    };
  return {
    id: "other",
    source: "not recorded: check the base model's own licence before sharing this model",
  };
}

/** How the base model is named in a card: a hub id as it is, a folder by its name (a path says nothing elsewhere). */
export function baseModelName(baseModel: string): string {
  if (baseModel === LOCAL_MODEL) return "adeflow's corpus-made BERT (`local` profile)";
  return /^[\w.-]+(\/[\w.-]+)?$/.test(baseModel) && !fs.existsSync(baseModel)
    ? baseModel
    : path.basename(baseModel.replace(/[\\/]+$/, ""));
}

/** Whether a base model reference is a hub id (the only kind the YAML `base_model` may name). */
const isHubId = (baseModel: string): boolean =>
  baseModel !== LOCAL_MODEL && /^[\w.-]+(\/[\w.-]+)?$/.test(baseModel) && !fs.existsSync(baseModel);

export interface CardInput {
  task: "ner" | "re";
  /** The trained model's own description (model.json). */
  info: StoredModelInfo;
  licence: BaseLicence;
  scores: RunScores;
  /** NER: the labels by id. */
  labels?: readonly string[];
  /** RE: the head's description and the PyTorch module that rebuilds it. */
  head?: RelationHeadConfig;
  module?: string;
  /** The encoder's size, for the text. */
  layers: number;
  hiddenSize: number;
}

const f3 = (x: number | null | undefined): string => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(3) : "-");

function yamlHeader(input: CardInput): string {
  const base = input.info.baseModel;
  const tags =
    input.task === "ner"
      ? ["token-classification", "ner", "adverse-drug-events", "pharmacovigilance", "biomedical", "adeflow"]
      : ["relation-extraction", "adverse-drug-events", "pharmacovigilance", "biomedical", "pytorch", "adeflow"];
  const lines = [
    "---",
    `license: ${input.licence.id}`,
    ...(isHubId(base) ? [`base_model: ${base}`] : []),
    "language:",
    "  - en",
    "tags:",
    ...tags.map((t) => `  - ${t}`),
    "datasets:",
    `  - ${ADE_DATASET_ID}`,
    "metrics:",
    "  - f1",
    "  - precision",
    "  - recall",
    ...(input.task === "ner" ? ["pipeline_tag: token-classification", "library_name: transformers"] : []),
    "---",
  ];
  return lines.join("\n");
}

function metricsTable(rows: readonly MetricRow[]): string {
  return [
    "| split | metric | precision | recall | F1 | the study's F1 |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.split} | ${r.metric} | ${f3(r.precision)} | ${f3(r.recall)} | ${f3(r.f1)} | ${f3(r.reported_f1 ?? null)} |`,
    ),
  ].join("\n");
}

function scoresSection(input: CardInput): string {
  const { scores, task } = input;
  const reported = task === "ner" ? REPORTED.ner : REPORTED.re;
  const out = ["## Scores", ""];
  out.push(
    `The study (REmediNER) reported ${task === "ner" ? "NER" : "RE"} token-level macro F1 ${reported.f1} ` +
      `(precision ${reported.precision}, recall ${reported.recall}) on its test split, which shares sentences with ` +
      "its training split (its augmentation concatenates sentences before the split). The scores below are this " +
      "model's own, from the run that trained it.",
    "",
  );
  if (scores.metrics) out.push(metricsTable(scores.metrics), "");
  if (scores.baselines) {
    out.push(
      `Beside the baseline (${task === "ner" ? "a dictionary of the training rows' strings" : "co-occurrence: every drug paired with every effect of its sentence"}), ` +
        "on the study's split and on the leak-free split (split by PubMed document before the augmentation, where " +
        "a model of the same settings was trained). Strict F1: " +
        (task === "ner" ? "entity-level strict F1 (micro)." : "relation-level strict F1 with the gold masks."),
      "",
      "| split | system | token macro F1 (study) | strict F1 (field) |",
      "| --- | --- | --- | --- |",
      ...scores.baselines.map((r) => `| ${r.split} | ${r.system} | ${f3(r.token_macro_f1)} | ${f3(r.strict_f1)} |`),
      "",
    );
  }
  out.push(...scores.notes.map((n) => `- ${n}`));
  return out.join("\n");
}

function trainingSection(input: CardInput): string {
  const info = input.info;
  const p = info.profile as Record<string, unknown>;
  const setting = (k: string) => (p[k] === undefined ? "not recorded" : String(p[k]));
  const epochs =
    input.task === "re" && p.re_epochs !== undefined
      ? String(p.re_epochs)
      : `${setting("epochs")} + ${setting("final_epochs")} final`;
  return [
    "## Training",
    "",
    `- Base model: ${baseModelName(info.baseModel)} (${input.layers} layers, hidden size ${input.hiddenSize}); ` +
      `licence ${input.licence.id}, from ${input.licence.source}.`,
    `- Data: ADE Corpus V2 (\`${ADE_DATASET_ID}\`: DRUG-AE.rel and ADE-NEG.txt), preprocessed, augmented and split ` +
      "as the study's code does it (adeflow reproduces its row counts exactly).",
    `- Profile \`${setting("profile")}\`: ${setting("train_rows")} / ${setting("val_rows")} / ${setting("test_rows")} ` +
      `rows of train / validation / test, ${epochs} epochs, batch ${setting("batch_size")} x ` +
      `${setting("accumulation_steps")} accumulation, learning rate ${setting("learning_rate")}, max length ` +
      `${setting("max_length")}.`,
    `- Split: ${String(info.split ?? "not recorded")}; seed ${setting("seed")}; backend ${String(info.backend ?? "not recorded")} ` +
      `(TensorFlow.js); saved ${String(info.saved_at ?? "at a time not recorded")}.`,
    "- Trained with adeflow (TypeScript, TensorFlow.js), which reproduces the study *REmediNER*, and exported with " +
      "`adeflow export`.",
  ].join("\n");
}

const NOT_FOR = [
  "## Not for",
  "",
  "Research on text mining only. It must not be used to make or support clinical decisions (diagnosis, treatment,",
  "prescribing, whether a drug caused a patient's symptom), nor as a pharmacovigilance system without people who",
  "check every output: it was trained on sentences of published case reports, it misses and invents entities and",
  "relations, and its scores on the study's split were measured on test sentences that also occur in training.",
].join("\n");

function nerBody(input: CardInput): string {
  const labels = input.labels ?? [];
  return [
    "# Adverse drug events: drugs and effects (NER)",
    "",
    "`BertForTokenClassification` fine-tuned to tag drugs and their adverse effects in English biomedical text, as",
    `the study *REmediNER* trained it (IOB tags, word by word). Labels: ${labels.map((l) => `\`${l}\``).join(", ")}.`,
    "",
    "## Use",
    "",
    "```python",
    "import re",
    "from transformers import pipeline",
    "",
    'ner = pipeline("token-classification", model="path/to/this/folder", aggregation_strategy="first")',
    'text = re.sub(r"[\\W_]", " ", "Intravenous azithromycin-induced ototoxicity.")  # see below; offsets unchanged',
    "print(ner(text))",
    "```",
    "",
    "## Input: prepare it as the model saw it",
    "",
    "adeflow reads a text word by word: a word is a run of letters and digits, everything else separates words, and",
    "each word is tokenized on its own. The pipeline tokenizes the whole text and splits punctuation into tokens of",
    "their own, which the model never saw. Replace every character that is not a letter or a digit by a space first",
    '(`re.sub(r"[\\W_]", " ", text)`, which keeps every offset): on such text both tokenizations give the same word',
    "pieces, and the pipeline gives what `adeflow predict` gives on the same text. Two more conditions:",
    "",
    '- `aggregation_strategy="first"` labels each word with its first piece\'s label, as adeflow does.',
    '  `"simple"` gives the same entities whenever the pieces of each word agree, and can cut a word where they do',
    "  not.",
    "- Texts of up to 126 word pieces (a sentence or two): adeflow reads longer texts in overlapping windows of the",
    "  model's 128 positions, the pipeline in one piece.",
    "",
    "The study lower-cases every drug and effect inside otherwise-cased sentences before training (its",
    "preprocessing), so the model learnt entities in lower case: a capitalised drug or effect (a brand name, the",
    "first word of a sentence) is found less often. adeflow feeds the text as it is, and so does the pipeline.",
    "",
    "```python",
    "from transformers import AutoModelForTokenClassification, AutoTokenizer",
    "",
    'model = AutoModelForTokenClassification.from_pretrained("path/to/this/folder")',
    'tokenizer = AutoTokenizer.from_pretrained("path/to/this/folder")',
    "```",
  ].join("\n");
}

function reBody(input: CardInput): string {
  const h = input.head!;
  return [
    "# Adverse drug events: which drug caused which effect (RE)",
    "",
    `The study *REmediNER*'s relation model: BERT, the hidden states ${h.hidden_states.join(", ")} (0 = the ` +
      `embeddings) concatenated per token, dropout ${h.dropout}, one bidirectional LSTM of ${h.lstm_units} units ` +
      `per direction over all ${h.max_length} positions, flatten, a linear layer to ${h.dense_units}, a linear ` +
      `layer to ${h.max_length} x ${h.num_classes}, exact GELU: association logits for every position. ` +
      "`config.json` describes the head in `adeflow_relation_head`; the tensors keep PyTorch's names and layouts " +
      "(`bert.*` as in BertModel, `lstm.weight_ih_l0` ... `_reverse` as in nn.LSTM, `dense.*` and `classifier.*` " +
      "as in nn.Linear).",
    "",
    "## Input",
    "",
    "The text lower-cased, each drug and each effect (from a NER model, or annotated) replaced by one word, " +
      `\`${h.drug_mask}\` or \`${h.effect_mask}\`; the words tokenized one by one, \`[CLS]\` pieces \`[SEP]\`, cut ` +
      `or padded to exactly ${h.max_length} positions (the flatten layer fixes the length). Each word's ` +
      "association is the arg-max at its first piece: 0 outside any pair, k for the k-th pair of the row; a " +
      `\`${h.drug_mask}\` and an \`${h.effect_mask}\` with the same non-zero number are related.`,
    "",
    "## Use: the module that rebuilds it",
    "",
    "Needs `torch`, `transformers` and `safetensors`. `from_folder` loads every tensor of `model.safetensors` into",
    "the module with `strict` loading, so a missing or extra tensor is an error.",
    "",
    "```python",
    (input.module ?? "").trimEnd(),
    "```",
    "",
    "```python",
    'model = AdeRelationModel.from_folder("path/to/this/folder")',
    'tokenizer = AutoTokenizer.from_pretrained("path/to/this/folder")',
    `print(associations(model, tokenizer, "${h.drug_mask} induced ${h.effect_mask} in one patient".split()))`,
    "```",
  ].join("\n");
}

/** The card's Markdown. */
export function modelCard(input: CardInput): string {
  return [
    yamlHeader(input),
    "",
    input.task === "ner" ? nerBody(input) : reBody(input),
    "",
    trainingSection(input),
    "",
    scoresSection(input),
    "",
    NOT_FOR,
    "",
  ].join("\n");
}
