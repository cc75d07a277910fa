/** Typed records of the three corpus files. Offsets are document-level (title + abstract), not sentence-level. */

/** Where a record came from, so that later errors can name the file and line. */
export interface SourceLine {
  file: string;
  line: number;
}

export interface DrugEffectRelation {
  pmid: string;
  sentence: string;
  effect: string;
  effectBegin: number;
  effectEnd: number;
  drug: string;
  drugBegin: number;
  drugEnd: number;
  source: SourceLine;
}

export interface DrugDoseRelation {
  pmid: string;
  sentence: string;
  dose: string;
  doseBegin: number;
  doseEnd: number;
  drug: string;
  drugBegin: number;
  drugEnd: number;
  source: SourceLine;
}

export interface NegativeSentence {
  pmid: string;
  sentence: string;
  source: SourceLine;
}

export interface Corpus {
  /** Folder the files were read from. */
  dir: string;
  relations: DrugEffectRelation[];
  negatives: NegativeSentence[];
  doses: DrugDoseRelation[];
  /** Lines skipped on purpose (blank lines), per file; never silent. */
  skippedBlankLines: Record<string, number>;
}
