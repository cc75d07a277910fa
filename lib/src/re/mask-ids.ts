/**
 * The ids the relation model reads for its two masks, `DRUG` and `EFFECT`.
 *
 * The study lower-cases the RE text and writes the masks in capitals, so a cased vocabulary (`bert-base-cased`)
 * reads them as word pieces no ordinary word of the text produces. An uncased vocabulary (`all-MiniLM-L6-v2`)
 * lower-cases them back into the words "drug" and "effect", which this corpus uses all the time ("adverse drug
 * reaction", "side effect"), so the masks would look like text. There each mask takes one of the vocabulary's
 * reserved tokens, `[unused0]` and `[unused1]`, which no text produces: the masks stay what the study meant them to
 * be, whatever the casing. A cased vocabulary keeps the study's own pieces.
 */
import type { WordAlignedTokenizer } from "../bert/tokenizer";
import { DRUG_MASK, EFFECT_MASK } from "../pipeline/rows";

/** The reserved tokens the masks take where the vocabulary cannot tell them from text. */
export const RESERVED_MASK_TOKENS: Readonly<Record<string, string>> = {
  [DRUG_MASK]: "[unused0]",
  [EFFECT_MASK]: "[unused1]",
};

const known = new WeakMap<WordAlignedTokenizer, ReadonlyMap<string, readonly number[]> | null>();

/**
 * Fixed ids for the mask words of this tokenizer (to pass to `encodeWords`), or undefined when its own pieces
 * already set them apart (a cased vocabulary), or when it has no reserved tokens to give them.
 */
export function reMaskIds(tokenizer: WordAlignedTokenizer): ReadonlyMap<string, readonly number[]> | undefined {
  let ids = known.get(tokenizer);
  if (ids === undefined) {
    ids = null;
    const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    const blurred = [DRUG_MASK, EFFECT_MASK].some((m) =>
      same(tokenizer.wordIds(m), tokenizer.wordIds(m.toLowerCase())),
    );
    if (blurred) {
      const reserved = Object.entries(RESERVED_MASK_TOKENS).map(
        ([word, token]) => [word, tokenizer.idOf(token)] as const,
      );
      if (reserved.every(([, id]) => id !== undefined))
        ids = new Map(reserved.map(([word, id]) => [word, [id as number]]));
    }
    known.set(tokenizer, ids);
  }
  return ids ?? undefined;
}

/** The RE input of some (masked, lower-cased) words: `encodeWords` with the masks' ids. */
export function encodeReWords(
  tokenizer: WordAlignedTokenizer,
  words: readonly string[],
  labels: number[] | undefined,
  maxLength: number,
) {
  return tokenizer.encodeWords([...words], labels, maxLength, reMaskIds(tokenizer));
}

/** The number of pieces a word of the RE input takes (for windows over long texts). */
export function reWordPieces(tokenizer: WordAlignedTokenizer, word: string): number {
  return (reMaskIds(tokenizer)?.get(word) ?? tokenizer.wordIds(word)).length;
}
