import type { DrugEffectRelation } from "../corpus/records";
import { buildNerRows, buildReRows } from "../pipeline/augment";
import { seedIobTags } from "../pipeline/iob";
import { preprocess, type PreprocessCounts } from "../pipeline/preprocess";
import type { NerRow, PreprocessedRow, ReRow } from "../pipeline/rows";
import { augmentPart } from "../pipeline/variants";
import type { BenchmarkSentence } from "./dataset";

/**
 * Benchmark sentences in the study's row format, to train the study's models on a fold: one relation per row
 * (the sentence is its tokens joined by spaces, the drug and the effect their tokens joined likewise), then the
 * study's own steps: exact duplicates dropped, the ambiguity filter, the cleaning, IOB tags and RE masking.
 */
export function relationsOf(sentences: readonly BenchmarkSentence[], file = "ade_full.json"): DrugEffectRelation[] {
  return sentences.flatMap((s) =>
    s.relations.map((r) => {
      const effect = s.entities[r.head];
      const drug = s.entities[r.tail];
      const words = (e: { start: number; end: number }) => s.tokens.slice(e.start, e.end).join(" ");
      // token offsets stand in for the corpus's document offsets, which the study never reads
      return {
        pmid: `ade-${s.orig_id}`,
        sentence: s.tokens.join(" "),
        effect: words(effect),
        effectBegin: effect.start,
        effectEnd: effect.end,
        drug: words(drug),
        drugBegin: drug.start,
        drugEnd: drug.end,
        source: { file, line: s.orig_id + 1 },
      };
    }),
  );
}

export interface StudyRows {
  ner: NerRow[];
  re: ReRow[];
  counts: PreprocessCounts & {
    sentences: number;
    /** Rows whose cleaned drug or effect no longer occurs in the cleaned sentence (the study's tagger would fail). */
    droppedUnlocatable: number;
    rows: number;
    /** Concatenations added by the augmentation (0 when not augmented). */
    concatenations: number;
  };
}

/** Rows the study's tagger can label: the cleaned drug and effect occur in the cleaned sentence. */
function locatable(rows: readonly PreprocessedRow[]): PreprocessedRow[] {
  return rows.filter((r) => {
    try {
      seedIobTags(r.text, [r.drug], [r.effect]);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The study's rows of some benchmark sentences; with `augment`, the study's concatenation augmentation drawn among
 * these rows only (seeded), so nothing outside them (a fold's test sentences above all) can leak in.
 */
export function studyRows(
  sentences: readonly BenchmarkSentence[],
  options: { augment: boolean; seed: number },
): StudyRows {
  const { rows: cleaned, counts } = preprocess(relationsOf(sentences));
  const rows = locatable(cleaned);
  const built = options.augment
    ? augmentPart(rows, options.seed)
    : { ner: buildNerRows(rows, []), re: buildReRows(rows, []), draws: [] };
  return {
    ner: built.ner,
    re: built.re,
    counts: {
      ...counts,
      sentences: sentences.length,
      droppedUnlocatable: cleaned.length - rows.length,
      rows: rows.length,
      concatenations: built.draws.length,
    },
  };
}
