/** Rows of the study's two data frames, as the original pipeline builds them. */

/** One relation after deduplication, the ambiguity filter and cleaning. */
export interface PreprocessedRow {
  /** Cleaned sentence; the drug's and the effect's occurrences lower-cased. */
  text: string;
  drug: string;
  effect: string;
  pmid: string;
  /** The sentence as the corpus has it: the identity of a sentence across rows and variants. */
  sentence: string;
  /** Line of DRUG-AE.rel this row was first read from (1-based). */
  line: number;
}

/** A row of the NER frame: one sentence, or a concatenation of k sentences, with its IOB tags. */
export interface NerRow {
  text: string;
  drug: string[];
  effect: string[];
  /** Space-separated IOB tags over Treebank tokens of `text`. */
  iob: string;
  /** Indices into the preprocessed rows that make up this row (one, or k for a concatenation). */
  parts: number[];
}

/** A row of the RE frame: lower-cased text with entities masked as DRUG / EFFECT, and per-word pair numbers. */
export interface ReRow {
  maskedText: string;
  /** Per whitespace word of `maskedText`: 0 outside entities, else the number of the drug-effect pair. */
  annotatedText: number[];
  parts: number[];
}

/** The words that replace a drug and an effect in the RE inputs (the study's masks). */
export const DRUG_MASK = "DRUG";
export const EFFECT_MASK = "EFFECT";

export const NER_LABELS = ["O", "B-Drug", "I-Drug", "B-Effect", "I-Effect"] as const;
export type NerLabel = (typeof NER_LABELS)[number];
export const NER_LABEL_ID: Readonly<Record<NerLabel, number>> = {
  O: 0,
  "B-Drug": 1,
  "I-Drug": 2,
  "B-Effect": 3,
  "I-Effect": 4,
};
