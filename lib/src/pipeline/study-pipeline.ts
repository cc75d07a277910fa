import type { Corpus } from "../corpus/records";
import { buildNerRows, buildReRows, concatenationsPerK, drawConcatenations } from "./augment";
import { preprocess, type PreprocessCounts } from "./preprocess";
import type { NerRow, PreprocessedRow, ReRow } from "./rows";
import { studySplit, type SplitIndices } from "./split";

/** The study's data pipeline end to end: preprocessing, augmentation and split, with every count. */
export interface StudyPipelineOutput {
  preprocessed: PreprocessedRow[];
  ner: NerRow[];
  re: ReRow[];
  split: SplitIndices;
  /** The random draws of the augmentation (row indices into `preprocessed`), shared by NER and RE. */
  draws: number[][];
  counts: PipelineCounts;
  seed: number;
}

export interface PipelineCounts extends PreprocessCounts {
  concatenationsPerK: number;
  nerRows: number;
  reRows: number;
  split: { train: number; val: number; test: number };
}

export function runStudyPipeline(corpus: Pick<Corpus, "relations">, seed = 0): StudyPipelineOutput {
  const { rows, counts } = preprocess(corpus.relations);
  const draws = drawConcatenations(rows.length, seed);
  const ner = buildNerRows(rows, draws);
  const re = buildReRows(rows, draws);
  const split = studySplit(ner.length, seed);
  return {
    preprocessed: rows,
    ner,
    re,
    split,
    draws,
    seed,
    counts: {
      ...counts,
      concatenationsPerK: concatenationsPerK(rows.length),
      nerRows: ner.length,
      reRows: re.length,
      split: { train: split.train.length, val: split.val.length, test: split.test.length },
    },
  };
}

/** @deprecated Renamed `runStudyPipeline` ("seed" now only means a random seed); kept for one release. */
export const runSeedPipeline = runStudyPipeline;
/** @deprecated Renamed `StudyPipelineOutput`; kept for one release. */
export type SeedPipelineOutput = StudyPipelineOutput;
