import * as tf from "@tensorflow/tfjs";

/**
 * Inverted dropout whose mask is drawn per example: row b of `x` (its first axis) gets the mask of seed
 * `siteSeed(seed + b)`, whatever the other rows of the batch are. A micro-batch split into shards starting at
 * row `o` therefore draws the same masks as the whole batch when each shard is called with `seed + o`: this
 * is what lets data-parallel training give the weights of one process.
 *
 * With `maskLength`, each row's mask is drawn as if the axes in `seqAxes` (positions) were that long, then cut
 * to `x`'s size: a batch padded only to its own longest row gets, position by position, the masks of the same
 * batch padded to `maskLength`, so bucketed batches compute what padded ones do.
 *
 * The masks are made in JavaScript, in one pass over a small counter-free generator (`maskRandom`), and
 * multiplied in with one kernel: the same on every backend, and no device read. `tf.dropout` draws with
 * seedrandom's alea and then runs add, floor and divide kernels on each example's mask and a concatenation; on
 * the native backend that was a fifth of a MiniLM training step (measured: 200-240 ms of 1.0-1.2 s).
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
  const [rows, ...rest] = x.shape;
  const full = rest.map((d, i) => (maskLength !== undefined && seqAxes.includes(i + 1) ? Math.max(d, maskLength) : d));
  const masks = dropoutMasks(rows, rest, full, rate, (b) => siteSeed((seed + b) >>> 0));
  return tf.tidy(() => tf.mul(x, tf.tensor(masks, x.shape, "float32")));
}

/**
 * A seeded stream of uniform numbers in [0, 1) with 32 bits each (mulberry32: one multiply-xorshift round per
 * number, a period of 2^32, which no mask comes near): several times faster than seedrandom's alea, which drew a
 * mask's numbers before. Quality is ample for dropout; nothing statistical rests on these bits but keep or drop.
 */
export function maskRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Masks of `rows` examples of shape `shape`, each drawn for `full` (a shape at least as large on every axis) from
 * its own seed and cut to `shape`: 0 where dropped, `1 / keep` (in float32, as a backend divides) where kept.
 */
export function dropoutMasks(
  rows: number,
  shape: readonly number[],
  full: readonly number[],
  rate: number,
  exampleSeed: (row: number) => number,
): Float32Array {
  const keep = 1 - rate;
  // float32 division correctly rounded: a double quotient rounded once more to float32 is (53 >= 2 x 24 + 2)
  const scale = Math.fround(1 / Math.fround(keep));
  const size = shape.reduce((a, b) => a * b, 1);
  const fullSize = full.reduce((a, b) => a * b, 1);
  const out = new Float32Array(rows * size);
  const cut = full.some((d, i) => d !== shape[i]);
  const drawn = cut ? new Float32Array(fullSize) : undefined;
  for (let b = 0; b < rows; b++) {
    const random = maskRandom(exampleSeed(b));
    const target = drawn ?? out.subarray(b * size, (b + 1) * size);
    for (let i = 0; i < fullSize; i++) target[i] = random() < keep ? scale : 0;
    if (drawn) copyCut(drawn, full, out, b * size, shape);
  }
  return out;
}
/** Copy the leading `shape` block of a row-major `full`-shaped array into `out` at `offset`. */
function copyCut(
  src: Float32Array,
  full: readonly number[],
  out: Float32Array,
  offset: number,
  shape: readonly number[],
) {
  const rank = shape.length;
  if (rank === 0) {
    out[offset] = src[0];
    return;
  }
  const inner = shape[rank - 1];
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * full[i + 1];
  const outer = shape.slice(0, -1);
  const count = outer.reduce((a, b) => a * b, 1);
  const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
  for (let r = 0; r < count; r++) {
    let from = 0;
    for (let i = 0; i < rank - 1; i++) from += index[i] * strides[i];
    out.set(src.subarray(from, from + inner), offset + r * inner);
    for (let i = rank - 2; i >= 0; i--) {
      if (++index[i] < outer[i]) break;
      index[i] = 0;
    }
  }
}
