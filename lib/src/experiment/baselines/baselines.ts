/**
 * Baselines that learn nothing but a list, scored with exactly the models' metrics:
 *
 * - Dictionary NER: every drug and every effect string of the training rows (as the rows write them: cleaned,
 *   lower-cased occurrences), matched in the test words longest first, left to right, whole words only and
 *   case-sensitively (the text the model reads). A string listed both as a drug and as an effect takes the type
 *   it has more often in training (ties: Drug, the type listed first).
 * - Co-occurrence RE: every drug paired with every effect of its own sentence. On the RE rows (gold masks) each
 *   mask gets the number of its sentence in the row (1..k); end to end, the entities come from a NER
 *   prediction (the dictionary's or a model's) and the pairs are read per sentence.
 *
 * Predictions go through the same scoring as the models: word tags are copied to every sub-token of their word
 * (as the gold labels are), then `evaluateNer` / `evaluateRe`.
 */
import type { AlignedSequence } from "../../bert/tokenizer";
import { entitiesFromTags, relationScores, type Prf, type Relation } from "../../metrics/entity";
import { maskSentences } from "../../pipeline/mask";
import {
  DRUG_MASK,
  EFFECT_MASK,
  NER_LABEL_ID,
  type NerLabel,
  type NerRow,
  type PreprocessedRow,
  type ReRow,
} from "../../pipeline/rows";
import { pySplit } from "../../text/python-regex";
import { goldRelations } from "../e2e/chain";
import { nerWordsAndTags } from "../ner/data";

export type EntityType = "Drug" | "Effect";

export interface EntityDictionary {
  /** Entity string (words joined by one space) -> type. */
  entries: Map<string, EntityType>;
  /** Longest entry, in words. */
  maxWords: number;
  /** Strings seen as both types (resolved by majority). */
  ambiguous: number;
}

export function buildEntityDictionary(rows: readonly Pick<NerRow, "drug" | "effect">[]): EntityDictionary {
  const counts = new Map<string, { Drug: number; Effect: number }>();
  const add = (s: string, type: EntityType) => {
    const key = pySplit(s).join(" ");
    if (!key) return;
    const c = counts.get(key) ?? counts.set(key, { Drug: 0, Effect: 0 }).get(key)!;
    c[type]++;
  };
  for (const r of rows) {
    r.drug.forEach((d) => add(d, "Drug"));
    r.effect.forEach((e) => add(e, "Effect"));
  }
  const entries = new Map<string, EntityType>();
  let maxWords = 0;
  let ambiguous = 0;
  for (const [key, c] of counts) {
    if (c.Drug > 0 && c.Effect > 0) ambiguous++;
    entries.set(key, c.Effect > c.Drug ? "Effect" : "Drug");
    maxWords = Math.max(maxWords, key.split(" ").length);
  }
  return { entries, maxWords, ambiguous };
}

/** IOB tags of `words` from the dictionary: at each word the longest entry starting there wins. */
export function dictionaryTags(dictionary: EntityDictionary, words: readonly string[]): NerLabel[] {
  const tags: NerLabel[] = new Array(words.length).fill("O");
  for (let i = 0; i < words.length;) {
    let matched = 0;
    for (let n = Math.min(dictionary.maxWords, words.length - i); n >= 1; n--) {
      const type = dictionary.entries.get(words.slice(i, i + n).join(" "));
      if (type) {
        tags[i] = `B-${type}`;
        for (let k = 1; k < n; k++) tags[i + k] = `I-${type}`;
        matched = n;
        break;
      }
    }
    i += Math.max(1, matched);
  }
  return tags;
}

/** Sub-token labels from word labels: each piece takes its word's label (as the gold labels are copied); 0 elsewhere. */
export function piecesFromWordLabels(sequence: AlignedSequence, wordLabels: readonly number[]): Int32Array {
  const out = new Int32Array(sequence.inputIds.length);
  for (let i = 0; i < sequence.length; i++) {
    const w = sequence.wordIndex[i];
    if (w >= 0) out[i] = wordLabels[w] ?? 0;
  }
  return out;
}

