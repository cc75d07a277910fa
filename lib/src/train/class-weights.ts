/** The final epoch's weights: train and validation weights averaged in proportion to the two sets' sizes. */
export function pooledClassWeights(a: Float32Array, nA: number, b: Float32Array, nB: number): Float32Array {
  return Float32Array.from(a, (w, k) => (w * nA + b[k] * nB) / (nA + nB));
}
