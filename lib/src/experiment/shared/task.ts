import { initBackend, type BackendInfo } from "../../backend";
import { loadBert, type LoadedBert } from "../../bert/checkpoint";
import type { WordAlignedTokenizer } from "../../bert/tokenizer";
import { loadCorpus } from "../../corpus/load";
import { runStudyPipeline, type StudyPipelineOutput } from "../../pipeline/study-pipeline";
import type { Profile } from "./profile";

/** The first `n` indices of a split part, in the split's own (shuffled) order: a seeded sample. */
export const takeRows = (indices: readonly number[], n?: number): number[] => indices.slice(0, n ?? indices.length);

/**
 * What NER and RE runs share: the backend, the study's rows and split (seeded), the base model, and each split
 * part sampled to the profile's size and encoded by `encode`.
 */
export async function prepareTask<E>(
  profile: Profile,
  encode: (pipeline: StudyPipelineOutput, indices: number[], tokenizer: WordAlignedTokenizer) => E[],
): Promise<{ profile: Profile; backend: BackendInfo; bert: LoadedBert; pipeline: StudyPipelineOutput; train: E[]; val: E[]; test: E[] }> {
  const backend = await initBackend();
  const pipeline = runStudyPipeline(await loadCorpus(), profile.seed);
  const bert = await loadBert(profile.model);
  const part = (name: "train" | "val" | "test") => encode(pipeline, takeRows(pipeline.split[name], profile.maxRows[name]), bert.tokenizer);
  return { profile, backend, bert, pipeline, train: part("train"), val: part("val"), test: part("test") };
}
