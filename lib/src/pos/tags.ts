/**
 * The part-of-speech vocabulary of the ablation: the 17 Universal Dependencies tags that wink-nlp's English
 * model (like spaCy's `en_core_web_sm`, which the study used) assigns, plus two reserved ids:
 *
 *   0 `[PAD]`  specials ([CLS], [SEP]) and padding positions: what the labels mark -100
 *   1 `[NONE]` a word the tagger gave no tag (an empty word, or text the tagger did not return)
 *
 * Tags outside the list (a future model's extra tag) are mapped to `X` and counted, never dropped.
 */
export const UPOS_TAGS = [
  "ADJ",
  "ADP",
  "ADV",
  "AUX",
  "CCONJ",
  "DET",
  "INTJ",
  "NOUN",
  "NUM",
  "PART",
  "PRON",
  "PROPN",
  "PUNCT",
  "SCONJ",
  "SYM",
  "VERB",
  "X",
] as const;
export type UposTag = (typeof UPOS_TAGS)[number];

export const POS_PAD = "[PAD]";
export const POS_NONE = "[NONE]";
export const POS_VOCAB: readonly string[] = [POS_PAD, POS_NONE, ...UPOS_TAGS];
export const POS_PAD_ID = 0;
export const POS_NONE_ID = 1;

const ID = new Map(POS_VOCAB.map((t, i) => [t, i]));

/** Id of a tag of POS_VOCAB; throws on anything else (the tagger maps unknown tags to X before this). */
export function posId(tag: string): number {
  const id = ID.get(tag);
  if (id === undefined)
    throw new RangeError(
      `part-of-speech tag ${JSON.stringify(tag)} is not in the vocabulary (${POS_VOCAB.join(", ")})`,
    );
  return id;
}

export function isUposTag(tag: string): tag is UposTag {
  return (UPOS_TAGS as readonly string[]).includes(tag);
}
