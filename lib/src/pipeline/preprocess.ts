import type { DrugEffectRelation } from "../corpus/records";
import { pyReplaceAll, pySplit, pyStrip } from "../text/python-regex";
import { cleanText } from "./clean";
import type { PreprocessedRow } from "./rows";

export interface PreprocessCounts {
  relations: number;
  afterDedup: number;
  uniqueSentencesAfterDedup: number;
  afterDropAmbiguous: number;
}

export interface PreprocessResult {
  rows: PreprocessedRow[];
  counts: PreprocessCounts;
}

/** Step 1: one row per (sentence, drug, effect); exact duplicates dropped, first occurrence kept. */
export function dropExactDuplicates(relations: readonly DrugEffectRelation[]): DrugEffectRelation[] {
  const seen = new Set<string>();
  return relations.filter((r) => {
    const key = JSON.stringify([r.sentence, r.drug, r.effect]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Step 2: "ambiguous" rows, where a whitespace word of the drug equals a word of the effect (raw strings). */
export function isAmbiguous(drug: string, effect: string): boolean {
  const effectWords = new Set(pySplit(effect));
  return pySplit(drug).some((w) => effectWords.has(w));
}

/**
 * Steps 3-4: trim, clean, then lower-case every occurrence of the cleaned drug and effect inside the
 * cleaned sentence (case-sensitive literal replace, as Python's `str.replace`), and lower-case both columns.
 */
export function cleanRow(r: DrugEffectRelation): PreprocessedRow {
  const drug = cleanText(pyStrip(r.drug));
  const effect = cleanText(pyStrip(r.effect));
  let text = cleanText(pyStrip(r.sentence));
  text = pyReplaceAll(text, drug, drug.toLowerCase());
  text = pyReplaceAll(text, effect, effect.toLowerCase());
  return {
    text,
    drug: drug.toLowerCase(),
    effect: effect.toLowerCase(),
    pmid: r.pmid,
    sentence: r.sentence,
    line: r.source.line,
  };
}

export function preprocess(relations: readonly DrugEffectRelation[]): PreprocessResult {
  const deduped = dropExactDuplicates(relations);
  const unambiguous = deduped.filter((r) => !isAmbiguous(r.drug, r.effect));
  return {
    rows: unambiguous.map(cleanRow),
    counts: {
      relations: relations.length,
      afterDedup: deduped.length,
      uniqueSentencesAfterDedup: new Set(deduped.map((r) => r.sentence)).size,
      afterDropAmbiguous: unambiguous.length,
    },
  };
}
