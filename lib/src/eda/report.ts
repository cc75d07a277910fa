import type { Corpus } from "../corpus/records";
import type { PreprocessedRow } from "../pipeline/rows";
import { ambiguityReport, type AmbiguityReport } from "./ambiguity";
import { labelConflicts, type LabelConflicts } from "./conflicts";
import { corpusOverview, type CorpusOverview } from "./corpus-overview";
import { round, summarize, type NumberSummary } from "./describe";
import { doseOverview, type DoseOverview } from "./doses";
import {
  entityFrequencies,
  entityLengthSummary,
  entityMentions,
  longTail,
  type EntityFrequency,
  type EntityLengthRow,
  type EntityMention,
  type LongTail,
} from "./entities";
import {
  groupBySentence,
  relationsPerSentence,
  sentenceLengths,
  type RelationsPerSentence,
  type SentenceGroup,
  type SentenceLengths,
} from "./sentences";

/** Everything notebook 01 shows, computed once. */
export interface EdaReport {
  overview: CorpusOverview;
  groups: SentenceGroup[];
  perSentence: RelationsPerSentence;
  mentions: EntityMention[];
  entityLengths: EntityLengthRow[];
  drugs: EntityFrequency[];
  effects: EntityFrequency[];
  drugTail: LongTail;
  effectTail: LongTail;
  sentenceLengths: SentenceLengths;
  sentenceLengthSummary: { positive: NumberSummary; negative: NumberSummary };
  ambiguity: AmbiguityReport;
  doses: DoseOverview;
  /** Present when the preprocessed rows (the study's pipeline output) are given. */
  conflicts?: LabelConflicts;
}

export function exploreCorpus(
  corpus: Pick<Corpus, "relations" | "negatives" | "doses">,
  preprocessed?: readonly PreprocessedRow[],
): EdaReport {
  const groups = groupBySentence(corpus.relations);
  const mentions = entityMentions(corpus.relations);
  const drugs = entityFrequencies(corpus.relations, "drug");
  const effects = entityFrequencies(corpus.relations, "effect");
  const lengths = sentenceLengths(corpus);
  return {
    overview: corpusOverview(corpus),
    groups,
    perSentence: relationsPerSentence(groups),
    mentions,
    entityLengths: entityLengthSummary(mentions),
    drugs,
    effects,
    drugTail: longTail(drugs, "drug"),
    effectTail: longTail(effects, "effect"),
    sentenceLengths: lengths,
    sentenceLengthSummary: { positive: summarize(lengths.positive), negative: summarize(lengths.negative) },
    ambiguity: ambiguityReport(corpus.relations),
    doses: doseOverview(corpus),
    ...(preprocessed ? { conflicts: labelConflicts(preprocessed) } : {}),
  };
}

const roundSummary = (s: object) =>
  Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === "number" ? round(v, 3) : v]));
const tailSummary = ({ coverage: _coverage, ...t }: LongTail) => t;

/** The key numbers as plain JSON (no per-item arrays), for `results/01-eda/summary.json`. */
export function edaSummary(r: EdaReport): Record<string, unknown> {
  const { histogram, drugsPerSentence: _d, effectsPerSentence: _e, ...perSentence } = r.perSentence;
  return {
    corpus: r.overview,
    relationsPerSentence: {
      ...perSentence,
      histogram: Object.fromEntries(histogram.filter((h) => h.count > 0).map((h) => [h.value, h.count])),
    },
    entityLengths: r.entityLengths.map(roundSummary),
    topDrugs: r.drugs.slice(0, 10),
    topEffects: r.effects.slice(0, 10),
    longTail: { drug: tailSummary(r.drugTail), effect: tailSummary(r.effectTail) },
    sentenceLengthWords: {
      positive: roundSummary(r.sentenceLengthSummary.positive),
      negative: roundSummary(r.sentenceLengthSummary.negative),
    },
    ambiguity: {
      ...r.ambiguity,
      sharedWords: r.ambiguity.sharedWords.slice(0, 10),
      examples: r.ambiguity.examples.slice(0, 3),
    },
    doses: r.doses,
    ...(r.conflicts ? { labelConflicts: r.conflicts } : {}),
  };
}
