import { averagedScores, type Prf, type PrfCounts } from "../metrics/entity";
import { hasOverlap, type BenchmarkSentence } from "./dataset";

/**
 * SpERT's evaluator (spert/evaluator.py), for the benchmark's sentences. Per sentence, gold and predicted items are
 * sets of tuples; an item counts as correct only when the same tuple is in both:
 * - entities: (start, end, type);
 * - relations, strict ("with NEC"): (head start, end, type; tail start, end, type; relation type);
 * - relations, "boundaries" (without NEC): (head start, end; tail start, end; relation type).
 * A predicted entity with the right span and the wrong type is a false positive of its type and a false negative
 * of the gold one. Per-type precision, recall and F1; micro over all items; macro the mean over the types that
 * occur in the gold or the predicted items (SpERT passes exactly those labels to scikit-learn).
 */
export interface SpertScores {
  perType: Record<string, Prf>;
  micro: Prf;
  macro: { precision: number; recall: number; f1: number };
}

export interface BenchmarkScores {
  /** Sentences scored. */
  sentences: number;
  ner: SpertScores;
  relationStrict: SpertScores;
  relationBoundaries: SpertScores;
}

type Item = { key: string; type: string };

function score(gold: Item[][], predicted: Item[][]): SpertScores {
  const counts = new Map<string, PrfCounts>();
  const get = (t: string) => counts.get(t) ?? counts.set(t, { truePositives: 0, predicted: 0, actual: 0 }).get(t)!;
  gold.forEach((g, s) => {
    const goldItems = new Map(g.map((i) => [i.key, i]));
    const predItems = new Map(predicted[s].map((i) => [i.key, i]));
    for (const i of goldItems.values()) get(i.type).actual++;
    for (const i of predItems.values()) {
      get(i.type).predicted++;
      if (goldItems.has(i.key)) get(i.type).truePositives++;
    }
  });
  return averagedScores(counts);
}

const entityItems = (s: BenchmarkSentence): Item[] =>
  s.entities.map((e) => ({ key: `${e.start}:${e.end}:${e.type}`, type: e.type }));

function relationItems(s: BenchmarkSentence, withTypes: boolean): Item[] {
  const span = (i: number) => {
    const e = s.entities[i];
    return withTypes ? `${e.start}:${e.end}:${e.type}` : `${e.start}:${e.end}`;
  };
  return s.relations.map((r) => ({ key: `${span(r.head)}>${span(r.tail)}:${r.type}`, type: r.type }));
}

/** Scores paired gold and predicted sentences (the same tokens, in the same order). */
export function scoreSentences(
  gold: readonly BenchmarkSentence[],
  predicted: readonly BenchmarkSentence[],
): BenchmarkScores {
  if (gold.length !== predicted.length)
    throw new RangeError(`${gold.length} gold sentences but ${predicted.length} predicted`);
  return {
    sentences: gold.length,
    ner: score(gold.map(entityItems), predicted.map(entityItems)),
    relationStrict: score(
      gold.map((s) => relationItems(s, true)),
      predicted.map((s) => relationItems(s, true)),
    ),
    relationBoundaries: score(
      gold.map((s) => relationItems(s, false)),
      predicted.map((s) => relationItems(s, false)),
    ),
  };
}

/**
 * Both views the field reports: all sentences, and without the sentences whose gold entities overlap (a tagger
 * with one label per token can never produce those; PFN's ADE figures leave overlapping triples out).
 */
export function scoreBenchmark(
  gold: readonly BenchmarkSentence[],
  predicted: readonly BenchmarkSentence[],
): { all: BenchmarkScores; withoutOverlap: BenchmarkScores } {
  const keep = gold.map((g) => !hasOverlap(g));
  return {
    all: scoreSentences(gold, predicted),
    withoutOverlap: scoreSentences(
      gold.filter((_, i) => keep[i]),
      predicted.filter((_, i) => keep[i]),
    ),
  };
}

/** The scores as table rows, in % like the papers: per type, micro and macro, for each setting and view. */
export function scoreRows(scores: { all: BenchmarkScores; withoutOverlap: BenchmarkScores }): {
  view: string;
  setting: string;
  type: string;
  precision: number;
  recall: number;
  f1: number;
  support: number | string;
}[] {
  const views = [
    ["all sentences", scores.all],
    ["without overlapping entities", scores.withoutOverlap],
  ] as const;
  return views.flatMap(([view, s]) =>
    (
      [
        ["entities", s.ner],
        ["relations, strict (with NEC)", s.relationStrict],
        ["relations, boundaries", s.relationBoundaries],
      ] as const
    ).flatMap(([setting, sc]) => [
      ...Object.entries(sc.perType).map(([type, p]) => ({
        view,
        setting,
        type,
        precision: 100 * p.precision,
        recall: 100 * p.recall,
        f1: 100 * p.f1,
        support: p.support,
      })),
      {
        view,
        setting,
        type: "micro",
        precision: 100 * sc.micro.precision,
        recall: 100 * sc.micro.recall,
        f1: 100 * sc.micro.f1,
        support: sc.micro.support,
      },
      {
        view,
        setting,
        type: "macro",
        precision: 100 * sc.macro.precision,
        recall: 100 * sc.macro.recall,
        f1: 100 * sc.macro.f1,
        support: "",
      },
    ]),
  );
}
