import { LegacyRandomState } from "../random/mt19937";
import { pySplit } from "../text/python-regex";
import { studyIobTags } from "./iob";
import { maskSentences } from "./mask";
import type { NerRow, PreprocessedRow, ReRow } from "./rows";

/**
 * The study's concatenation augmentation: NumPy's legacy generator seeded once, then for k = 2, 3, 4,
 * ceil(0.33 x N) new rows, each the concatenation of k rows drawn with `randint(0, N)` (with replacement).
 * NER and RE re-seed and so draw the same row indices; `drawConcatenations` is that shared draw.
 */
export const CONCAT_SIZES = [2, 3, 4] as const;
export const CONCAT_FRACTION = 0.33;

export function concatenationsPerK(nRows: number): number {
  return Math.ceil(nRows * CONCAT_FRACTION);
}

export function drawConcatenations(nRows: number, seed = 0): number[][] {
  const rng = new LegacyRandomState(seed);
  const perK = concatenationsPerK(nRows);
  const draws: number[][] = [];
  for (const k of CONCAT_SIZES) {
    for (let i = 0; i < perK; i++) draws.push(Array.from({ length: k }, () => rng.randint(0, nRows)));
  }
  return draws;
}

const normalizeSpaces = (s: string): string => pySplit(s).join(" ");

/** NER frame: the single rows, then the concatenations; IOB tags drawn on the normalized text. */
export function buildNerRows(rows: readonly PreprocessedRow[], draws: readonly number[][]): NerRow[] {
  const make = (parts: number[]): NerRow => {
    const text = normalizeSpaces(parts.map((i) => " " + rows[i].text).join(""));
    const drug = parts.map((i) => rows[i].drug);
    const effect = parts.map((i) => rows[i].effect);
    return { text, drug, effect, iob: studyIobTags(text, drug, effect).join(" "), parts };
  };
  return [...rows.map((_, i) => make([i])), ...draws.map((parts) => make(parts))];
}

/**
 * RE frame: lower-cased text, entities masked. Single rows are masked in one pass over the whole frame, in
 * which (a seed quirk kept on purpose) the set of already-masked words is shared across ALL rows: a drug
 * masked in one row stays a plain word in every later row. Concatenations are masked per draw.
 */
export function buildReRows(rows: readonly PreprocessedRow[], draws: readonly number[][]): ReRow[] {
  const texts = rows.map((r) => r.text.toLowerCase());
  const drugs = rows.map((r) => r.drug.toLowerCase());
  const effects = rows.map((r) => r.effect.toLowerCase());
  const singles = maskSentences(texts, drugs, effects, false);
  const out: ReRow[] = singles.map((m, i) => ({
    maskedText: normalizeSpaces(m.maskedText),
    annotatedText: m.annotations,
    parts: [i],
  }));
  for (const parts of draws) {
    const masked = maskSentences(
      parts.map((i) => texts[i]),
      parts.map((i) => drugs[i]),
      parts.map((i) => effects[i]),
      true,
    );
    out.push({
      maskedText: normalizeSpaces(masked.map((m) => " " + m.maskedText).join("")),
      annotatedText: masked.flatMap((m) => m.annotations),
      parts,
    });
  }
  return out;
}
