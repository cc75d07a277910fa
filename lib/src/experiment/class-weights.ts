import { IGNORE_INDEX } from "../bert/tokenizer";

/**
 * The study's class weights as its code computes them (`compute_weights` in the seed): per sequence,
 * scikit-learn's `compute_class_weight('balanced')` over the classes present; then each missing class, in
 * increasing order, is inserted with `max + mean` of the weights ALREADY in the array, the earlier
 * fills included, so a second missing class gets a larger weight than the first. The method's prose
 * ("(max + mean) of the present weights") describes only the first fill; this follows the code.
 * The per-sequence vectors are summed and divided by the number of sequences (all of them).
 */
export function seedSequenceWeights(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y === IGNORE_INDEX) continue;
    if (!(y >= 0 && y < numClasses)) throw new RangeError(`label ${y} outside [0, ${numClasses})`);
    counts[y]++;
    n++;
  }
  const present = counts.map((c, k) => (c > 0 ? k : -1)).filter((k) => k >= 0);
  if (present.length === 0) throw new RangeError("a sequence without any scored label has no class weights");
  const weights = present.map((k) => n / (present.length * counts[k]));
  for (let k = 0; k < numClasses; k++) {
    if (counts[k] > 0) continue;
    const fill = Math.max(...weights) + weights.reduce((a, b) => a + b, 0) / weights.length;
    if (k < weights.length) weights.splice(k, 0, fill);
    else weights.push(fill);
  }
  return weights;
}

export function seedClassWeights(sequences: readonly ArrayLike<number>[], numClasses: number): Float32Array {
  const sum = new Float64Array(numClasses);
  for (const labels of sequences) seedSequenceWeights(labels, numClasses).forEach((w, k) => (sum[k] += w));
  return Float32Array.from(sum, (s) => s / sequences.length);
}

/** The final epoch's weights: train and validation weights averaged in proportion to the two sets' sizes. */
export function pooledClassWeights(a: Float32Array, nA: number, b: Float32Array, nB: number): Float32Array {
  return Float32Array.from(a, (w, k) => (w * nA + b[k] * nB) / (nA + nB));
}
