import { LegacyRandomState } from "../random/mt19937";
import { pyReplaceAll, pySplit, pyStrip } from "../text/python-regex";
import { buildNerRows, buildReRows, CONCAT_SIZES, concatenationsPerK } from "./augment";
import { cleanText } from "./clean";
import { studyIobTags } from "./iob";
import type { NerRow, PreprocessedRow, ReRow } from "./rows";

/**
 * Corrected variants of the study's protocol, for later experiments. They change the data, so results on
 * them are not comparable with the study's figures; they are comparable with the field's.
 */

/**
 * Labels merged per sentence: one row per distinct sentence carrying ALL of its drug-effect pairs, so a
 * sentence is never labelled O for an entity that another row of the same sentence labels as an entity.
 * The text is cleaned as in the study, with every drug and effect of the sentence lower-cased.
 */
export function mergeRowsBySentence(rows: readonly PreprocessedRow[]): PreprocessedRow[][] {
  const groups = new Map<string, PreprocessedRow[]>();
  for (const r of rows) groups.set(r.sentence, [...(groups.get(r.sentence) ?? []), r]);
  return [...groups.values()];
}

export interface MergedSentence {
  text: string;
  sentence: string;
  pmid: string;
  pairs: { drug: string; effect: string }[];
  /** IOB tags over Treebank tokens with every pair's entities. */
  iob: string;
}

export function mergedSentence(group: readonly PreprocessedRow[]): MergedSentence {
  let text = cleanText(pyStrip(group[0].sentence));
  const entities = group.flatMap((r) => [r.drug, r.effect]);
  // lower-case the original-cased occurrences of each entity, as the study does for its own pair
  for (const r of group) {
    for (const original of [cleanText(pyStrip(r.drug)), cleanText(pyStrip(r.effect))]) {
      text = pyReplaceAll(text, original, original.toLowerCase());
    }
  }
  const lower = text.toLowerCase();
  for (const e of entities) {
    // entities written in another case in the sentence than in the annotation: lower-case them too
    let at = lower.indexOf(e);
    while (at >= 0 && text.slice(at, at + e.length) !== e) {
      text = text.slice(0, at) + e + text.slice(at + e.length);
      at = lower.indexOf(e, at + e.length);
    }
  }
  text = pySplit(text).join(" ");
  const pairs = group.map((r) => ({ drug: r.drug, effect: r.effect }));
  const iob = studyIobTags(
    text,
    pairs.map((p) => p.drug),
    pairs.map((p) => p.effect),
  ).join(" ");
  return { text, sentence: group[0].sentence, pmid: group[0].pmid, pairs, iob };
}

export type GroupBy = "sentence" | "document";

export interface GroupedSplit<T> {
  train: T[];
  val: T[];
  test: T[];
  by: GroupBy;
  seed: number;
  groups: { train: number; val: number; test: number };
}

/**
 * A split made BEFORE augmentation, by sentence or by PubMed document: every row of a group lands in one
 * part, so no test sentence (or no test abstract) is ever seen in training. Groups are shuffled with the
 * seeded legacy generator and cut 80/10/10 by group count.
 */
export function splitByGroup(rows: readonly PreprocessedRow[], by: GroupBy, seed = 0): GroupedSplit<number> {
  const keyOf = (r: PreprocessedRow) => (by === "sentence" ? r.sentence : r.pmid);
  const keys = [...new Set(rows.map(keyOf))];
  const order = new LegacyRandomState(seed).permutation(keys.length).map((i) => keys[i]);
  const nTest = Math.ceil(0.1 * keys.length);
  const nVal = Math.ceil(0.1 * keys.length);
  const part = new Map<string, "train" | "val" | "test">();
  order.forEach((k, i) => part.set(k, i < nTest ? "test" : i < nTest + nVal ? "val" : "train"));
  const out: GroupedSplit<number> = {
    train: [],
    val: [],
    test: [],
    by,
    seed,
    groups: { train: keys.length - nTest - nVal, val: nVal, test: nTest },
  };
  rows.forEach((r, i) => out[part.get(keyOf(r)) as "train" | "val" | "test"].push(i));
  return out;
}

/** Augment one part on its own: concatenations drawn only among that part's rows (seeded). */
export function augmentPart(
  rows: readonly PreprocessedRow[],
  seed = 0,
): { ner: NerRow[]; re: ReRow[]; draws: number[][] } {
  const rng = new LegacyRandomState(seed);
  const draws: number[][] = [];
  for (const k of CONCAT_SIZES) {
    for (let i = 0; i < concatenationsPerK(rows.length); i++)
      draws.push(Array.from({ length: k }, () => rng.randint(0, rows.length)));
  }
  return { ner: buildNerRows(rows, draws), re: buildReRows(rows, draws), draws };
}

/** The corrected protocol end to end: group split first, then each part augmented separately. */
export function splitThenAugment(rows: readonly PreprocessedRow[], by: GroupBy, seed = 0) {
  const split = splitByGroup(rows, by, seed);
  const pick = (idx: number[]) => idx.map((i) => rows[i]);
  return {
    split,
    train: augmentPart(pick(split.train), seed),
    val: augmentPart(pick(split.val), seed + 1),
    test: augmentPart(pick(split.test), seed + 2),
  };
}
