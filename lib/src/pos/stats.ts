import { DRUG_MASK, EFFECT_MASK } from "../pipeline/rows";
import { POS_VOCAB, POS_PAD } from "./tags";

/** The RE masks: every word equal to one of these is an entity position. */
export const ENTITY_MASKS = [DRUG_MASK, EFFECT_MASK] as const;

export interface TaggedRow {
  words: readonly string[];
  tags: readonly string[];
}

export type TagShareRow = {
  tag: string;
  inside: number;
  outside: number;
  /** Share of entity (mask) words with this tag. */
  inside_share: number;
  /** Share of the other words with this tag. */
  outside_share: number;
};

export type MaskTagSummary = {
  mask: string;
  words: number;
  /** The tag this mask gets most often, and how often it gets another one (the context changes its tag). */
  majority_tag: string;
  other_tag_share: number;
  distinct_tags: number;
};

export interface TagDistribution {
  rows: TagShareRow[];
  insideWords: number;
  outsideWords: number;
  /**
   * Total variation distance between the two distributions: the share of words whose tag would have to change
   * to make the entity and non-entity distributions equal (0 = same, 1 = disjoint tag sets).
   */
  totalVariation: number;
  masks: MaskTagSummary[];
}

const isMask = (w: string) => (ENTITY_MASKS as readonly string[]).includes(w);

/** Tag counts inside entities (the masks) and outside, every tag of the vocabulary listed (zeros kept). */
export function tagDistribution(rows: readonly TaggedRow[]): TagDistribution {
  const inside = new Map<string, number>();
  const outside = new Map<string, number>();
  const perMask = new Map<string, Map<string, number>>(ENTITY_MASKS.map((m) => [m, new Map()]));
  rows.forEach((r, i) => {
    if (r.words.length !== r.tags.length)
      throw new RangeError(`tagged row ${i}: ${r.words.length} words but ${r.tags.length} tags`);
    r.words.forEach((w, k) => {
      const tag = r.tags[k];
      const into = isMask(w) ? inside : outside;
      into.set(tag, (into.get(tag) ?? 0) + 1);
      const m = perMask.get(w);
      if (m) m.set(tag, (m.get(tag) ?? 0) + 1);
    });
  });
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const nIn = sum(inside);
  const nOut = sum(outside);
  const share = (n: number, total: number) => (total ? n / total : 0);
  const tableRows = POS_VOCAB.filter((t) => t !== POS_PAD).map((tag) => {
    const a = inside.get(tag) ?? 0;
    const b = outside.get(tag) ?? 0;
    return { tag, inside: a, outside: b, inside_share: share(a, nIn), outside_share: share(b, nOut) };
  });
  const totalVariation =
    nIn && nOut ? tableRows.reduce((s, r) => s + Math.abs(r.inside_share - r.outside_share), 0) / 2 : 0;
  const masks = [...perMask].map(([mask, counts]) => {
    const n = sum(counts);
    const [majority, top] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ["", 0];
    return { mask, words: n, majority_tag: majority, other_tag_share: share(n - top, n), distinct_tags: counts.size };
  });
  return { rows: tableRows, insideWords: nIn, outsideWords: nOut, totalVariation, masks };
}
