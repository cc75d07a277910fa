import type { LoadedBert } from "../../bert/checkpoint";
import { stackSequences } from "../../bert/tokenizer";
import type { Relation } from "../../metrics/entity";
import type { NerLabel } from "../../pipeline/rows";
import type { RelationModel } from "../../re/model";
import type { TokenClassifier } from "../../bert/token-classifier";
import { maskPredictedEntities, readRelations, type MaskedForRe } from "./chain";
import { bestWindowPerWord, codePointOffsets, wordWindows } from "./windows";
import { wordTagsFromPieces } from "../ner/data";
import { encodeReWords, reWordPieces } from "../../re/mask-ids";
import { firstPieceLabels } from "../shared/pieces";
import { predictSequences } from "../../train/fit";
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
  return Array.from(text.matchAll(/[\p{L}\p{N}_]+(?:[.=][\p{L}\p{N}_]+)*/gu), (m) => ({
    text: m[0],
    start: m.index!,
    end: m.index! + m[0].length,
  }));
}

export interface ExtractedEntity {
  type: "Drug" | "Effect";
  text: string;
  /** Unicode code points from the start of the text (Python's `text[start:end]`; in JavaScript `[...text].slice(start, end)`). */
  start: number;
  end: number;
}

export interface Extraction {
  text: string;
  /** The unit of every `start` and `end`. */
  offsets: "unicode code points";
  entities: ExtractedEntity[];
  /** Indices into `entities`. */
  relations: { drug: number; effect: number }[];
  /** Words read, and the windows of at most the model's positions they were read in (1 when the text fits). */
  words: number;
  windows: number;
  /** A single word had more pieces than the model's positions and was cut (every other word is read). */
  truncated: boolean;
}

/** What the chain makes of one row of words. */
export interface WordsPrediction {
  tags: NerLabel[];
  maskedWords: string[];
  associations: number[];
  /** The RE model's labels per piece of the masked row (padded to the model's positions). */
  rePieces: Int32Array;
  relations: Relation[];
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
  async predictWords(words: readonly string[]): Promise<WordsPrediction> {
    return (await this.predictManyWords([words]))[0];
  }

  /**
   * `predictWords` for many rows at once: NER on batches of rows of similar length, then RE on the masked rows,
   * also batched (each row's result is what it gives alone: padding is masked in NER and carries no features in
   * RE). Rows longer than the model are cut, as in the study (`truncated`).
   */
  async predictManyWords(rows: readonly (readonly string[])[], batchSize = 8): Promise<WordsPrediction[]> {
    const settings = { batchSize, maxLength: this.maxLength };
    const nerSeqs = rows.map((words) => this.ner.bert.tokenizer.encodeWords([...words], undefined, this.maxLength));
    const nerPieces = await predictSequences(this.ner.model, nerSeqs, settings);
    const tags = rows.map((words, i) => wordTagsFromPieces(nerSeqs[i], nerPieces[i], words.length));
    const masked = rows.map((words, i) => maskPredictedEntities(words, tags[i]));
    const reSeqs = masked.map((m) => encodeReWords(this.re.bert.tokenizer, m.words, undefined, this.maxLength));
    const rePieces = await predictSequences(this.re.model, reSeqs, settings);
    return rows.map((_, i) => {
      const associations = firstPieceLabels(reSeqs[i], rePieces[i], masked[i].words.length);
      return {
        tags: tags[i],
        maskedWords: masked[i].words,
        associations,
        rePieces: rePieces[i],
        relations: readRelations(masked[i], associations),
        truncated: nerSeqs[i].truncated || reSeqs[i].truncated,
      };
    });
  }

  /**
   * NER tags of every word of a text of any length: windows that fit the model, each word tagged by the window
   * where it has the most context (see windows.ts).
   */
  async tagLongText(words: readonly string[]): Promise<{ tags: NerLabel[]; windows: number; truncated: boolean }> {
    const tok = this.ner.bert.tokenizer;
    const windows = wordWindows(
      words.map((w) => tok.wordIds(w).length),
      this.maxLength - 2,
    );
    const best = bestWindowPerWord(windows, words.length);
    const tags = new Array<NerLabel>(words.length).fill("O");
    let truncated = false;
    for (const [k, w] of windows.entries()) {
      const slice = words.slice(w.start, w.end);
      const seq = tok.encodeWords(slice, undefined, this.maxLength);
      truncated ||= seq.truncated;
      const local = wordTagsFromPieces(
        seq,
        await this.ner.model.predict(stackSequences([seq], this.maxLength)),
        slice.length,
      );
      for (let i = w.start; i < w.end; i++) if (best[i] === k) tags[i] = local[i - w.start];
    }
    return { tags, windows: windows.length, truncated };
  }

  /** Relations over the masked words of a text of any length: each window read on its own, the pairs joined. */
  async relationsOfLongText(masked: MaskedForRe): Promise<{ relations: Relation[]; truncated: boolean }> {
    const tok = this.re.bert.tokenizer;
    const windows = wordWindows(
      masked.words.map((w) => reWordPieces(tok, w)),
      this.maxLength - 2,
    );
    const seen = new Set<string>();
    const relations: Relation[] = [];
    let truncated = false;
    for (const w of windows) {
      const part: MaskedForRe = {
        words: masked.words.slice(w.start, w.end),
        entityAt: masked.entityAt.slice(w.start, w.end),
      };
      const seq = encodeReWords(tok, part.words, undefined, this.maxLength);
      truncated ||= seq.truncated;
      const associations = firstPieceLabels(
        seq,
        await this.re.model.predict(stackSequences([seq], this.maxLength)),
        part.words.length,
      );
      // entities keep their word spans in the whole text, so a pair found by two windows is one relation
      for (const r of readRelations(part, associations)) {
        const key = `${r.drug.start}:${r.drug.end}:${r.effect.start}:${r.effect.end}`;
        if (!seen.has(key)) {
          seen.add(key);
          relations.push(r);
        }
      }
    }
    return { relations, truncated };
  }

  async extract(text: string): Promise<Extraction> {
    const words = wordsWithOffsets(text);
    const wordTexts = words.map((w) => w.text);
    const ner = await this.tagLongText(wordTexts);
    const masked = maskPredictedEntities(wordTexts, ner.tags);
    const re = await this.relationsOfLongText(masked);
    const cp = codePointOffsets(text);
    const byKey = new Map<string, ExtractedEntity>();
    const keyOf = (type: "Drug" | "Effect", start: number, end: number): string => {
      const key = `${type}:${start}:${end}`;
      const from = words[start].start;
      const to = words[end].end;
      if (!byKey.has(key)) byKey.set(key, { type, text: text.slice(from, to), start: cp[from], end: cp[to] });
      return key;
    };
    // every predicted entity is reported, related or not
    for (const e of masked.entityAt) if (e) keyOf(e.type as "Drug" | "Effect", e.start, e.end);
    const pairs = re.relations.map((r) => [
      keyOf("Drug", r.drug.start, r.drug.end),
      keyOf("Effect", r.effect.start, r.effect.end),
    ]);
    const keys = [...byKey.keys()].sort((a, b) => byKey.get(a)!.start - byKey.get(b)!.start);
    const index = new Map(keys.map((k, i) => [k, i]));
    return {
      text,
      offsets: "unicode code points",
      entities: keys.map((k) => byKey.get(k)!),
      relations: pairs.map(([d, e]) => ({ drug: index.get(d)!, effect: index.get(e)! })),
      words: words.length,
      windows: ner.windows,
      truncated: ner.truncated || re.truncated,
    };
  }
}
