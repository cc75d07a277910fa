import type { Corpus, DrugEffectRelation } from "../corpus/records";
import { pySplit } from "../text/python-regex";
import { integerHistogram, type ValueCount } from "./describe";

/** The relations of one positive sentence: its distinct (drug, effect) pairs, drugs and effects (exact strings). */
export interface SentenceGroup {
  sentence: string;
  pmid: string;
  pairs: { drug: string; effect: string }[];
  drugs: string[];
  effects: string[];
}

/** Positive sentences in order of first appearance, each with its distinct pairs (exact duplicates counted once). */
export function groupBySentence(relations: readonly DrugEffectRelation[]): SentenceGroup[] {
  const groups = new Map<string, SentenceGroup & { keys: Set<string> }>();
  for (const r of relations) {
    let g = groups.get(r.sentence);
    if (!g) {
      g = { sentence: r.sentence, pmid: r.pmid, pairs: [], drugs: [], effects: [], keys: new Set() };
      groups.set(r.sentence, g);
    }
    const key = JSON.stringify([r.drug, r.effect]);
    if (g.keys.has(key)) continue;
    g.keys.add(key);
    g.pairs.push({ drug: r.drug, effect: r.effect });
    if (!g.drugs.includes(r.drug)) g.drugs.push(r.drug);
    if (!g.effects.includes(r.effect)) g.effects.push(r.effect);
  }
  return [...groups.values()].map(({ keys: _keys, ...g }) => g);
}

export interface RelationsPerSentence {
  sentences: number;
  /** Sentences with exactly one distinct pair. */
  singleRelation: number;
  /** Sentences with two or more distinct pairs, and the pairs (relations) they hold. */
  multiRelation: number;
  relationsInMultiRelationSentences: number;
  /** Sentences where one drug has two or more effects; where one effect has two or more drugs. */
  oneDrugManyEffects: number;
  oneEffectManyDrugs: number;
  maxRelations: number;
  /** Number of sentences by number of distinct pairs (1, 2, 3, ...). */
  histogram: ValueCount[];
  drugsPerSentence: ValueCount[];
  effectsPerSentence: ValueCount[];
}

const fanOut = (g: SentenceGroup, from: "drug" | "effect"): number => {
  const to = from === "drug" ? "effect" : "drug";
  const partners = new Map<string, Set<string>>();
  for (const p of g.pairs) {
    const set = partners.get(p[from]) ?? new Set<string>();
    set.add(p[to]);
    partners.set(p[from], set);
  }
  return Math.max(0, ...[...partners.values()].map((s) => s.size));
};

export function relationsPerSentence(groups: readonly SentenceGroup[]): RelationsPerSentence {
  const sizes = groups.map((g) => g.pairs.length);
  const multi = groups.filter((g) => g.pairs.length > 1);
  return {
    sentences: groups.length,
    singleRelation: groups.length - multi.length,
    multiRelation: multi.length,
    relationsInMultiRelationSentences: multi.reduce((s, g) => s + g.pairs.length, 0),
    oneDrugManyEffects: groups.filter((g) => fanOut(g, "drug") > 1).length,
    oneEffectManyDrugs: groups.filter((g) => fanOut(g, "effect") > 1).length,
    maxRelations: Math.max(0, ...sizes),
    histogram: integerHistogram(sizes),
    drugsPerSentence: integerHistogram(groups.map((g) => g.drugs.length)),
    effectsPerSentence: integerHistogram(groups.map((g) => g.effects.length)),
  };
}

export interface FanOutExample {
  /** The entity that has several partners in one sentence. */
  entity: string;
  partners: string;
  count: number;
  sentence: string;
}

/**
 * Sentences where one drug has several effects (`from = "drug"`) or one effect several drugs, largest fan-out
 * first (ties: order of appearance), one example per sentence.
 */
export function fanOutExamples(groups: readonly SentenceGroup[], from: "drug" | "effect", limit = 5): FanOutExample[] {
  const to = from === "drug" ? "effect" : "drug";
  const out: FanOutExample[] = [];
  for (const g of groups) {
    let best: FanOutExample | undefined;
    for (const entity of from === "drug" ? g.drugs : g.effects) {
      const partners = g.pairs.filter((p) => p[from] === entity).map((p) => p[to]);
      if (partners.length > 1 && (!best || partners.length > best.count)) {
        best = { entity, partners: partners.join("; "), count: partners.length, sentence: g.sentence };
      }
    }
    if (best) out.push(best);
  }
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => b.e.count - a.e.count || a.i - b.i)
    .slice(0, limit)
    .map(({ e }) => e);
}

export interface SentenceLengths {
  /** Words (Python str.split) of each distinct DRUG-AE sentence. */
  positive: number[];
  /** Words of each distinct ADE-NEG sentence. */
  negative: number[];
}

export function sentenceLengths(corpus: Pick<Corpus, "relations" | "negatives">): SentenceLengths {
  const words = (sentences: Iterable<string>) => [...new Set(sentences)].map((s) => pySplit(s).length);
  return {
    positive: words(corpus.relations.map((r) => r.sentence)),
    negative: words(corpus.negatives.map((n) => n.sentence)),
  };
}
