import type { AlignedSequence, WordAlignedTokenizer } from "../../bert/tokenizer";
import { NER_LABEL_ID, NER_LABELS, type NerLabel, type NerRow } from "../../pipeline/rows";
import { firstPieceLabels } from "../shared/pieces";

/**
 * NER inputs as the study builds them: each whitespace word paired with the tag at the same position
 * (Python's `zip`, so a row with more Treebank tags than words loses its last tags, and the reverse), each
 * word tokenized on its own with its label copied to every sub-token, `[CLS] ... [SEP]`, truncated or
 * padded to `maxLength`, -100 on specials and padding.
 */
export interface NerExample {
  row: number;
  words: string[];
  /** Gold tag per word (after the zip). */
  tags: NerLabel[];
  sequence: AlignedSequence;
}

export function nerWordsAndTags(row: NerRow): { words: string[]; tags: NerLabel[] } {
  const words = row.text.split(" ");
  const tags = row.iob.split(" ") as NerLabel[];
  const n = Math.min(words.length, tags.length);
  for (const t of tags)
    if (!(t in NER_LABEL_ID))
      throw new RangeError(`unknown IOB tag ${JSON.stringify(t)} in ${JSON.stringify(row.text)}`);
  return { words: words.slice(0, n), tags: tags.slice(0, n) };
}

export function encodeNerRows(
  rows: readonly NerRow[],
  indices: readonly number[],
  tokenizer: WordAlignedTokenizer,
  maxLength: number,
): NerExample[] {
  return indices.map((row) => {
    const { words, tags } = nerWordsAndTags(rows[row]);
    return {
      row,
      words,
      tags,
      sequence: tokenizer.encodeWords(
        words,
        tags.map((t) => NER_LABEL_ID[t]),
        maxLength,
      ),
    };
  });
}

/** Word-level tags from sub-token predictions: each word takes its first piece's label; truncated words are `O`. */
export function wordTagsFromPieces(
  sequence: AlignedSequence,
  pieceLabels: ArrayLike<number>,
  nWords: number,
): NerLabel[] {
  return firstPieceLabels(sequence, pieceLabels, nWords).map((k) => NER_LABELS[k] ?? "O");
}
