/**
 * Learning a cased WordPiece vocabulary from raw sentences, the way the `tokenizers` library's
 * `WordPieceTrainer` does it (a BPE trainer whose continuation pieces carry the `##` prefix):
 *
 *  1. pre-tokenize each sentence as BERT does (whitespace, then punctuation on its own) and count the words;
 *  2. start from the characters: a word's first character as itself, every later one as `##c`;
 *  3. repeatedly merge the most frequent adjacent pair of pieces in the counted words (`a` + `##b` -> `ab`,
 *     `##a` + `##b` -> `##ab`), adding the merged piece to the vocabulary, until the vocabulary has `vocabSize`
 *     entries or no pair occurs `minFrequency` times.
 *
 * Ties between pairs of equal count go to the pair whose merged piece sorts first (code-unit order), so the
 * result depends on the sentences and the options only. The `tokenizers` npm package (0.23) installs here, but
 * its Node binding's `train(files)` takes no trainer settings (its vocabulary size is fixed at 30,000), so
 * the vocabulary is learnt here instead.
 */
import { AdeflowError } from "../errors";
import { basicPretokenize, SPECIAL_TOKENS } from "./wordpiece";

export interface WordPieceTrainingOptions {
  /** Size of the vocabulary, special tokens and the alphabet included. */
  vocabSize: number;
  /** A pair seen fewer times than this is never merged (default 2). */
  minFrequency?: number;
}

export interface WordPieceTrainingResult {
  vocab: string[];
  /** Distinct pre-tokenized words counted. */
  words: number;
  /** Merges applied (vocabulary entries beyond the specials and the alphabet). */
  merges: number;
  /** True when the vocabulary stopped short of `vocabSize` (no pair frequent enough was left). */
  exhausted: boolean;
}

const CONTINUATION = "##";

/** A binary max-heap of (count, merged piece, pair key); stale entries are skipped when popped. */
class PairHeap {
  private readonly items: { count: number; name: string; key: number }[] = [];

  push(item: { count: number; name: string; key: number }): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): { count: number; name: string; key: number } | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < a.length && this.before(a[l], a[best])) best = l;
        if (r < a.length && this.before(a[r], a[best])) best = r;
        if (best === i) break;
        [a[i], a[best]] = [a[best], a[i]];
        i = best;
      }
    }
    return top;
  }

  private before(x: { count: number; name: string }, y: { count: number; name: string }): boolean {
    return x.count > y.count || (x.count === y.count && x.name < y.name);
  }
}

export function trainWordPiece(
  sentences: Iterable<string>,
  options: WordPieceTrainingOptions,
): WordPieceTrainingResult {
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isInteger(options.vocabSize) || options.vocabSize <= SPECIAL_TOKENS.length) {
    throw new AdeflowError(
      `WordPiece vocabulary size must be an integer above ${SPECIAL_TOKENS.length} (the special tokens), got ${options.vocabSize}`,
    );
  }
  const wordCounts = new Map<string, number>();
  for (const s of sentences) {
    for (const w of basicPretokenize(s.normalize("NFC"))) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  }
  const pieces: string[] = [];
  const pieceId = new Map<string, number>();
  const idOf = (p: string): number => {
    let id = pieceId.get(p);
    if (id === undefined) {
      id = pieces.length;
      pieces.push(p);
      pieceId.set(p, id);
    }
    return id;
  };
  // the alphabet first, in code-unit order, so ids do not depend on the order the sentences came in
  const alphabet = new Set<string>();
  for (const w of wordCounts.keys()) {
    const cs = [...w];
    cs.forEach((c, i) => alphabet.add(i === 0 ? c : CONTINUATION + c));
  }
  for (const p of [...alphabet].sort()) idOf(p);
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of [...wordCounts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    words.push([...w].map((ch, i) => idOf(i === 0 ? ch : CONTINUATION + ch)));
    counts.push(c);
  }
  const vocab: string[] = [
    ...SPECIAL_TOKENS,
    ...[...alphabet].sort().filter((p) => !(SPECIAL_TOKENS as readonly string[]).includes(p)),
  ];
  const inVocab = new Set(vocab);

  // pair key = left id * 2^21 + right id (ids stay far below 2^21)
  const SHIFT = 2 ** 21;
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const mergedName = (key: number) => {
    const right = pieces[key % SHIFT];
    return (
      pieces[Math.floor(key / SHIFT)] + (right.startsWith(CONTINUATION) ? right.slice(CONTINUATION.length) : right)
    );
  };
  const addPairs = (w: number, sign: 1 | -1, touched: Set<number>) => {
    const syms = words[w];
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = syms[i] * SHIFT + syms[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * counts[w]);
      if (sign > 0) (pairWords.get(key) ?? pairWords.set(key, new Set()).get(key)!).add(w);
      touched.add(key);
    }
  };
  const heap = new PairHeap();
  const initial = new Set<number>();
  for (let w = 0; w < words.length; w++) addPairs(w, 1, initial);
  for (const key of initial) heap.push({ count: pairCount.get(key)!, name: mergedName(key), key });

  let merges = 0;
  let exhausted = false;
  while (vocab.length < options.vocabSize) {
    const top = heap.pop();
    if (!top) {
      exhausted = true;
      break;
    }
    if (pairCount.get(top.key) !== top.count) continue; // stale entry
    if (top.count < minFrequency) {
      exhausted = true;
      break;
    }
    const left = Math.floor(top.key / SHIFT);
    const right = top.key % SHIFT;
    const merged = idOf(top.name);
    if (!inVocab.has(top.name)) {
      vocab.push(top.name);
      inVocab.add(top.name);
    }
    merges++;
    const touched = new Set<number>();
    for (const w of pairWords.get(top.key) ?? []) {
      addPairs(w, -1, touched);
      const syms = words[w];
      const next: number[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === left && syms[i + 1] === right) {
          next.push(merged);
          i++;
        } else next.push(syms[i]);
      }
      words[w] = next;
      addPairs(w, 1, touched);
    }
    pairWords.delete(top.key);
    pairCount.delete(top.key);
    touched.delete(top.key);
    for (const key of touched) {
      const c = pairCount.get(key) ?? 0;
      if (c <= 0) {
        pairCount.delete(key);
        pairWords.delete(key);
      } else heap.push({ count: c, name: mergedName(key), key });
    }
  }
  return { vocab, words: wordCounts.size, merges, exhausted };
}
