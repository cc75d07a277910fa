import type { DrugEffectRelation } from "../corpus/records";
import { dropExactDuplicates, isAmbiguous } from "../pipeline/preprocess";
import { pySplit } from "../text/python-regex";
import { countBy, rankCounts, type KeyCount } from "./describe";

/**
 * The study drops "ambiguous" relations: a whitespace word of the drug is also a word of the effect
 * (e.g. drug "insulin" and effect "insulin allergy"), after removing exact duplicates. Same test as the
 * pipeline (`isAmbiguous`), so these counts are the rows the pipeline drops.
 */
export interface AmbiguityReport {
  /** Relations after exact-duplicate removal (the rows the filter sees). */
  deduplicated: number;
  ambiguous: number;
  kept: number;
  /** Distinct sentences that lose at least one relation, and those that lose all of theirs. */
  sentencesTouched: number;
  sentencesLostEntirely: number;
  /** The shared words, most frequent first. */
  sharedWords: KeyCount[];
  examples: AmbiguousExample[];
}

export interface AmbiguousExample {
  drug: string;
  effect: string;
  sharedWords: string;
  sentence: string;
}

export function sharedWords(drug: string, effect: string): string[] {
  const effectWords = new Set(pySplit(effect));
  return [...new Set(pySplit(drug).filter((w) => effectWords.has(w)))];
}

export function ambiguityReport(relations: readonly DrugEffectRelation[], exampleLimit = 10): AmbiguityReport {
  const deduped = dropExactDuplicates(relations);
  const ambiguous = deduped.filter((r) => isAmbiguous(r.drug, r.effect));
  const keptSentences = new Set(deduped.filter((r) => !isAmbiguous(r.drug, r.effect)).map((r) => r.sentence));
  const touched = new Set(ambiguous.map((r) => r.sentence));
  return {
    deduplicated: deduped.length,
    ambiguous: ambiguous.length,
    kept: deduped.length - ambiguous.length,
    sentencesTouched: touched.size,
    sentencesLostEntirely: [...touched].filter((s) => !keptSentences.has(s)).length,
    sharedWords: rankCounts(
      countBy(
        ambiguous.flatMap((r) => sharedWords(r.drug, r.effect)),
        (w) => w,
      ),
    ),
    examples: ambiguous.slice(0, exampleLimit).map((r) => ({
      drug: r.drug,
      effect: r.effect,
      sharedWords: sharedWords(r.drug, r.effect).join(" "),
      sentence: r.sentence,
    })),
  };
}
