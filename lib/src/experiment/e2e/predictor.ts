import type { LoadedBert } from "../../bert/checkpoint";
import { stackSequences } from "../../bert/tokenizer";
import type { Relation } from "../../metrics/entity";
import type { NerLabel } from "../../pipeline/rows";
import type { RelationModel } from "../../re/model";
import type { TokenClassifier } from "../../bert/token-classifier";
import { maskPredictedEntities, readRelations } from "./chain";
import { wordTagsFromPieces } from "../ner/data";
import { firstPieceLabels } from "../shared/pieces";
import { loadNerModel } from "../ner/task";
import { loadReModel } from "../re/task";
import type { StoredModelInfo } from "../shared/model-store";

/** A word of the input with its character offsets in the original text. */
export interface Word {
  text: string;
  start: number;
  end: number;
}

/**
 * Words as the study's cleaning leaves them, with offsets into the raw text: runs of letters, digits and
 * underscores, joined across `.` or `=` between them (decimals, `x=1.2`); every other character separates.
 */
export function wordsWithOffsets(text: string): Word[] {
  return Array.from(text.matchAll(/[\p{L}\p{N}_]+(?:[.=][\p{L}\p{N}_]+)*/gu), (m) => ({ text: m[0], start: m.index!, end: m.index! + m[0].length }));
}

export interface ExtractedEntity {
  type: "Drug" | "Effect";
  text: string;
  start: number;
  end: number;
}

export interface Extraction {
  text: string;
  entities: ExtractedEntity[];
  /** Indices into `entities`. */
  relations: { drug: number; effect: number }[];
  /** Words past the model's input length were not read. */
  truncated: boolean;
}

/** Both trained models chained on raw text. */
export class AdePredictor {
  constructor(
    readonly ner: { model: TokenClassifier; bert: LoadedBert; info: StoredModelInfo },
    readonly re: { model: RelationModel; bert: LoadedBert; info: StoredModelInfo },
    readonly maxLength = 128,
  ) {}

  static async load(nerDir: string, reDir: string): Promise<AdePredictor> {
    const ner = await loadNerModel(nerDir);
    const re = await loadReModel(reDir);
    return new AdePredictor(ner, re, re.model.seqLen);
  }

  /** NER tags per word, the masked RE input, its association labels and the relations (word spans). */
  predictWords(words: readonly string[]): { tags: NerLabel[]; maskedWords: string[]; associations: number[]; rePieces: Int32Array; relations: Relation[]; truncated: boolean } {
    const nerSeq = this.ner.bert.tokenizer.encodeWords([...words], undefined, this.maxLength);
    const nerPred = this.ner.model.predict(stackSequences([nerSeq], this.maxLength));
    const tags = wordTagsFromPieces(nerSeq, nerPred, words.length);
    const masked = maskPredictedEntities(words, tags);
    const reSeq = this.re.bert.tokenizer.encodeWords(masked.words, undefined, this.maxLength);
    const rePred = this.re.model.predict(stackSequences([reSeq], this.maxLength));
    const associations = firstPieceLabels(reSeq, rePred, masked.words.length);
    return { tags, maskedWords: masked.words, associations, rePieces: rePred, relations: readRelations(masked, associations), truncated: nerSeq.truncated || reSeq.truncated };
  }

  extract(text: string): Extraction {
    const words = wordsWithOffsets(text);
    const out = this.predictWords(words.map((w) => w.text));
    const byKey = new Map<string, ExtractedEntity>();
    const keyOf = (type: "Drug" | "Effect", start: number, end: number): string => {
      const key = `${type}:${start}:${end}`;
      if (!byKey.has(key)) byKey.set(key, { type, text: text.slice(words[start].start, words[end].end), start: words[start].start, end: words[end].end });
      return key;
    };
    // every predicted entity is reported, related or not
    for (const e of maskPredictedEntities(words.map((w) => w.text), out.tags).entityAt) if (e) keyOf(e.type as "Drug" | "Effect", e.start, e.end);
    const pairs = out.relations.map((r) => [keyOf("Drug", r.drug.start, r.drug.end), keyOf("Effect", r.effect.start, r.effect.end)]);
    const keys = [...byKey.keys()].sort((a, b) => byKey.get(a)!.start - byKey.get(b)!.start);
    const index = new Map(keys.map((k, i) => [k, i]));
    return {
      text,
      entities: keys.map((k) => byKey.get(k)!),
      relations: pairs.map(([d, e]) => ({ drug: index.get(d)!, effect: index.get(e)! })),
      truncated: out.truncated,
    };
  }
}
