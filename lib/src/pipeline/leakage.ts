import type { SplitIndices } from "./split";
import type { NerRow, PreprocessedRow } from "./rows";

/**
 * What the study's protocol hides: rows are split AFTER augmentation, so a test sentence can also sit inside
 * a training concatenation (or be a training row itself, paired with another entity), and one sentence
 * with several relations appears as several rows that label it differently.
 */
export interface LeakageReport {
  testRows: number;
  /** Test rows with at least one sentence that also occurs in some training row. */
  testRowsWithSentenceInTrain: number;
  /** Distinct sentences of the test rows, and how many of them also occur in training rows. */
  testSentences: number;
  testSentencesInTrain: number;
  /** Test rows whose text and tags equal a training row exactly. */
  testRowsIdenticalToTrainRow: number;
  /** Same, for validation. */
  valRowsWithSentenceInTrain: number;
  valRows: number;
}

const sentencesOf = (row: NerRow, pre: readonly PreprocessedRow[]) => row.parts.map((p) => pre[p].sentence);

export function leakageReport(
  ner: readonly NerRow[],
  pre: readonly PreprocessedRow[],
  split: SplitIndices,
): LeakageReport {
  const trainSentences = new Set<string>();
  const trainRows = new Set<string>();
  for (const i of split.train) {
    for (const s of sentencesOf(ner[i], pre)) trainSentences.add(s);
    trainRows.add(`${ner[i].text}\u0000${ner[i].iob}`);
  }
  const leaks = (i: number) => sentencesOf(ner[i], pre).some((s) => trainSentences.has(s));
  const testSentences = new Set(split.test.flatMap((i) => sentencesOf(ner[i], pre)));
  return {
    testRows: split.test.length,
    testRowsWithSentenceInTrain: split.test.filter(leaks).length,
    testSentences: testSentences.size,
    testSentencesInTrain: [...testSentences].filter((s) => trainSentences.has(s)).length,
    testRowsIdenticalToTrainRow: split.test.filter((i) => trainRows.has(`${ner[i].text}\u0000${ner[i].iob}`)).length,
    valRows: split.val.length,
    valRowsWithSentenceInTrain: split.val.filter(leaks).length,
  };
}

export interface LabelConflictReport {
  /** Distinct sentences among the single (non-concatenated) rows. */
  sentences: number;
  /** Sentences that have more than one row. */
  sentencesWithSeveralRows: number;
  /** Of those, sentences whose rows carry different tag sequences. */
  sentencesWithConflictingTags: number;
  /** Rows that belong to a sentence with several rows. */
  rowsInMultiRowSentences: number;
  /** Largest number of rows of one sentence. */
  maxRowsPerSentence: number;
  /** A few examples: sentence and the distinct tag sequences it received. */
  examples: { sentence: string; tags: string[] }[];
}

/** How often one sentence is labelled several ways, one row per drug-effect pair (single rows only). */
export function labelConflictReport(
  ner: readonly NerRow[],
  pre: readonly PreprocessedRow[],
  maxExamples = 3,
): LabelConflictReport {
  const bySentence = new Map<string, NerRow[]>();
  for (const row of ner) {
    if (row.parts.length !== 1) continue;
    const s = pre[row.parts[0]].sentence;
    bySentence.set(s, [...(bySentence.get(s) ?? []), row]);
  }
  const multi = [...bySentence.entries()].filter(([, rows]) => rows.length > 1);
  const conflicting = multi.filter(([, rows]) => new Set(rows.map((r) => r.iob)).size > 1);
  return {
    sentences: bySentence.size,
    sentencesWithSeveralRows: multi.length,
    sentencesWithConflictingTags: conflicting.length,
    rowsInMultiRowSentences: multi.reduce((n, [, rows]) => n + rows.length, 0),
    maxRowsPerSentence: Math.max(0, ...[...bySentence.values()].map((rows) => rows.length)),
    examples: conflicting
      .slice(0, maxExamples)
      .map(([sentence, rows]) => ({ sentence, tags: [...new Set(rows.map((r) => r.iob))] })),
  };
}

export interface TagAlignmentReport {
  rows: number;
  /** Rows whose number of tags (Treebank tokens) differs from their number of whitespace words. */
  misaligned: number;
  examples: { row: number; words: number; tags: number; text: string }[];
}

/**
 * The study pairs each whitespace word with the tag at the same position, but draws tags over Treebank
 * tokens ("cannot" is two tokens); where the counts differ, every later word gets its neighbour's tag.
 */
export function tagAlignmentReport(ner: readonly NerRow[], maxExamples = 3): TagAlignmentReport {
  const bad = ner
    .map((r, row) => ({ row, words: r.text.split(" ").length, tags: r.iob.split(" ").length, text: r.text }))
    .filter((r) => r.words !== r.tags);
  return { rows: ner.length, misaligned: bad.length, examples: bad.slice(0, maxExamples) };
}

/** Sentences (by corpus identity) that occur in both of two sets of preprocessed-row indices. */
export function sharedSentences(pre: readonly PreprocessedRow[], a: readonly number[], b: readonly number[]): number {
  const left = new Set(a.map((i) => pre[i].sentence));
  return new Set(b.map((i) => pre[i].sentence).filter((s) => left.has(s))).size;
}
