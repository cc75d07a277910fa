import type { AlignedSequence, WordAlignedTokenizer } from "../../bert/tokenizer";
import type { ReRow } from "../../pipeline/rows";
import { encodeReWords } from "../../re/mask-ids";

/** RE inputs as the study builds them: masked words, one association label per word copied to its sub-tokens. */
export interface ReExample {
  row: number;
  words: string[];
  labels: number[];
  sequence: AlignedSequence;
}

/** Association classes: 0 outside entities, 1..4 the pair number (concatenations hold at most 4 sentences). */
export const RE_CLASSES = 5;

export function encodeReRows(
  rows: readonly ReRow[],
  indices: readonly number[],
  tokenizer: WordAlignedTokenizer,
  maxLength: number,
): ReExample[] {
  return indices.map((row) => {
    const words = rows[row].maskedText.split(" ");
    const labels = rows[row].annotatedText;
    if (labels.length !== words.length)
      throw new RangeError(`RE row ${row}: ${words.length} words but ${labels.length} labels`);
    for (const l of labels)
      if (!(l >= 0 && l < RE_CLASSES))
        throw new RangeError(`RE row ${row}: association label ${l} outside 0..${RE_CLASSES - 1}`);
    return { row, words, labels, sequence: encodeReWords(tokenizer, words, labels, maxLength) };
  });
}