/** Dictionary predictions for encoded NER examples, as sub-token label ids (what `evaluateNer` reads). */
export function dictionaryNerPredictions(
  dictionary: EntityDictionary,
  examples: readonly { words: string[]; sequence: AlignedSequence }[],
): Int32Array[] {
  return examples.map((ex) =>
    piecesFromWordLabels(
      ex.sequence,
      dictionaryTags(dictionary, ex.words).map((t) => NER_LABEL_ID[t]),
    ),
  );
}

/** The sentence (0-based, within the row) of every word of a NER row: its parts' cleaned texts, in order. */
export function nerWordSentences(preprocessed: readonly PreprocessedRow[], row: Pick<NerRow, "parts">): number[] {
  return row.parts.flatMap((p, s) => pySplit(preprocessed[p].text).map(() => s));
}

/**
 * The sentence of every word of an RE row. A concatenation is masked again exactly as it was built (one call
 * per concatenation, so the masking's state is the same) to count each sentence's words; a single row is one
 * sentence. Throws when the count disagrees with the row (the row was not built from these parts).
 */
export function reWordSentences(
  preprocessed: readonly PreprocessedRow[],
  row: Pick<ReRow, "parts" | "maskedText">,
  rowIndex: number,
): number[] {
  const nWords = row.maskedText.split(" ").length;
  if (row.parts.length === 1) return new Array(nWords).fill(0);
  const lower = (f: (r: PreprocessedRow) => string) => row.parts.map((p) => f(preprocessed[p]).toLowerCase());
  const masked = maskSentences(
    lower((r) => r.text),
    lower((r) => r.drug),
    lower((r) => r.effect),
    true,
  );
  const sentences = masked.flatMap((m, s) => m.annotations.map(() => s));
  if (sentences.length !== nWords) {
    throw new RangeError(
      `RE row ${rowIndex}: its ${row.parts.length} sentences mask to ${sentences.length} words but the row has ${nWords}`,
    );
  }
  return sentences;
}

/** Co-occurrence on gold masks: every `DRUG` / `EFFECT` mask gets its sentence's number (1..k), other words 0. */
export function cooccurrenceReLabels(words: readonly string[], sentenceOfWord: readonly number[]): number[] {
  return words.map((w, i) => (w === DRUG_MASK || w === EFFECT_MASK ? sentenceOfWord[i] + 1 : 0));
}

/** Co-occurrence end to end: every predicted drug paired with every predicted effect of the same sentence. */
export function cooccurrenceRelations(tags: readonly NerLabel[], sentenceOfWord: readonly number[]): Relation[] {
  const entities = entitiesFromTags(tags);
  const relations: Relation[] = [];
  for (const d of entities) {
    if (d.type !== "Drug") continue;
    for (const e of entities) {
      if (e.type === "Effect" && sentenceOfWord[d.start] === sentenceOfWord[e.start])
        relations.push({ drug: { start: d.start, end: d.end }, effect: { start: e.start, end: e.end } });
    }
  }
  return relations;
}

/** Dictionary NER then co-occurrence RE on NER rows, scored with relation-level strict F1 against the gold pairs. */
export function evaluateBaselineEndToEnd(
  dictionary: EntityDictionary,
  data: { preprocessed: readonly PreprocessedRow[]; ner: readonly NerRow[] },
  rows: readonly number[],
): { relation: Prf; rows: number; unlocatableGoldPairs: number } {
  const gold: Relation[][] = [];
  const predicted: Relation[][] = [];
  let unlocatable = 0;
  for (const r of rows) {
    const ner = data.ner[r];
    const { words } = nerWordsAndTags(ner);
    const g = goldRelations(words, ner.drug, ner.effect);
    unlocatable += g.unlocatable;
    gold.push(g.relations);
    predicted.push(cooccurrenceRelations(dictionaryTags(dictionary, words), nerWordSentences(data.preprocessed, ner)));
  }
  return { relation: relationScores(gold, predicted), rows: rows.length, unlocatableGoldPairs: unlocatable };
}
