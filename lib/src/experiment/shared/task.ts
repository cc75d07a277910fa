import { initBackend, type BackendInfo } from "../../backend";
import { loadBert, type LoadedBert } from "../../bert/checkpoint";
import type { WordAlignedTokenizer } from "../../bert/tokenizer";
import { loadCorpus } from "../../corpus/load";
import { runStudyPipeline, type StudyPipelineOutput } from "../../pipeline/study-pipeline";
import type { Corpus } from "../../corpus/records";
import { ensureLocalBert, pretrainingSentences, type LocalBert } from "./local-bert";
import { fitProfileToBackend, LOCAL_MODEL, type Profile } from "./profile";
import { splitData, type SplitData, type SplitName } from "./splits";

/** The first `n` indices of a split part, in the split's own (shuffled) order: a seeded sample. */
export const takeRows = (indices: readonly number[], n?: number): number[] => indices.slice(0, n ?? indices.length);

/**
 * What NER and RE runs share: the backend, the rows and split (the study's by default, or the leak-free one),
 * the base model (for a `local` profile built from the corpus, or read from its cache), and each split part
 * sampled to the profile's size and encoded by `encode`.
 */
export async function prepareTask<E>(
  profile: Profile,
  encode: (data: SplitData, indices: number[], tokenizer: WordAlignedTokenizer) => E[],
  split: SplitName = "study",
): Promise<{
  profile: Profile;
  backend: BackendInfo;
  bert: LoadedBert;
  pipeline: StudyPipelineOutput;
  data: SplitData;
  train: E[];
  val: E[];
  test: E[];
  localBert?: LocalBert;
}> {
  const backend = await initBackend();
  const refitted = fitProfileToBackend(profile, backend.name);
  if (refitted) console.log(`profile ${profile.name}: ${refitted}`);
  const corpus = await loadCorpus();
  const pipeline = runStudyPipeline(corpus, profile.seed);
  const data = splitData(pipeline, split);
  const localBert = await localBaseModel(profile, corpus, pipeline, profile.localBert?.initialisation);
  const bert = await loadBert(localBert?.dir ?? profile.model);
  const part = (name: "train" | "val" | "test") =>
    encode(data, takeRows(data.split[name], profile.maxRows[name]), bert.tokenizer);
  return {
    profile,
    backend,
    bert,
    pipeline,
    data,
    train: part("train"),
    val: part("val"),
    test: part("test"),
    localBert,
  };
}

/**
 * The profile's base model, loaded: its checkpoint, or for a `local` profile the BERT built from the corpus (read
 * from its cache, or built once). Used where no corpus rows are needed otherwise (the field's benchmark).
 */
export async function loadProfileBert(profile: Profile): Promise<{ bert: LoadedBert; localBert?: LocalBert }> {
  if (!profile.localBert || profile.model !== LOCAL_MODEL) return { bert: await loadBert(profile.model) };
  const corpus = await loadCorpus();
  const localBert = await localBaseModel(profile, corpus, runStudyPipeline(corpus, profile.seed));
  return { bert: await loadBert(localBert?.dir ?? profile.model), localBert };
}

/**
 * The corpus-made BERT of a `local` profile (built once, then read from its cache), or undefined when the
 * profile names a checkpoint. Progress lines go to the console: pretraining takes minutes.
 */
export async function localBaseModel(
  profile: Profile,
  corpus: Pick<Corpus, "negatives">,
  pipeline: StudyPipelineOutput,
  variant: "pretrained" | "random" = profile.localBert?.initialisation ?? "pretrained",
  log: (line: string) => void = (line) => console.log(line),
): Promise<LocalBert | undefined> {
  if (!profile.localBert || profile.model !== LOCAL_MODEL) return undefined;
  return ensureLocalBert(profile.localBert, pretrainingSentences(corpus, pipeline), { variant, log });
}
