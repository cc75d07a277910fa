import type { AlignedSequence } from "../bert/tokenizer";
import { POS_PAD_ID, posId } from "./tags";

/**
 * The POS id of every sub-token position, copied from its word exactly as the association labels are
 * (every piece of a word carries the word's tag); [PAD] on [CLS], [SEP] and padding.
 */
export function posIdsForSequence(sequence: AlignedSequence, wordTags: readonly string[]): Int32Array {
  const ids = wordTags.map(posId);
  const out = new Int32Array(sequence.wordIndex.length).fill(POS_PAD_ID);
  sequence.wordIndex.forEach((w, i) => {
    if (w < 0) return;
    if (w >= ids.length)
      throw new RangeError(
        `POS alignment: position ${i} belongs to word ${w}, but only ${ids.length} words were tagged`,
      );
    out[i] = ids[w];
  });
  return out;
}
