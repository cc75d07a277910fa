/**
 * Class weights and weighted cross-entropy as in the study.
 *
 * Class weights: for every training sequence, scikit-learn's
 * `compute_class_weight('balanced', classes=present, y=labels)` over its non-ignored labels,
 * i.e. w_c = n_samples / (n_classes_present * count_c); each class absent from that sequence, in
 * increasing order, gets max + mean of the vector as it stands (the first fill is max + mean of the
 * present weights, as the method's prose says; later fills include the earlier ones, as the study's
 * code computes them); the per-class weights are then averaged over all sequences.
 * Sequences with no non-ignored label are skipped.
 *
 * Loss reduction (explicit, differs from PyTorch's weighted mean):
 *   loss = sum_i [y_i != -100] * w[y_i] * -log softmax(logits_i)[y_i]  /  #{i : y_i != -100}
 * i.e. divided by the NUMBER of non-ignored positions, not by the sum of their weights as
 * `torch.nn.CrossEntropyLoss(weight=w, reduction="mean")` would. A batch with no
 * non-ignored position has loss 0.
 */
import * as tf from "@tensorflow/tfjs";
import { IGNORE_INDEX } from "./tokenizer";

export function sequenceClassWeights(labels: ArrayLike<number>, numClasses: number): Float64Array | undefined {
  const counts = new Float64Array(numClasses);
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y === IGNORE_INDEX) continue;
    if (!(y >= 0 && y < numClasses)) throw new RangeError(`label ${y} outside [0, ${numClasses})`);
    counts[y]++;
    n++;
  }
  if (n === 0) return undefined;
  const present = [...counts.keys()].filter((c) => counts[c] > 0);
  const weights = present.map((c) => n / (present.length * counts[c]));
  // the study's code inserts each missing class in turn, computing max + mean over the vector as it
  // stands, earlier fills included (np.insert / np.append in a loop)
  for (let c = 0; c < numClasses; c++) {
    if (counts[c] > 0) continue;
    const fill = Math.max(...weights) + weights.reduce((a, b) => a + b, 0) / weights.length;
    if (c < weights.length) weights.splice(c, 0, fill);
    else weights.push(fill);
  }
  return Float64Array.from(weights);
}

/** Average of the per-sequence weights over all sequences (see module comment). */
export function computeClassWeights(sequences: Iterable<ArrayLike<number>>, numClasses: number): Float32Array {
  const acc = new Float64Array(numClasses);
  let used = 0;
  for (const labels of sequences) {
    const w = sequenceClassWeights(labels, numClasses);
    if (!w) continue;
    for (let c = 0; c < numClasses; c++) acc[c] += w[c];
    used++;
  }
  const out = new Float32Array(numClasses);
  for (let c = 0; c < numClasses; c++) out[c] = used ? acc[c] / used : 1;
  return out;
}

/**
 * Weighted cross-entropy over logits [N, C] (or [B, T, C]) and int labels [N] ([B, T]),
 * ignoring -100, summed and divided by the count of non-ignored positions.
 * `weights` [C] may be omitted (all ones).
 */
export function weightedCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, weights?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const C = logits.shape[logits.shape.length - 1];
    const flatLogits = tf.reshape(logits, [-1, C]);
    const flatLabels = tf.reshape(tf.cast(labels, "int32"), [-1]);
    const valid = tf.cast(tf.notEqual(flatLabels, IGNORE_INDEX), "float32");
    const safe = tf.maximum(flatLabels, tf.scalar(0, "int32"));
    const logp = tf.logSoftmax(flatLogits, -1);
    const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(safe, C), logp), -1));
    const w = weights ? tf.gather(weights, safe) : tf.onesLike(nll);
    const total = tf.sum(tf.mul(tf.mul(nll, w), valid));
    return tf.div(total, tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
  });
}
