import { initBackend, type BackendInfo } from "../backend";
import { describeAdapter } from "../webgpu";
import { loadBert, type LoadedBert } from "../bert/checkpoint";
import type { WordAlignedTokenizer } from "../bert/tokenizer";
import { loadCorpus } from "../corpus/load";
import { NER_LABELS } from "../pipeline/rows";
import { runSeedPipeline, type SeedPipelineOutput } from "../pipeline/seed-pipeline";
import { TokenClassifier } from "../train/token-classifier";
import { encodeNerRows, type NerExample } from "./ner-data";
import { REPORTED, type NerEvaluation } from "./evaluate";
import { scoresOf, type MetricRow } from "./results";
import { loadTaskModel, saveTaskModel, taskModelDir, type StoredModelInfo } from "./model-store";
import { currentProfile, describeProfile, type Profile } from "./profile";

/** Everything a NER run starts from: settings, backend, base model, the study's rows and split. */
export interface NerSetup {
  profile: Profile;
  backend: BackendInfo;
  bert: LoadedBert;
  pipeline: SeedPipelineOutput;
  train: NerExample[];
  val: NerExample[];
  test: NerExample[];
}

/** The first `n` indices of a split part, in the split's own (shuffled) order: a seeded sample. */
export const takeRows = (indices: readonly number[], n?: number): number[] => indices.slice(0, n ?? indices.length);

/**
 * What NER and RE runs share: the backend, the study's rows and split (seeded), the base model, and each split
 * part sampled to the profile's size and encoded by `encode`.
 */
export async function prepareTask<E>(
  profile: Profile,
  encode: (pipeline: SeedPipelineOutput, indices: number[], tokenizer: WordAlignedTokenizer) => E[],
): Promise<{ profile: Profile; backend: BackendInfo; bert: LoadedBert; pipeline: SeedPipelineOutput; train: E[]; val: E[]; test: E[] }> {
  const backend = await initBackend();
  const pipeline = runSeedPipeline(await loadCorpus(), profile.seed);
  const bert = await loadBert(profile.model);
  const part = (name: "train" | "val" | "test") => encode(pipeline, takeRows(pipeline.split[name], profile.maxRows[name]), bert.tokenizer);
  return { profile, backend, bert, pipeline, train: part("train"), val: part("val"), test: part("test") };
}

export async function prepareNer(profile: Profile = currentProfile()): Promise<NerSetup> {
  return prepareTask(profile, (pipeline, indices, tokenizer) => encodeNerRows(pipeline.ner, indices, tokenizer, profile.maxLength));
}

/** BertForTokenClassification: the encoder plus dropout and a linear layer over the five labels, seeded. */
export function createNerModel(setup: Pick<NerSetup, "bert" | "profile">): TokenClassifier {
  return new TokenClassifier(setup.bert.encoder, NER_LABELS.length, setup.profile.seed);
}

export function nerModelDir(profile: Profile): string {
  return taskModelDir(profile.name, profile.model, "ner");
}

export function saveNerModel(setup: NerSetup, model: TokenClassifier, training: Record<string, unknown>): Promise<string> {
  return saveTaskModel("ner", setup, model.params(), [...NER_LABELS], training);
}

/** A trained NER model back from `models/`, ready to predict. */
export async function loadNerModel(dir: string): Promise<{ model: TokenClassifier; bert: LoadedBert; info: StoredModelInfo }> {
  return loadTaskModel(dir, (bert, info) => new TokenClassifier(bert.encoder, info.labels.length, 0));
}

/** The metric rows of a NER run: the study's token-level macro scores and the field's entity-level ones. */
export function nerMetricRows(evaluations: Record<string, NerEvaluation>): MetricRow[] {
  return Object.entries(evaluations).flatMap(([split, ev]) => [
    { model: "NER", split, metric: "token macro (study)", ...scoresOf(ev.token.macro), reported_f1: split === "test" ? REPORTED.ner.f1 : null },
    { model: "NER", split, metric: "entity micro, strict (field)", ...scoresOf(ev.entity.micro), reported_f1: null },
    { model: "NER", split, metric: "entity macro, strict (field)", ...scoresOf(ev.entity.macro), reported_f1: null },
  ]);
}


/** How a result was made: written next to every result of the run. */
export function runRecord(setup: Pick<NerSetup, "profile" | "backend" | "bert">, seconds: number): Record<string, unknown> {
  return {
    ...describeProfile(setup.profile),
    model_dir: setup.bert.model.dir,
    model_hash: setup.bert.contentHash.slice(0, 16),
    backend: setup.backend.name,
    ...(setup.backend.adapter ? { adapter: describeAdapter(setup.backend.adapter) } : {}),
    seconds: Number(seconds.toFixed(1)),
  };
}
