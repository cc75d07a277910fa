/**
 * Reading a text longer than the model's positions whole: the words are cut into windows that each fit
 * (`[CLS]` + pieces + `[SEP]`), consecutive windows overlapping by about half, and each word takes its label
 * from the window in which it sits farthest from an edge, where the model saw the most context on both sides.
 * Entities are then read from the merged tags, so one that crosses a seam comes out whole.
 */
export interface WordWindow {
  /** First word (inclusive) and last word (exclusive). */
  start: number;
  end: number;
}

/**
 * Windows over words with these piece counts, each at most `budget` pieces (a longer single word gets a window
 * of its own and is cut there, as without windows). Every word is in at least one window; a text that fits is
 * one window.
 */
export function wordWindows(pieceCounts: readonly number[], budget: number): WordWindow[] {
  const n = pieceCounts.length;
  if (n === 0) return [{ start: 0, end: 0 }];
  const windows: WordWindow[] = [];
  let start = 0;
  for (;;) {
    let end = start;
    let used = 0;
    while (end < n && (end === start || used + pieceCounts[end] <= budget)) used += pieceCounts[end++];
    windows.push({ start, end });
    if (end >= n) return windows;
    // the next window starts halfway through this one (always moving on by at least one word)
    start = Math.max(start + 1, start + Math.floor((end - start) / 2));
  }
}

/** For each word, the index of the window in which it is farthest from either edge (ties: the earlier window). */
export function bestWindowPerWord(windows: readonly WordWindow[], nWords: number): number[] {
  const best = new Array<number>(nWords).fill(0);
  const margin = new Array<number>(nWords).fill(-1);
  windows.forEach((w, k) => {
    for (let i = w.start; i < w.end; i++) {
      const m = Math.min(i - w.start, w.end - 1 - i);
      if (m > margin[i]) {
        margin[i] = m;
        best[i] = k;
      }
    }
  });
  return best;
}

/** Code-point offsets of every UTF-16 index of `text` (length + 1 entries): what Python slices by. */
export function codePointOffsets(text: string): Int32Array {
  const out = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    out[i] = cp;
    const c = text.charCodeAt(i);
    // the high half of a surrogate pair and its low half are one code point
    if (!(c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00)) cp++;
  }
  out[text.length] = cp;
  return out;
}
