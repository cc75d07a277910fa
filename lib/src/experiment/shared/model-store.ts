import type { ProfileRecord } from "../report/records";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { readSafetensors, writeSafetensors, type TensorMap } from "../../io/safetensors";
import { AdeflowError, InputFileError } from "../../errors";
import { readJsonFile, writeJsonAtomic } from "../../io";
import { readTensorMap } from "../../ops/read";
import { repoRoot } from "../../paths";
import { setting } from "../../settings";
import type { BackendInfo } from "../../backend";
import { describeModelSource, loadBert, looksLikePath, modelContentHash, type LoadedBert } from "../../bert/checkpoint";
import { describeProfile, type Profile } from "./profile";

/**
 * Trained models live under `models/` (ignored by git): one folder per profile and base model, one sub-folder
 * per task, holding `model.safetensors` (every parameter by name) and `model.json` (what it is, how it was
 * trained, and the base checkpoint whose config and tokenizer it needs), so notebook 06 and `adeflow predict`
 * load them without retraining. A base model given as a local folder is filed by its name and the start of its
 * content hash (two folders both called `tiny-bert` hold different models); a hub id by the id, which names one
 * model. The saved model records the full hash, and loading checks it against the base model found.
 */
export function modelsDir(): string {
  return setting("ADEFLOW_MODELS_DIR") ?? path.join(repoRoot(), "models");
}

export function taskModelDir(
  profileName: string,
  baseModel: string,
  task: "ner" | "re" | "pos-ablation" | "benchmark",
): string {
  return path.join(modelsDir(), `${profileName}-${baseModelKey(baseModel)}`, task);
}

/** `tiny-bert-1a2b3c4d5e6f` for a local folder (name and content), `bert-base-cased` for a hub id. */
export function baseModelKey(baseModel: string): string {
  const slug = path.basename(baseModel.replace(/[\\/]+$/, "")).replace(/[^A-Za-z0-9._-]+/g, "_");
  if (!looksLikePath(baseModel)) return slug;
  const dir = path.resolve(baseModel.replace(/^~(?=$|\/)/, setting("HOME") ?? "~"));
  // a folder without weights cannot be trained on or loaded; loading it says so, with its name
  if (!fs.existsSync(path.join(dir, "model.safetensors")) || !fs.existsSync(path.join(dir, "config.json"))) return slug;
  return `${slug}-${modelContentHash(dir).slice(0, 12)}`;
}

/** A folder as stored in model.json: relative to the project when inside it, so a moved clone still finds it. */
function storedFolder(dir: string): string {
  const rel = path.relative(repoRoot(), dir);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : dir;
}

/** The folder model.json names, made absolute again (relative ones against the project). */
function storedFolderPath(stored: string): string {
  return path.isAbsolute(stored) ? stored : path.join(repoRoot(), stored);
}

export interface StoredModelInfo {
  task: "ner" | "re";
  /** Hub id or folder of the base checkpoint (config, tokenizer). */
  baseModel: string;
  /** Its folder: relative to the project when inside it. */
  baseModelDir: string;
  /** sha256 of the base checkpoint's config.json and model.safetensors (see `modelContentHash`). */
  baseModelHash?: string;
  /** Where the base checkpoint's files came from, as `describeModelSource` says (absent in older files). */
  baseModelSource?: string;
  labels: string[];
  profile: ProfileRecord | Record<string, unknown>;
  [key: string]: unknown;
}

export async function saveParams(dir: string, params: Map<string, tf.Variable>, info: StoredModelInfo): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const tensors = await readTensorMap(params);
  // writeSafetensors goes through a temporary file: a crash never leaves a torn model behind
  writeSafetensors(path.join(dir, "model.safetensors"), tensors);
  writeJsonAtomic(path.join(dir, "model.json"), { ...info, saved_at: new Date().toISOString() });
}

export function readModelInfo(dir: string): StoredModelInfo {
  const file = path.join(dir, "model.json");
  if (!fs.existsSync(file))
    throw new AdeflowError(`${file}: no trained model here; run the training notebook (04 for NER, 05 for RE) first`);
  const info = readJsonFile<StoredModelInfo>(file, "trained model's description");
  for (const field of ["task", "baseModel", "baseModelDir"] as const) {
    if (typeof info?.[field] !== "string")
      throw new InputFileError(file, undefined, `field "${field}" is missing or not a string; train the model again`);
  }
  return info;
}

/** Load saved parameters into a freshly built model of the same shape; lists every mismatch at once. */
export function loadParams(dir: string, params: Map<string, tf.Variable>): void {
  const file = path.join(dir, "model.safetensors");
  assignTensors(file, readSafetensors(file), params);
}

/**
 * Give each variable the tensor of its name in `saved` (read from `file`, named in errors); lists every missing or
 * mis-shaped tensor at once, before any variable changes.
 */
export function assignTensors(file: string, saved: TensorMap, params: Map<string, tf.Variable>): void {
  const problems: string[] = [];
  for (const [k, v] of params) {
    const t = saved.get(k);
    if (!t) problems.push(`missing ${k}`);
    else if (t.shape.join(",") !== v.shape.join(","))
      problems.push(`${k} is [${t.shape}] but the model needs [${v.shape}]`);
  }
  if (problems.length) throw new AdeflowError(`${file}: does not fit the model: ${problems.join("; ")}`);
  for (const [k, v] of params) tf.tidy(() => v.assign(tf.tensor(saved.get(k)!.data, v.shape, "float32")));
}

/** Save a trained task model with what every stored model records: base checkpoint, labels, profile, backend. */
export async function saveTaskModel(
  task: "ner" | "re",
  setup: { profile: Profile; bert: LoadedBert; backend: BackendInfo },
  params: Map<string, tf.Variable>,
  labels: string[],
  extra: Record<string, unknown>,
  dir = taskModelDir(setup.profile.name, setup.profile.model, task),
): Promise<string> {
  await saveParams(dir, params, {
    task,
    baseModel: setup.profile.model,
    baseModelDir: storedFolder(setup.bert.model.dir),
    baseModelHash: setup.bert.contentHash,
    baseModelSource: describeModelSource(setup.bert.model),
    labels,
    profile: describeProfile(setup.profile),
    backend: setup.backend.name,
    ...extra,
  });
  return dir;
}

/** Load a stored task model: its base checkpoint, a model built by `build`, then the saved parameters. */
export async function loadTaskModel<M extends { params(): Map<string, tf.Variable> }>(
  dir: string,
  build: (bert: LoadedBert, info: StoredModelInfo) => M,
): Promise<{ model: M; bert: LoadedBert; info: StoredModelInfo }> {
  const info = readModelInfo(dir);
  const baseDir = storedFolderPath(info.baseModelDir);
  // a folder that has gone (a clone moved, a cache cleared) is found again through the hub id it came from
  const bert = await loadBert(fs.existsSync(baseDir) || looksLikePath(info.baseModel) ? baseDir : info.baseModel);
  if (info.baseModelHash !== undefined && info.baseModelHash !== bert.contentHash) {
    bert.encoder.dispose();
    throw new AdeflowError(
      `${dir}: was trained on the base model ${info.baseModel} with content ${info.baseModelHash.slice(0, 12)}, but ${bert.model.dir} now holds ` +
        `${bert.contentHash.slice(0, 12)}; train it again (notebook ${info.task === "ner" ? "04" : "05"}) or restore that base model`,
    );
  }
  const model = build(bert, info);
  loadParams(dir, model.params());
  return { model, bert, info };
}
