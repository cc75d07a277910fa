/**
 * Exported folders read back: a NER export (or any BertForTokenClassification folder with the study's labels) as a
 * trained NER model, an RE export as a trained RE model, and, for fine-tuning on from an export (`ADEFLOW_MODEL`),
 * its classifier. The encoder always comes from `bert.*` through `loadBert`, which reads every hub naming variant.
 * A token classifier with other labels is refused with its labels named: adeflow reads label ids as the study's
 * five, so any other set would be read wrongly without a word.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadBert, type LoadedBert } from "../../bert/checkpoint";
import { TokenClassifier } from "../../bert/token-classifier";
import { AdeflowError } from "../../errors";
import { readJsonFile } from "../../io/atomic";
import { readSafetensors, type NamedTensor } from "../../io/safetensors";
import { NER_LABELS } from "../../pipeline/rows";
import { RelationModel } from "../../re/model";
import { assignTensors, type StoredModelInfo } from "../shared/model-store";
import { readExportManifest } from "./guard";
import { configLabels, readRelationHeadConfig, RELATION_HEAD_KEY } from "./hf-config";

export type HfFolderKind = "token-classification" | "relation" | "encoder";

/** Whether a folder is in the Hugging Face layout (a `config.json`, no adeflow `model.json`) rather than a stored model. */
export function isHfFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, "config.json")) && !fs.existsSync(path.join(dir, "model.json"));
}

function readConfig(dir: string): Record<string, unknown> {
  const file = path.join(dir, "config.json");
  const raw = readJsonFile<unknown>(file, "model configuration");
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new AdeflowError(`${file}: expected a JSON object`);
  return raw as Record<string, unknown>;
}

/** What a Hugging Face folder holds, by its config: a token classifier, adeflow's RE model, or an encoder only. */
export function hfFolderKind(config: Record<string, unknown>): HfFolderKind {
  if (config[RELATION_HEAD_KEY] !== undefined) return "relation";
  const archs = Array.isArray(config.architectures) ? config.architectures : [];
  return archs.some((a) => typeof a === "string" && a.endsWith("ForTokenClassification"))
    ? "token-classification"
    : "encoder";
}

/** Throws unless `labels` are the study's five, in its order. */
export function checkStudyLabels(labels: readonly string[], file: string): void {
  const same = labels.length === NER_LABELS.length && labels.every((l, i) => l === NER_LABELS[i]);
  if (!same)
    throw new AdeflowError(
      `${file}: its labels are ${labels.join(", ")} (id2label), not the study's ${NER_LABELS.join(", ")} in that ` +
        "order; adeflow reads label ids as the study's, so it predicts and fine-tunes only with those",
    );
}

/** The description a loaded export answers to: the trained model's own (from the manifest) when there is one. */
function exportedInfo(dir: string, task: "ner" | "re", labels: string[]): StoredModelInfo {
  const source = readExportManifest(dir)?.source as StoredModelInfo | undefined;
  if (source && source.task === task) return { ...source, exported_folder: dir };
  return { task, baseModel: dir, baseModelDir: dir, labels, profile: {}, exported_folder: dir };
}

function headTensor(tensors: Map<string, NamedTensor>, name: string, shape: number[], file: string): NamedTensor {
  const t = tensors.get(name);
  if (!t) throw new AdeflowError(`${file}: has no ${name}, so it holds no token-classification head`);
  if (t.shape.join(",") !== shape.join(","))
    throw new AdeflowError(`${file}: ${name} is [${t.shape}], but config.json asks for [${shape}]`);
  return t;
}

/**
 * The classifier of a token-classification folder, when `bert` was loaded from one (fine-tuning on from an export):
 * undefined for an encoder-only checkpoint or one without labels; refused when its labels are not the study's.
 */
export function exportedClassifier(
  bert: LoadedBert,
): { weight: NamedTensor; bias: NamedTensor; file: string } | undefined {
  const dir = bert.model.dir;
  const configFile = path.join(dir, "config.json");
  const config = readConfig(dir);
  if (hfFolderKind(config) !== "token-classification") return undefined;
  const labels = configLabels(config, configFile);
  if (!labels) return undefined;
  checkStudyLabels(labels, configFile);
  const file = path.join(dir, "model.safetensors");
  const tensors = readSafetensors(file);
  const H = bert.config.hidden_size;
  return {
    weight: headTensor(tensors, "classifier.weight", [labels.length, H], file),
    bias: headTensor(tensors, "classifier.bias", [labels.length], file),
    file,
  };
}

/** A NER export (any BertForTokenClassification folder with the study's labels) as a trained NER model. */
export async function loadExportedNer(
  dir: string,
): Promise<{ model: TokenClassifier; bert: LoadedBert; info: StoredModelInfo }> {
  const configFile = path.join(dir, "config.json");
  const config = readConfig(dir);
  const kind = hfFolderKind(config);
  if (kind !== "token-classification")
    throw new AdeflowError(
      `${configFile}: ${kind === "relation" ? "this is an exported RE model" : "this checkpoint has no token-classification head"}` +
        ` (architectures ${JSON.stringify(config.architectures ?? [])}), not a NER model; export one with ` +
        "`adeflow export --task ner`, or train it (notebook 04)",
    );
  const labels = configLabels(config, configFile);
  if (!labels) throw new AdeflowError(`${configFile}: has no id2label, so its label ids cannot be read`);
  checkStudyLabels(labels, configFile);
  const bert = await loadBert(dir);
  const model = new TokenClassifier(bert.encoder, labels.length, 0);
  try {
    const file = path.join(dir, "model.safetensors");
    const tensors = readSafetensors(file);
    const H = bert.config.hidden_size;
    headTensor(tensors, "classifier.weight", [labels.length, H], file);
    headTensor(tensors, "classifier.bias", [labels.length], file);
    assignTensors(
      file,
      tensors,
      new Map([
        ["classifier.weight", model.weight],
        ["classifier.bias", model.bias],
      ]),
    );
  } catch (err) {
    model.dispose();
    bert.encoder.dispose();
    throw err;
  }
  return { model, bert, info: exportedInfo(dir, "ner", labels) };
}

/** An RE export as a trained RE model: the head built as `adeflow_relation_head` says, its tensors by name. */
export async function loadExportedRe(
  dir: string,
): Promise<{ model: RelationModel; bert: LoadedBert; info: StoredModelInfo }> {
  const configFile = path.join(dir, "config.json");
  const config = readConfig(dir);
  if (hfFolderKind(config) !== "relation")
    throw new AdeflowError(
      `${configFile}: has no "${RELATION_HEAD_KEY}" section, so it is not an exported RE model; export one with ` +
        "`adeflow export --task re`, or train it (notebook 05)",
    );
  const head = readRelationHeadConfig(config, configFile);
  const bert = await loadBert(dir);
  let model: RelationModel | undefined;
  try {
    model = new RelationModel(bert.encoder, {
      layers: head.hidden_states,
      seqLen: head.max_length,
      numClasses: head.num_classes,
      lstmUnits: head.lstm_units,
      denseUnits: head.dense_units,
      dropout: head.dropout,
    });
    const file = path.join(dir, "model.safetensors");
    assignTensors(file, readSafetensors(file), model.head.variables);
  } catch (err) {
    model?.dispose();
    bert.encoder.dispose();
    throw err;
  }
  const labels = Array.from({ length: head.num_classes }, (_, k) => String(k));
  return { model, bert, info: exportedInfo(dir, "re", labels) };
}
