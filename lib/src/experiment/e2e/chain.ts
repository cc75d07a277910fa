import { entitiesFromTags, type Entity, type Relation } from "../../metrics/entity";
import { DRUG_MASK, EFFECT_MASK, type NerLabel } from "../../pipeline/rows";

/**
 * The two models chained on raw text, as the study describes it: NER tags turned back into words, predicted
 * entities replaced by one `DRUG` / `EFFECT` mask each (text lower-cased, as the RE model was trained), the
 * RE model labels each masked word with a pair number, and a drug and an effect with the same non-zero
 * number form a relation.
 */
export interface MaskedForRe {
  /** Lower-cased words with each entity collapsed into its mask. */
  words: string[];
  /** For each masked word, the entity it stands for (undefined for ordinary words). */
  entityAt: (Entity | undefined)[];
}

export function maskPredictedEntities(words: readonly string[], tags: readonly NerLabel[]): MaskedForRe {
  const entities = entitiesFromTags(tags);
  const startAt = new Map(entities.map((e) => [e.start, e]));
  const out: MaskedForRe = { words: [], entityAt: [] };
  for (let i = 0; i < words.length; i++) {
    const e = startAt.get(i);
    if (e && (e.type === "Drug" || e.type === "Effect")) {
      out.words.push(e.type === "Drug" ? DRUG_MASK : EFFECT_MASK);
      out.entityAt.push(e);
      i = e.end;
    } else {
      out.words.push(words[i].toLowerCase());
      out.entityAt.push(undefined);
    }
  }
  return out;
}

/** Pairs every drug mask with every effect mask that carries the same non-zero association number. */
export function readRelations(masked: MaskedForRe, wordLabels: readonly number[]): Relation[] {
  const byPair = new Map<number, { drugs: Entity[]; effects: Entity[] }>();
  masked.entityAt.forEach((e, i) => {
    const k = wordLabels[i] ?? 0;
    if (!e || k <= 0) return;
    const slot = byPair.get(k) ?? byPair.set(k, { drugs: [], effects: [] }).get(k)!;
    (e.type === "Drug" ? slot.drugs : slot.effects).push(e);
  });
  const relations: Relation[] = [];
  for (const { drugs, effects } of byPair.values()) {
    for (const d of drugs)
      for (const f of effects)
        relations.push({ drug: { start: d.start, end: d.end }, effect: { start: f.start, end: f.end } });
  }
  return relations;
}

/** Python's `find_sub_list`: the first position where `needle` occurs as consecutive words. */
export function findWords(needle: readonly string[], haystack: readonly string[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The gold relations of a NER row in word spans: pair i is (drug i, effect i), each at its first occurrence
 * as whole words (as the study tags them). Pairs whose entity never occurs as whole words are counted apart.
 */
export function goldRelations(
  words: readonly string[],
  drugs: readonly string[],
  effects: readonly string[],
): { relations: Relation[]; unlocatable: number } {
  const relations: Relation[] = [];
  let unlocatable = 0;
  const seen = new Set<string>();
  for (let i = 0; i < Math.min(drugs.length, effects.length); i++) {
    const d = drugs[i].split(" ");
    const e = effects[i].split(" ");
    const ds = findWords(d, words);
    const es = findWords(e, words);
    if (ds < 0 || es < 0) {
      unlocatable++;
      continue;
    }
    const r = { drug: { start: ds, end: ds + d.length - 1 }, effect: { start: es, end: es + e.length - 1 } };
    const key = JSON.stringify(r);
    if (!seen.has(key)) relations.push(r);
    seen.add(key);
  }
  return { relations, unlocatable };
}
