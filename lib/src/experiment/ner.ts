import { initBackend, type BackendInfo } from "../backend";
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
import { currentProfile, describeProfile, LOCAL_MODEL, type Profile } from "./profile";
import { ensureLocalBert, pretrainingSentences, type LocalBert } from "./local-bert";
import type { Corpus } from "../corpus/records";
import { splitData, type SplitData, type SplitName } from "./splits";

/** Everything a NER run starts from: settings, backend, base model, the study's rows and split. */
export interface NerSetup {
  profile: Profile;
  backend: BackendInfo;
  bert: LoadedBert;
  pipeline: SeedPipelineOutput;
  train: NerExample[];
  val: NerExample[];
  test: NerExample[];
  /** The split the rows come from (its frames, and its parts' row indices before sampling). */
  data: SplitData;
  /** The corpus-made base model of a `local` profile. */
  localBert?: LocalBert;
}

/** The first `n` indices of a split part, in the split's own (shuffled) order: a seeded sample. */
export const takeRows = (indices: readonly number[], n?: number): number[] => indices.slice(0, n ?? indices.length);

/**
 * What NER and RE runs share: the backend, the study's rows and split (seeded), the base model, and each split
 * part sampled to the profile's size and encoded by `encode`.
 */
export async function prepareTask<E>(
  profile: Profile,
  encode: (data: SplitData, indices: number[], tokenizer: WordAlignedTokenizer) => E[],
  split: SplitName = "study",
): Promise<{ profile: Profile; backend: BackendInfo; bert: LoadedBert; pipeline: SeedPipelineOutput; data: SplitData; train: E[]; val: E[]; test: E[]; localBert?: LocalBert }> {
  const backend = await initBackend();
  const corpus = await loadCorpus();
  const pipeline = runSeedPipeline(corpus, profile.seed);
  const data = splitData(pipeline, split);
  const localBert = await localBaseModel(profile, corpus, pipeline);
  const bert = await loadBert(localBert?.dir ?? profile.model);
  const part = (name: "train" | "val" | "test") => encode(data, takeRows(data.split[name], profile.maxRows[name]), bert.tokenizer);
  return { profile, backend, bert, pipeline, data, train: part("train"), val: part("val"), test: part("test"), localBert };
}

/** NER rows of the study's split (default) or of the leak-free one, sampled and encoded for the profile. */
export async function prepareNer(profile: Profile = currentProfile(), split: SplitName = "study"): Promise<NerSetup> {
  return prepareTask(profile, (data, indices, tokenizer) => encodeNerRows(data.ner, indices, tokenizer, profile.maxLength), split);
}

/**
 * The corpus-made BERT of a `local` profile (built once, then read from its cache), or undefined when the
 * profile names a checkpoint. Progress lines go to the console: pretraining takes minutes.
 */
export async function localBaseModel(
  profile: Profile,
  corpus: Pick<Corpus, "negatives">,
  pipeline: SeedPipelineOutput,
  variant: "pretrained" | "random" = "pretrained",
  log: (line: string) => void = (line) => console.log(line),
): Promise<LocalBert | undefined> {
  if (!profile.localBert || profile.model !== LOCAL_MODEL) return undefined;
  return ensureLocalBert(profile.localBert, pretrainingSentences(corpus, pipeline), { variant, log });
}


/** BertForTokenClassification: the encoder plus dropout and a linear layer over the five labels, seeded. */
export function createNerModel(setup: Pick<NerSetup, "bert" | "profile">): TokenClassifier {
  return new TokenClassifier(setup.bert.encoder, NER_LABELS.length, setup.profile.seed);
}

export function nerModelDir(profile: Profile): string {
  return taskModelDir(profile.name, profile.model, "ner");
}

/** Save a trained NER model (to `dir`, by default the profile's `ner` folder). */
export function saveNerModel(setup: NerSetup, model: TokenClassifier, training: Record<string, unknown>, dir?: string): string {
  return saveTaskModel("ner", setup, model.params(), [...NER_LABELS], { split: setup.data.name, ...training }, dir);
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
    seconds: Number(seconds.toFixed(1)),
  };
}
