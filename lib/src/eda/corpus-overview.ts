import type { Corpus } from "../corpus/records";

/**
 * Counts over the three raw files: relation lines and distinct sentences, negatives, doses, and how the
 * negative sentences relate to the positive ones. "Sentence" means a distinct sentence string (the study's
 * pipeline compares sentences as raw strings too).
 */
export interface CorpusOverview {
  /** Lines of DRUG-AE.rel: one drug-effect relation each. */
  relationLines: number;
  /** Distinct (sentence, drug, effect) triples: the study's deduplication key. */
  distinctRelations: number;
  /** relationLines - distinctRelations. */
  exactDuplicateRelations: number;
  /** Distinct sentences of DRUG-AE.rel (the positive sentences). */
  positiveSentences: number;
  positivePmids: number;
  /** Lines of ADE-NEG.txt. */
  negativeLines: number;
  /** Distinct sentences of ADE-NEG.txt. */
  negativeSentences: number;
  negativePmids: number;
  /** PMIDs (abstracts) that have both NEG sentences and DRUG-AE relations. */
  negativePmidsSharedWithPositive: number;
  /** Distinct NEG sentences from an abstract that also has DRUG-AE relations. */
  negativeSentencesInSharedPmids: number;
  /** Distinct NEG sentences whose exact text is also a DRUG-AE sentence (contradictory labels). */
  negativeSentencesAlsoPositive: number;
  /** Lines of DRUG-DOSE.rel. */
  doseRelations: number;
  /** Distinct drug and effect names, case-folded. */
  distinctDrugs: number;
  distinctEffects: number;
}

export function corpusOverview(corpus: Pick<Corpus, "relations" | "negatives" | "doses">): CorpusOverview {
  const { relations, negatives, doses } = corpus;
  const distinctRelations = new Set(relations.map((r) => JSON.stringify([r.sentence, r.drug, r.effect]))).size;
  const positiveSentences = new Set(relations.map((r) => r.sentence));
  const positivePmids = new Set(relations.map((r) => r.pmid));
  const negativeSentences = new Set(negatives.map((n) => n.sentence));
  const negativePmids = new Set(negatives.map((n) => n.pmid));
  const negInShared = new Set(negatives.filter((n) => positivePmids.has(n.pmid)).map((n) => n.sentence));
  return {
    relationLines: relations.length,
    distinctRelations,
    exactDuplicateRelations: relations.length - distinctRelations,
    positiveSentences: positiveSentences.size,
    positivePmids: positivePmids.size,
    negativeLines: negatives.length,
    negativeSentences: negativeSentences.size,
    negativePmids: negativePmids.size,
    negativePmidsSharedWithPositive: [...negativePmids].filter((p) => positivePmids.has(p)).length,
    negativeSentencesInSharedPmids: negInShared.size,
    negativeSentencesAlsoPositive: [...negativeSentences].filter((s) => positiveSentences.has(s)).length,
    doseRelations: doses.length,
    distinctDrugs: new Set(relations.map((r) => r.drug.toLowerCase())).size,
    distinctEffects: new Set(relations.map((r) => r.effect.toLowerCase())).size,
  };
}

const OVERVIEW_LABELS: Readonly<Record<keyof CorpusOverview, [file: string, quantity: string]>> = {
  relationLines: ["DRUG-AE.rel", "relation lines"],
  distinctRelations: ["DRUG-AE.rel", "distinct (sentence, drug, effect)"],
  exactDuplicateRelations: ["DRUG-AE.rel", "exact duplicate lines"],
  positiveSentences: ["DRUG-AE.rel", "distinct sentences (positive)"],
  positivePmids: ["DRUG-AE.rel", "abstracts (PMIDs)"],
  distinctDrugs: ["DRUG-AE.rel", "distinct drugs (case-folded)"],
  distinctEffects: ["DRUG-AE.rel", "distinct effects (case-folded)"],
  negativeLines: ["ADE-NEG.txt", "sentence lines"],
  negativeSentences: ["ADE-NEG.txt", "distinct sentences (negative)"],
  negativePmids: ["ADE-NEG.txt", "abstracts (PMIDs)"],
  negativePmidsSharedWithPositive: ["ADE-NEG.txt", "abstracts that also have DRUG-AE relations"],
  negativeSentencesInSharedPmids: ["ADE-NEG.txt", "distinct sentences from those abstracts"],
  negativeSentencesAlsoPositive: ["ADE-NEG.txt", "sentences also listed in DRUG-AE.rel"],
  doseRelations: ["DRUG-DOSE.rel", "relation lines"],
};

/** The overview as labelled rows (file, quantity, count), grouped by file, for a table. */
export function overviewRows(o: CorpusOverview): { file: string; quantity: string; count: number }[] {
  return (Object.keys(OVERVIEW_LABELS) as (keyof CorpusOverview)[]).map((k) => ({
    file: OVERVIEW_LABELS[k][0],
    quantity: OVERVIEW_LABELS[k][1],
    count: o[k],
  }));
}
