import { LegacyRandomState } from "../../random/mt19937";
import type { NerRow, PreprocessedRow, ReRow } from "../../pipeline/rows";
import type { StudyPipelineOutput } from "../../pipeline/study-pipeline";
import type { SplitIndices } from "../../pipeline/split";
import { splitThenAugment } from "../../pipeline/variants";

/**
 * The two data splits the training notebooks score on: the study's (augmented, then split: test sentences
 * occur in training rows) and the leak-free one the library offers (split by PubMed document, then each part
 * augmented on its own). Both as one NER frame, one RE frame and row indices per part, with `parts` pointing
 * into `preprocessed`, so everything that reads the study's frames reads either.
 */
export type SplitName = "study" | "leak-free";

export interface SplitData {
  name: SplitName;
  preprocessed: readonly PreprocessedRow[];
  ner: NerRow[];
  re: ReRow[];
  split: SplitIndices;
}

export function studySplitData(pipeline: StudyPipelineOutput): SplitData {
  return {
    name: "study",
    preprocessed: pipeline.preprocessed,
    ner: pipeline.ner,
    re: pipeline.re,
    split: pipeline.split,
  };
}

export function leakFreeSplit(pipeline: StudyPipelineOutput): SplitData {
  const variant = splitThenAugment(pipeline.preprocessed, "document", pipeline.seed);
  const ner: NerRow[] = [];
  const re: ReRow[] = [];
  const split: SplitIndices = { train: [], val: [], test: [] };
  for (const part of ["train", "val", "test"] as const) {
    const global = variant.split[part];
    const { ner: partNer, re: partRe } = variant[part];
    partNer.forEach((row, i) => {
      split[part].push(ner.length);
      ner.push({ ...row, parts: row.parts.map((p) => global[p]) });
      re.push({ ...partRe[i], parts: partRe[i].parts.map((p) => global[p]) });
    });
  }
  // each part is built singles first, then concatenations by size: shuffle its order (seeded) so that the
  // first n rows of a part, the profiles' sample, are a sample like the study's split gives
  const rng = new LegacyRandomState(pipeline.seed);
  for (const part of ["train", "val", "test"] as const) {
    const idx = split[part];
    split[part] = rng.permutation(idx.length).map((i) => idx[i]);
  }
  return { name: "leak-free", preprocessed: pipeline.preprocessed, ner, re, split };
}

export function splitData(pipeline: StudyPipelineOutput, name: SplitName): SplitData {
  return name === "study" ? studySplitData(pipeline) : leakFreeSplit(pipeline);
}
