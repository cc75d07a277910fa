/**
 * Part-of-speech tags for words that are already split (the RE inputs: lower-cased text with `DRUG` /
 * `EFFECT` masks, split on single spaces), from wink-nlp and its English model `wink-eng-lite-web-model`.
 *
 * wink-nlp tokenizes by itself, so the words are joined with spaces, tagged in context (one document per
 * row, so the tagger sees the whole sentence), and each tagger token is placed back on the word whose
 * characters it covers. A word split into several tokens (`x=1.2` -> `x` `=` `1.2`, `can't` -> `ca` `n't`)
 * takes the tag of its first token that is not punctuation (so `(12.5%)` is NUM, not PUNCT); a word the
 * tagger returned nothing for gets `[NONE]`. Every such case is counted, per kind, so a reader can see how
 * often the tags are not a clean one-tag-per-word answer.
 */
import winkNLP from "wink-nlp";
import model from "wink-eng-lite-web-model";
import { isUposTag, POS_NONE } from "./tags";

/** What went differently from one tagger token per word. */
export interface TaggingCounts {
  /** Words tagged. */
  words: number;
  /** Words that are the empty string (two spaces in a row in the input): tagged [NONE]. */
  emptyWords: number;
  /** Non-empty words the tagger produced no token for: tagged [NONE]. */
  untaggedWords: number;
  /** Words the tagger split into several tokens (tagged with the first non-punctuation token's tag). */
  splitWords: number;
  /** Tagger tokens whose text was not found in the input at or after the previous token (ignored). */
  unalignedTokens: number;
  /** Tags outside the Universal Dependencies set, mapped to X. */
  unknownTags: number;
  /** Rows on which the tagger threw; all their words tagged [NONE]. */
  failedRows: number;
}

export const emptyTaggingCounts = (): TaggingCounts => ({
  words: 0,
  emptyWords: 0,
  untaggedWords: 0,
  splitWords: 0,
  unalignedTokens: 0,
  unknownTags: 0,
  failedRows: 0,
});

export function addTaggingCounts(into: TaggingCounts, more: TaggingCounts): TaggingCounts {
  for (const k of Object.keys(into) as (keyof TaggingCounts)[]) into[k] += more[k];
  return into;
}

/** One row's tags (one per word, from POS_VOCAB minus [PAD]) and what happened while tagging it. */
export interface TaggedWords {
  tags: string[];
  counts: TaggingCounts;
}

type Nlp = ReturnType<typeof winkNLP>;

export class WordTagger {
  private readonly nlp: Nlp;
  /** Totals over every row tagged by this tagger. */
  readonly totals: TaggingCounts = emptyTaggingCounts();

  /** `nlp`: a wink-nlp instance (tests pass one that fails); default the English model with sentence
   *  boundaries and POS only, as the tags need no entities, negation or sentiment (2x faster). */
  constructor(nlp?: Nlp) {
    this.nlp = nlp ?? winkNLP(model, ["sbd", "pos"]);
  }

  /** Tags of `words` read in context as one text. */
  tagWords(words: readonly string[]): TaggedWords {
    const counts = emptyTaggingCounts();
    counts.words = words.length;
    const tags = new Array<string>(words.length).fill(POS_NONE);
    const tokenTags: string[][] = words.map(() => []);
    // character span of every word in the joined text
    const text = words.join(" ");
    const starts: number[] = [];
    let at = 0;
    for (const w of words) {
      starts.push(at);
      at += w.length + 1;
    }
    const wordAt = (offset: number): number => {
      let lo = 0;
      let hi = words.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= offset) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    let values: string[] = [];
    let pos: string[] = [];
    try {
      const doc = this.nlp.readDoc(text);
      values = doc.tokens().out(this.nlp.its.value) as string[];
      pos = doc.tokens().out(this.nlp.its.pos) as string[];
    } catch {
      counts.failedRows = 1;
    }
    let cursor = 0;
    values.forEach((value, k) => {
      const found = value.length ? text.indexOf(value, cursor) : -1;
      if (found < 0) {
        counts.unalignedTokens++;
        return;
      }
      cursor = found + value.length;
      let tag = pos[k];
      if (tag === "SPACE") return; // whitespace inside a word (a tab): not a part of the word to tag
      if (!isUposTag(tag)) {
        counts.unknownTags++;
        tag = "X";
      }
      tokenTags[wordAt(found)].push(tag);
    });
    words.forEach((w, i) => {
      const t = tokenTags[i];
      if (w.length === 0) counts.emptyWords++;
      else if (t.length === 0) counts.untaggedWords++;
      if (t.length > 1) counts.splitWords++;
      if (t.length) tags[i] = t.find((x) => x !== "PUNCT") ?? t[0];
    });
    addTaggingCounts(this.totals, counts);
    return { tags, counts };
  }
}
