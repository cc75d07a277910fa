/**
 * Reading tensor values back to JavaScript, always asynchronously.
 *
 * `dataSync()` blocks until the device has finished, which WebGPU in Node cannot do (tfjs falls back to an
 * `OffscreenCanvas`, which Node lacks), so no path of the library may depend on it. Every read that feeds a
 * decision goes through these helpers, and where one step needs several numbers they are stacked on the
 * device and read once.
 */
import * as tf from "@tensorflow/tfjs";
import type { TensorMap } from "../io/safetensors";

/** The single value of a scalar (or the first element of a tensor). */
export async function readScalar(t: tf.Tensor): Promise<number> {
  return (await t.data())[0];
}

/** A tensor's values as float32, in a fresh array the caller owns (never the backend's storage). */
export async function readFloat32(t: tf.Tensor): Promise<Float32Array> {
  const v = await t.data();
  return v instanceof Float32Array ? v.slice() : Float32Array.from(v as ArrayLike<number>);
}

/** Runs `compute` in a tidy scope, reads its int32 result, and frees it (e.g. the arg-max labels of a batch). */
export async function readInt32Of(compute: () => tf.Tensor): Promise<Int32Array> {
  const t = tf.tidy(compute);
  try {
    const v = await t.data();
    return v instanceof Int32Array ? v.slice() : Int32Array.from(v as ArrayLike<number>);
  } finally {
    t.dispose();
  }
}

/** Several float32 results of one tidy computation, read back (one device read per tensor, in parallel). */
export async function readFloat32Of(compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  const ts = tf.tidy(compute);
  try {
    return await Promise.all(ts.map(readFloat32));
  } finally {
    tf.dispose(ts);
  }
}

/** The sum of squares of every element of every tensor: the per-tensor sums are stacked and read once. */
export async function sumOfSquares(tensors: Iterable<tf.Tensor>): Promise<number> {
  const list = [...tensors];
  if (list.length === 0) return 0;
  const stacked = tf.tidy(() => tf.stack(list.map((g) => tf.sum(tf.square(g)))));
  try {
    const parts = await stacked.data();
    let sq = 0;
    for (const p of parts) sq += p;
    return sq;
  } finally {
    stacked.dispose();
  }
}

/** Values of named variables (float32), keyed by `rename(name)`, for writing a safetensors file. */
export async function readTensorMap(
  variables: Iterable<[string, tf.Tensor]>,
  rename: (name: string) => string = (n) => n,
): Promise<TensorMap> {
  const m: TensorMap = new Map();
  for (const [name, v] of variables) m.set(rename(name), { shape: v.shape.slice(), data: await readFloat32(v) });
  return m;
}
