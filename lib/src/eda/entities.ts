import type { DrugEffectRelation } from "../corpus/records";
import { pySplit } from "../text/python-regex";
import { rankCounts, round, summarize, type NumberSummary } from "./describe";

export type EntityKind = "drug" | "effect";

/** One annotated entity in one sentence: distinct (sentence, kind, text), however many relations it is in. */
export interface EntityMention {
  kind: EntityKind;
  text: string;
  sentence: string;
  words: number;
  chars: number;
}

export function entityMentions(relations: readonly DrugEffectRelation[]): EntityMention[] {
  const seen = new Set<string>();
  const out: EntityMention[] = [];
  for (const r of relations) {
    for (const kind of ["drug", "effect"] as const) {
      const text = r[kind];
      const key = JSON.stringify([r.sentence, kind, text]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ kind, text, sentence: r.sentence, words: pySplit(text).length, chars: text.length });
    }
  }
  return out;
}

export interface EntityLengthRow extends NumberSummary {
  entity: EntityKind;
  measure: "words" | "characters";
  /** Share of mentions longer than one word (for the words measure). */
  multiWordShare?: number;
}

/** Length of drug and effect mentions, in words and in characters: one summary row per entity and measure. */
export function entityLengthSummary(mentions: readonly EntityMention[]): EntityLengthRow[] {
  const rows: EntityLengthRow[] = [];
  for (const entity of ["drug", "effect"] as const) {
    const m = mentions.filter((x) => x.kind === entity);
    const words = m.map((x) => x.words);
    rows.push({
      entity,
      measure: "words",
      ...summarize(words),
      multiWordShare: m.length ? round(words.filter((w) => w > 1).length / m.length) : NaN,
    });
    rows.push({ entity, measure: "characters", ...summarize(m.map((x) => x.chars)) });
  }
  return rows;
}

export interface EntityFrequency {
  /** Case-folded name. */
  name: string;
  /** Distinct sentences mentioning it. */
  sentences: number;
  /** Distinct (sentence, drug, effect) relations it is part of. */
  relations: number;
}

/** Drug or effect names, case-folded, by the number of sentences that mention them (then relations, then name). */
export function entityFrequencies(relations: readonly DrugEffectRelation[], kind: EntityKind): EntityFrequency[] {
  const sentences = new Map<string, Set<string>>();
  const rels = new Map<string, Set<string>>();
  for (const r of relations) {
    const name = r[kind].toLowerCase();
    if (!sentences.has(name)) {
      sentences.set(name, new Set());
      rels.set(name, new Set());
    }
    sentences.get(name)!.add(r.sentence);
    rels.get(name)!.add(JSON.stringify([r.sentence, r.drug, r.effect]));
  }
  const bySentences = rankCounts(new Map([...sentences].map(([k, v]) => [k, v.size])));
  return bySentences
    .map(({ key, count }) => ({ name: key, sentences: count, relations: rels.get(key)!.size }))
    .sort(
      (a, b) =>
        b.sentences - a.sentences || b.relations - a.relations || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
}

export interface LongTail {
  kind: EntityKind;
  /** Distinct case-folded names. */
  distinct: number;
  /** Names mentioned in a single sentence. */
  singletons: number;
  singletonShare: number;
  /** Share of all (sentence, name) mentions covered by the 10 and the 50 most frequent names. */
  top10Share: number;
  top50Share: number;
  /** Names needed to cover half of all mentions. */
  namesForHalf: number;
  /** Cumulative share of mentions covered by the first k names, k = 1..distinct. */
  coverage: number[];
}

export function longTail(freqs: readonly EntityFrequency[], kind: EntityKind): LongTail {
  const total = freqs.reduce((s, f) => s + f.sentences, 0);
  const coverage: number[] = [];
  let acc = 0;
  for (const f of freqs) coverage.push((acc += f.sentences) / total);
  const share = (k: number) => (coverage.length ? round(coverage[Math.min(k, coverage.length) - 1]) : NaN);
  const singletons = freqs.filter((f) => f.sentences === 1).length;
  return {
    kind,
    distinct: freqs.length,
    singletons,
    singletonShare: freqs.length ? round(singletons / freqs.length) : NaN,
    top10Share: share(10),
    top50Share: share(50),
    namesForHalf: coverage.findIndex((c) => c >= 0.5) + 1,
    coverage,
  };
}
