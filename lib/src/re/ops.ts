/**
 * Matrix products for the relation head that stay on each backend's fast path.
 *
 * tfjs-backend-wasm 4.22 runs `matMul(a, b)` through its fast (XNNPACK) kernel only when
 * neither operand is flagged transposed; with `transposeA`/`transposeB` it is 10-60x slower
 * (measured here for [1024 x 3072] x [3072 x 1024]: 0.24 s plain, 2.8 s transposeB, 15 s
 * transposeA). tfjs's own matMul gradient uses exactly those flags (dA = dy b^T, dB = a^T dy),
 * and so does a PyTorch-layout linear (x W^T). So on wasm we use `plainMatMul`, whose forward
 * and backward are untransposed matMuls on explicitly transposed copies. On the cpu backend
 * the flags cost nothing and the explicit transposes do, so there (and on native backends)
 * the ordinary `tf.matMul` and its gradient are used. `setMatMulMode` overrides the choice
 * (tests run both paths; both give the same numbers up to float32 rounding).
 */
import * as tf from "@tensorflow/tfjs";

export type MatMulMode = "auto" | "plain" | "tfjs";
let mode: MatMulMode = "auto";

/** "plain": always explicit transposes; "tfjs": always tf.matMul flags; "auto": plain on wasm only. */
export function setMatMulMode(m: MatMulMode): void {
  mode = m;
}

function usePlain(): boolean {
  return mode === "plain" || (mode === "auto" && tf.getBackend() === "wasm");
}

function swapLast(t: tf.Tensor): tf.Tensor {
  const r = t.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
}

/**
 * a @ b for rank-2 ([m, k] x [k, n]) or batched rank-3 ([B, m, k] x [B, k, n]) operands, with
 * gradients dA = dy @ b^T and dB = a^T @ dy computed through explicit transposes.
 */
export const plainMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor;
      const [sa, sb] = saved;
      return [tf.matMul(g as tf.Tensor2D, swapLast(sb) as tf.Tensor2D), tf.matMul(swapLast(sa) as tf.Tensor2D, g as tf.Tensor2D)];
    },
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** a @ b^T (b given as [.., n, k]), on the current backend's fast path. */
export function matMulBT(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return usePlain() ? plainMatMul(a, swapLast(b)) : tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true);
}

/** a @ b (rank 2 or batched rank 3), on the current backend's fast path. */
export function matMulFast(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return usePlain() ? plainMatMul(a, b) : tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
}

/** `a => a @ b^T` for repeated products with the same b (transposed once when needed). */
export function matMulBTWith(b: tf.Tensor): (a: tf.Tensor) => tf.Tensor {
  if (usePlain()) {
    const bt = swapLast(b);
    return (a) => plainMatMul(a, bt);
  }
  return (a) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true);
}

/** x [..., in] times a PyTorch-layout weight w [out, in], plus bias [out] (same as bert's `linear`). */
export function linearFast(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const shape = x.shape;
    const x2 = tf.reshape(x, [-1, shape[shape.length - 1]]);
    const y = tf.add(matMulBT(x2, w), b);
    return tf.reshape(y, [...shape.slice(0, -1), w.shape[0]]);
  });
}

/**
 * `tf.unstack(x, 0)` done in two levels (about sqrt(n) chunks, then their rows).
 * tfjs-backend-wasm's Slice kernel copies its WHOLE input out of the wasm heap on every call,
 * so unstacking n rows costs n full copies (128 rows of a 4 MB tensor: ~0.4 s); two levels
 * cost about 2 sqrt(n) copies. Same result and gradient; on cpu it makes no difference.
 */
export function unstackRows(x: tf.Tensor): tf.Tensor[] {
  const n = x.shape[0];
  const c = Math.ceil(Math.sqrt(n));
  if (n <= 4) return tf.unstack(x, 0);
  const sizes: number[] = [];
  for (let i = 0; i < n; i += c) sizes.push(Math.min(c, n - i));
  return tf.split(x, sizes, 0).flatMap((chunk) => tf.unstack(chunk, 0));
}

/** `tf.stack(xs, 0)` in two levels, so that its gradient (an unstack) is cheap on wasm too. */
export function stackRows(xs: tf.Tensor[]): tf.Tensor {
  const n = xs.length;
  const c = Math.ceil(Math.sqrt(n));
  if (n <= 4) return tf.stack(xs, 0);
  const groups: tf.Tensor[] = [];
  for (let i = 0; i < n; i += c) groups.push(tf.stack(xs.slice(i, i + c), 0));
  return tf.concat(groups, 0);
}
