import type { AlignedSequence } from "../../bert/tokenizer";

/**
 * Each word's label from its first sub-token (the usual convention); a word cut off by truncation keeps
 * `fallback`. Used for NER tags, RE association numbers and the end-to-end chain alike.
 */
export function firstPieceLabels(
  sequence: AlignedSequence,
  pieces: ArrayLike<number>,
  nWords: number,
  fallback = 0,
): number[] {
  const out = new Array<number>(nWords).fill(fallback);
  const seen = new Set<number>();
  for (let i = 0; i < sequence.length; i++) {
    const w = sequence.wordIndex[i];
    if (w < 0 || seen.has(w)) continue;
    seen.add(w);
    out[w] = pieces[i];
  }
  return out;
}

/** Gold and predicted labels at every scored sub-token position (label != -100), for token-level metrics. */
export function scoredPositions(
  sequences: readonly AlignedSequence[],
  predictions: readonly ArrayLike<number>[],
): { yTrue: number[]; yPred: number[] } {
  const yTrue: number[] = [];
  const yPred: number[] = [];
  sequences.forEach((seq, i) => {
    for (let k = 0; k < seq.labels.length; k++) {
      if (seq.labels[k] === -100) continue;
      yTrue.push(seq.labels[k]);
      yPred.push(predictions[i][k]);
    }
  });
  return { yTrue, yPred };
}
