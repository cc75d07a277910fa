import * as tf from "@tensorflow/tfjs";

/**
 * Inverted dropout whose mask is drawn per example: row b of `x` (its first axis) gets the mask of seed
 * `siteSeed(seed + b)`, whatever the other rows of the batch are. A micro-batch split into shards starting at
 * row `o` therefore draws the same masks as the whole batch when each shard is called with `seed + o`: this
 * is what lets data-parallel training give the weights of one process. With one row this is exactly
 * `tf.dropout(x, rate, undefined, siteSeed(seed))`.
 *
 * With `maskLength`, each row's mask is drawn as if the axes in `seqAxes` (positions) were that long, then cut
 * to `x`'s size: a batch padded only to its own longest row gets, position by position, the masks of the same
 * batch padded to `maskLength`, so bucketed batches compute what padded ones do.
 */
export function exampleDropout(
  x: tf.Tensor,
  rate: number,
  seed: number,
  siteSeed: (exampleSeed: number) => number,
  maskLength?: number,
  seqAxes: readonly number[] = [],
): tf.Tensor {
  if (rate <= 0) return x;
  return tf.tidy(() => {
    const [rows, ...rest] = x.shape;
    const keep = 1 - rate;
    const one = [1, ...rest];
    const full = one.map((d, i) => (maskLength !== undefined && seqAxes.includes(i) ? Math.max(d, maskLength) : d));
    const cut = full.some((d, i) => d !== one[i]);
    // the same arithmetic as tf.dropout, so a one-row batch at full length is bit-identical to it
    const masks = Array.from({ length: rows }, (_, b) => {
      const m = tf.div(
        tf.floor(tf.add(tf.randomUniform(full, 0, 1, "float32", siteSeed((seed + b) >>> 0)), keep)),
        keep,
      );
      return cut
        ? tf.slice(
            m,
            full.map(() => 0),
            one,
          )
        : m;
    });
    return tf.mul(x, masks.length === 1 ? masks[0] : tf.concat(masks, 0));
  });
}
