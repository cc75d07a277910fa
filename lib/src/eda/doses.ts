import type { Corpus } from "../corpus/records";
import { countBy, rankCounts, type KeyCount } from "./describe";

/** DRUG-DOSE.rel in brief: the study does not use it; how much it overlaps the adverse-effect part. */
export interface DoseOverview {
  relations: number;
  sentences: number;
  pmids: number;
  /** Distinct dose sentences that are also DRUG-AE sentences. */
  sentencesAlsoInAe: number;
  /** Distinct case-folded drugs of the dose file, and how many of them are also DRUG-AE drugs. */
  drugs: number;
  drugsAlsoInAe: number;
  /** Most frequent case-folded drugs of the dose relations. */
  topDrugs: KeyCount[];
}

export function doseOverview(corpus: Pick<Corpus, "relations" | "doses">, top = 10): DoseOverview {
  const aeSentences = new Set(corpus.relations.map((r) => r.sentence));
  const aeDrugs = new Set(corpus.relations.map((r) => r.drug.toLowerCase()));
  const sentences = new Set(corpus.doses.map((d) => d.sentence));
  const drugs = new Set(corpus.doses.map((d) => d.drug.toLowerCase()));
  return {
    relations: corpus.doses.length,
    sentences: sentences.size,
    pmids: new Set(corpus.doses.map((d) => d.pmid)).size,
    sentencesAlsoInAe: [...sentences].filter((s) => aeSentences.has(s)).length,
    drugs: drugs.size,
    drugsAlsoInAe: [...drugs].filter((d) => aeDrugs.has(d)).length,
    topDrugs: rankCounts(countBy(corpus.doses, (d) => d.drug.toLowerCase())).slice(0, top),
  };
}
