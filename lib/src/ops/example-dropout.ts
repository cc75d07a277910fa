import * as tf from "@tensorflow/tfjs";

/**
 * Inverted dropout whose mask is drawn per example: row b of `x` (its first axis) gets the mask of seed
 * `siteSeed(seed + b)`, whatever the other rows of the batch are. A micro-batch split into shards starting at
 * row `o` therefore draws the same masks as the whole batch when each shard is called with `seed + o`: this
 * is what lets data-parallel training give the weights of one process. With one row this is exactly
 * `tf.dropout(x, rate, undefined, siteSeed(seed))`.
 */
export function exampleDropout(
  x: tf.Tensor,
  rate: number,
  seed: number,
  siteSeed: (exampleSeed: number) => number,
): tf.Tensor {
  if (rate <= 0) return x;
  return tf.tidy(() => {
    const [rows, ...rest] = x.shape;
    const keep = 1 - rate;
    // the same arithmetic as tf.dropout, so a one-row batch is bit-identical to it
    const masks = Array.from({ length: rows }, (_, b) =>
      tf.div(tf.floor(tf.add(tf.randomUniform([1, ...rest], 0, 1, "float32", siteSeed((seed + b) >>> 0)), keep)), keep),
    );
    return tf.mul(x, masks.length === 1 ? masks[0] : tf.concat(masks, 0));
  });
}
