/**
 * The field's metric: entity-level precision, recall and F1 with exact matching (a predicted entity counts
 * only when its type, first and last word equal a true entity's), as seqeval computes it. Two readings of
 * the tags, seqeval's two modes:
 * - `default` (conlleval's): an entity starts at B-X, or at I-X after O or after another type (an I- without
 *   a B- still starts an entity), and ends where the type changes, at B, or at O;
 * - `strict` with the IOB2 scheme: an entity is B-X followed by any I-X; an I- that does not continue an
 *   entity of its type belongs to none.
 * Sentences are scored separately (an entity never runs across two sentences).
 */
export type EntityMode = "default" | "strict";

export interface Entity {
  type: string;
  start: number;
  /** Inclusive, in words. */
  end: number;
}

const split = (tag: string): [string, string] => {
  if (tag === "O" || tag === "") return ["O", ""];
  const dash = tag.indexOf("-");
  return dash < 0 ? [tag, "_"] : [tag.slice(0, dash), tag.slice(dash + 1)];
};

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === "E" || prevTag === "S") return true;
  if ((prevTag === "B" || prevTag === "I") && (tag === "B" || tag === "S" || tag === "O")) return true;
  return prevTag !== "O" && prevTag !== "." && prevType !== type;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === "B" || tag === "S") return true;
  if ((prevTag === "E" || prevTag === "S" || prevTag === "O") && (tag === "E" || tag === "I")) return true;
  return tag !== "O" && tag !== "." && prevType !== type;
}

/** seqeval's entities of one sentence: `get_entities` (default mode), or `Entities(..., IOB2)` (strict). */
export function entitiesFromTags(tags: readonly string[], mode: EntityMode = "default"): Entity[] {
  if (mode === "strict") return strictIob2Entities(tags);
  const out: Entity[] = [];
  let prevTag = "O";
  let prevType = "";
  let begin = 0;
  [...tags, "O"].forEach((chunk, i) => {
    const [tag, type] = split(chunk);
    if (endOfChunk(prevTag, tag, prevType, type)) out.push({ type: prevType, start: begin, end: i - 1 });
    if (startOfChunk(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  });
  return out;
}

function strictIob2Entities(tags: readonly string[]): Entity[] {
  const out: Entity[] = [];
  const parts = tags.map((t, i) => {
    const [prefix, type] = split(t);
    if (prefix !== "B" && prefix !== "I" && prefix !== "O")
      throw new RangeError(`tag ${i} "${t}" is not an IOB2 tag (B-, I- or O)`);
    return { prefix, type };
  });
  for (let i = 0; i < parts.length;) {
    if (parts[i].prefix !== "B") {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < parts.length && parts[j].prefix === "I" && parts[j].type === parts[i].type) j++;
    out.push({ type: parts[i].type, start: i, end: j - 1 });
    i = j;
  }
  return out;
}

export interface PrfCounts {
  truePositives: number;
  predicted: number;
  actual: number;
}

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export const prf = (c: PrfCounts): Prf => {
  const precision = c.predicted === 0 ? 0 : c.truePositives / c.predicted;
  const recall = c.actual === 0 ? 0 : c.truePositives / c.actual;
  return {
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    support: c.actual,
  };
};

export interface EntityScores {
  perType: Record<string, Prf>;
  micro: Prf;
  macro: Omit<Prf, "support">;
}

/**
 * Per type, micro and macro (mean over the types present in truth or prediction, as seqeval's report; with
 * no entity at all the macro scores are 0, where seqeval's mean of nothing is NaN).
 */
export function entityScores(
  truth: readonly (readonly string[])[],
  predicted: readonly (readonly string[])[],
  mode: EntityMode = "default",
): EntityScores {
  if (truth.length !== predicted.length)
    throw new RangeError(`${truth.length} true sentences but ${predicted.length} predicted`);
  const counts = new Map<string, PrfCounts>();
  const get = (t: string) => counts.get(t) ?? counts.set(t, { truePositives: 0, predicted: 0, actual: 0 }).get(t)!;
  truth.forEach((tags, s) => {
    if (tags.length !== predicted[s].length)
      throw new RangeError(`sentence ${s}: ${tags.length} true tags but ${predicted[s].length} predicted`);
    const key = (e: Entity) => `${e.type}\u0000${e.start}\u0000${e.end}`;
    const gold = entitiesFromTags(tags, mode);
    const pred = entitiesFromTags(predicted[s], mode);
    const goldKeys = new Set(gold.map(key));
    for (const e of gold) get(e.type).actual++;
    for (const e of pred) {
      get(e.type).predicted++;
      if (goldKeys.has(key(e))) get(e.type).truePositives++;
    }
  });
  return averagedScores(counts);
}

/**
 * Per-type scores in type order, micro (counts pooled) and macro (per-type scores averaged) from per-type counts:
 * the averaging both seqeval's entity scores and SpERT's evaluator use.
 */
export function averagedScores(counts: ReadonlyMap<string, PrfCounts>): {
  perType: Record<string, Prf>;
  micro: Prf;
  macro: Pick<Prf, "precision" | "recall" | "f1">;
} {
  const perType: Record<string, Prf> = {};
  const total: PrfCounts = { truePositives: 0, predicted: 0, actual: 0 };
  for (const [type, c] of [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    perType[type] = prf(c);
    total.truePositives += c.truePositives;
    total.predicted += c.predicted;
    total.actual += c.actual;
  }
  const types = Object.values(perType);
  const avg = (k: "precision" | "recall" | "f1") =>
    types.length === 0 ? 0 : types.reduce((a, t) => a + t[k], 0) / types.length;
  return { perType, micro: prf(total), macro: { precision: avg("precision"), recall: avg("recall"), f1: avg("f1") } };
}

/** A drug-effect relation: both entities as word spans. */
export interface Relation {
  drug: Pick<Entity, "start" | "end">;
  effect: Pick<Entity, "start" | "end">;
}

/**
 * Relation-level strict F1: a predicted pair counts when both spans are exact and they are paired
 * (duplicates in one sentence count once).
 */
export function relationScores(
  truth: readonly (readonly Relation[])[],
  predicted: readonly (readonly Relation[])[],
): Prf {
  if (truth.length !== predicted.length)
    throw new RangeError(`${truth.length} true sentences but ${predicted.length} predicted`);
  const key = (r: Relation) => `${r.drug.start}:${r.drug.end}>${r.effect.start}:${r.effect.end}`;
  const c: PrfCounts = { truePositives: 0, predicted: 0, actual: 0 };
  truth.forEach((rels, s) => {
    const gold = new Set(rels.map(key));
    const pred = new Set(predicted[s].map(key));
    c.actual += gold.size;
    c.predicted += pred.size;
    for (const k of pred) if (gold.has(k)) c.truePositives++;
  });
  return prf(c);
}
