import type { ProfileRecord } from "../report/records";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { readSafetensors, writeSafetensors, type TensorMap } from "../../io/safetensors";
import { AdeflowError } from "../../errors";
import { writeJsonAtomic } from "../../io";
import { repoRoot } from "../../paths";
import type { BackendInfo } from "../../backend";
import { loadBert, type LoadedBert } from "../../bert/checkpoint";
import { describeProfile, type Profile } from "./profile";

/**
 * Trained models live under `models/` (ignored by git): one folder per profile and base model, one sub-folder
 * per task, holding `model.safetensors` (every parameter by name) and `model.json` (what it is, how it was
 * trained, and the base checkpoint whose config and tokenizer it needs), so notebook 06 and `adeflow predict`
 * load them without retraining.
 */
export function modelsDir(): string {
  return process.env.ADEFLOW_MODELS_DIR ?? path.join(repoRoot(), "models");
}

export function taskModelDir(profileName: string, baseModel: string, task: "ner" | "re" | "pos-ablation" | "benchmark"): string {
  const slug = path.basename(baseModel.replace(/[\\/]+$/, "")).replace(/[^A-Za-z0-9._-]+/g, "_");
  return path.join(modelsDir(), `${profileName}-${slug}`, task);
}

export interface StoredModelInfo {
  task: "ner" | "re";
  /** Hub id or folder of the base checkpoint (config, tokenizer). */
  baseModel: string;
  baseModelDir: string;
  labels: string[];
  profile: ProfileRecord | Record<string, unknown>;
  [key: string]: unknown;
}

export function saveParams(dir: string, params: Map<string, tf.Variable>, info: StoredModelInfo): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: TensorMap = new Map();
  for (const [k, v] of params) tensors.set(k, { shape: v.shape.slice(), data: v.dataSync() as Float32Array });
  // writeSafetensors goes through a temporary file: a crash never leaves a torn model behind
  writeSafetensors(path.join(dir, "model.safetensors"), tensors);
  writeJsonAtomic(path.join(dir, "model.json"), { ...info, saved_at: new Date().toISOString() });
}

export function readModelInfo(dir: string): StoredModelInfo {
  const file = path.join(dir, "model.json");
  if (!fs.existsSync(file)) throw new AdeflowError(`${file}: no trained model here; run the training notebook (04 for NER, 05 for RE) first`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as StoredModelInfo;
}

/** Load saved parameters into a freshly built model of the same shape; lists every mismatch at once. */
export function loadParams(dir: string, params: Map<string, tf.Variable>): void {
  const file = path.join(dir, "model.safetensors");
  const saved = readSafetensors(file);
  const problems: string[] = [];
  for (const [k, v] of params) {
    const t = saved.get(k);
    if (!t) problems.push(`missing ${k}`);
    else if (t.shape.join(",") !== v.shape.join(",")) problems.push(`${k} is [${t.shape}] but the model needs [${v.shape}]`);
  }
  if (problems.length) throw new AdeflowError(`${file}: does not fit the model: ${problems.join("; ")}`);
  for (const [k, v] of params) tf.tidy(() => v.assign(tf.tensor(saved.get(k)!.data, v.shape, "float32")));
}

/** Save a trained task model with what every stored model records: base checkpoint, labels, profile, backend. */
export function saveTaskModel(
  task: "ner" | "re",
  setup: { profile: Profile; bert: LoadedBert; backend: BackendInfo },
  params: Map<string, tf.Variable>,
  labels: string[],
  extra: Record<string, unknown>,
): string {
  const dir = taskModelDir(setup.profile.name, setup.profile.model, task);
  saveParams(dir, params, {
    task,
    baseModel: setup.profile.model,
    baseModelDir: setup.bert.model.dir,
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
  const bert = await loadBert(info.baseModelDir);
  const model = build(bert, info);
  loadParams(dir, model.params());
  return { model, bert, info };
}
