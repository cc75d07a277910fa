import { studyIobTags } from "../pipeline/iob";
import type { PreprocessedRow } from "../pipeline/rows";
import { pySplit } from "../text/python-regex";
import { treebankSpans } from "../text/treebank";

/**
 * The study labels one row per (sentence, drug, effect): a sentence with two relations becomes two rows
 * with the same text, each tagging only its own pair. A token that is an entity in one row is then "O" in
 * the other, so the NER model sees the same input with contradicting targets. These functions measure it
 * on the preprocessed rows, with the pipeline's own tagger.
 */

const normalize = (s: string): string => pySplit(s).join(" ");

export interface LabelConflicts {
  rows: number;
  /** Distinct sentences, and those that are the text of two or more rows. */
  sentences: number;
  sentencesWithSeveralRows: number;
  rowsSharingSentence: number;
  /** Tokens (counted once per sentence) whose IOB tag differs between rows of the same sentence. */
  conflictingTokens: number;
  /** Entity tokens (non-O in at least one row) of those sentences, for scale. */
  entityTokensInSharedTexts: number;
}

/**
 * Rows grouped by their corpus sentence, in order of first appearance. (Their cleaned texts may differ in
 * letter case: cleaning lower-cases each row's own drug and effect inside its text.)
 */
export function rowsBySentence(rows: readonly PreprocessedRow[]): Map<string, PreprocessedRow[]> {
  const groups = new Map<string, PreprocessedRow[]>();
  for (const r of rows) {
    const g = groups.get(r.sentence);
    if (g) g.push(r);
    else groups.set(r.sentence, [r]);
  }
  return groups;
}

/** Each row's IOB tags on its own (normalized) text, as the NER frame has them. */
function tagsPerRow(rows: readonly PreprocessedRow[]): string[][] {
  return rows.map((r) => studyIobTags(normalize(r.text), [r.drug], [r.effect]));
}

export function labelConflicts(rows: readonly PreprocessedRow[]): LabelConflicts {
  const groups = rowsBySentence(rows);
  let sentencesWithSeveralRows = 0;
  let rowsSharingSentence = 0;
  let conflictingTokens = 0;
  let entityTokens = 0;
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    sentencesWithSeveralRows++;
    rowsSharingSentence += g.length;
    const tags = tagsPerRow(g);
    const tokens = Math.min(...tags.map((t) => t.length)); // equal: the texts differ in letter case only
    for (let t = 0; t < tokens; t++) {
      const column = tags.map((row) => row[t]);
      if (column.some((tag) => tag !== "O")) entityTokens++;
      if (column.some((tag) => tag !== column[0])) conflictingTokens++;
    }
  }
  return {
    rows: rows.length,
    sentences: groups.size,
    sentencesWithSeveralRows,
    rowsSharingSentence,
    conflictingTokens,
    entityTokensInSharedTexts: entityTokens,
  };
}

/**
 * One sentence shared by `rowCount` rows (the shortest such sentence, ties by order), as token-by-row IOB tags:
 * one record per token, with a column per row named after its drug and effect.
 */
export function conflictExample(rows: readonly PreprocessedRow[], rowCount = 2): Record<string, string>[] {
  let best: [string, PreprocessedRow[]] | undefined;
  for (const [sentence, g] of rowsBySentence(rows)) {
    if (g.length !== rowCount) continue;
    if (!best || sentence.length < best[0].length) best = [sentence, g];
  }
  if (!best) return [];
  const g = best[1];
  const text = normalize(g[0].text);
  const tags = tagsPerRow(g);
  const names = g.map((r, i) => `row ${i + 1}: ${r.drug} → ${r.effect}`);
  return treebankSpans(text).map(([s, e], t) => {
    const rec: Record<string, string> = { token: text.slice(s, e) };
    names.forEach((name, i) => (rec[name] = tags[i][t] ?? ""));
    return rec;
  });
}
