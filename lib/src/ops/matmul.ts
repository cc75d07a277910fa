/**
 * Matrix products for the relation head that stay on each backend's fast path.
 *
 * tfjs-backend-wasm 4.22 runs `matMul(a, b)` through its fast (XNNPACK) kernel only when
 * neither operand is flagged transposed; with `transposeA`/`transposeB` it is 10-60x slower
 * (measured here for [1024 x 3072] x [3072 x 1024]: 0.24 s plain, 2.8 s transposeB, 15 s
 * transposeA). tfjs's own matMul gradient uses exactly those flags (dA = dy b^T, dB = a^T dy),
 * and so does a PyTorch-layout linear (x W^T). So on wasm ("plain" mode) the products below
 * have custom gradients made only of untransposed matMuls on explicitly transposed operands,
 * arranged so that big weights are neither transposed nor re-packed more than needed. On the
 * cpu backend the flags cost nothing and the explicit transposes do, so there (and on native
 * backends) the ordinary `tf.matMul` and its gradient are used ("tfjs" mode). `setMatMulMode`
 * overrides the choice; tests run both paths against the PyTorch reference.
 *
 * Note: a custom gradient computes the gradients of all its inputs, whereas tfjs's own
 * gradients skip inputs that need none. Hence `inputGrad: false` for products whose left
 * operand is a constant (cached features): it saves the [N, in] x [in, out] dX product.
 */
import * as tf from "@tensorflow/tfjs";

export type MatMulMode = "auto" | "plain" | "tfjs";
let mode: MatMulMode = "auto";

/** "plain": custom untransposed gradients; "tfjs": tf.matMul flags; "auto": plain on wasm only. */
export function setMatMulMode(m: MatMulMode): void {
  mode = m;
}

export function usePlainMatMul(): boolean {
  return mode === "plain" || (mode === "auto" && tf.getBackend() === "wasm");
}

export type Grad = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.Tensor[];
type Custom = (...args: tf.Tensor[]) => tf.Tensor;
/** `tf.customGrad` with its inputs as one array, typed: `f([a, b], save)` returns the value and its gradient. */
export const custom = (f: (args: tf.Tensor[], save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: Grad }): Custom =>
  tf.customGrad((...a: (tf.Tensor | tf.GradSaveFunc)[]) =>
    f(a.slice(0, -1) as tf.Tensor[], a[a.length - 1] as tf.GradSaveFunc),
  ) as unknown as Custom;

/** x [N, in] @ w^T for w [out, in]; for small N the product is formed as (w x^T)^T so w is used as is. */
function forwardBT(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  const N = x.shape[0];
  const out = w.shape[0];
  return N < out
    ? tf.transpose(tf.matMul(w as tf.Tensor2D, tf.transpose(x) as tf.Tensor2D))
    : tf.matMul(x as tf.Tensor2D, tf.transpose(w) as tf.Tensor2D);
}
// dW = dy^T x  ([out, N] x [N, in]);  dX = dy w  ([N, out] x [out, in]).
const gradW = (dy: tf.Tensor, x: tf.Tensor) => tf.matMul(tf.transpose(dy) as tf.Tensor2D, x as tf.Tensor2D);
const gradX = (dy: tf.Tensor, w: tf.Tensor) => tf.matMul(dy as tf.Tensor2D, w as tf.Tensor2D);

const plainBT = custom(([x, w], save) => {
  save([x, w]);
  return {
    value: forwardBT(x, w),
    gradFunc: (dy, [sx, sw]) => [gradX(dy as tf.Tensor, sw), gradW(dy as tf.Tensor, sx)],
  };
});

/**
 * x [N, in] @ w^T for a PyTorch-layout weight w [out, in] (rank 2), on the backend's fast path.
 * inputGrad false: x is treated as a constant (no gradient flows to it in plain mode).
 */
export function matMulBT(x: tf.Tensor, w: tf.Tensor, inputGrad = true): tf.Tensor {
  if (!usePlainMatMul()) return tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true);
  if (inputGrad) return plainBT(x, w);
  const op = custom(([ww], save) => {
    save([x]);
    return { value: forwardBT(x, ww), gradFunc: (dy, [sx]) => [gradW(dy as tf.Tensor, sx)] };
  });
  return op(w);
}

/**
 * `h => w @ h` for w [m, k] reused many times (a recurrence): in plain mode w^T is formed once
 * and the gradient is dW = dy h^T, dh = w^T dy.
 */
export function leftMatMulWith(w: tf.Tensor): (h: tf.Tensor) => tf.Tensor {
  if (!usePlainMatMul()) return (h) => tf.matMul(w as tf.Tensor2D, h as tf.Tensor2D);
  const wT = tf.transpose(w);
  const op = custom(([ww, h], save) => {
    save([h, wT]);
    return {
      value: tf.matMul(ww as tf.Tensor2D, h as tf.Tensor2D),
      gradFunc: (dy, [sh, swT]) => [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(sh) as tf.Tensor2D),
        tf.matMul(swT as tf.Tensor2D, dy as tf.Tensor2D),
      ],
    };
  });
  return (h) => op(w, h);
}

/** x [..., in] times a PyTorch-layout weight w [out, in], plus bias [out] (same as bert's `linear`). */
export function linearFast(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, inputGrad = true): tf.Tensor {
  return tf.tidy(() => {
    const shape = x.shape;
    const x2 = tf.reshape(x, [-1, shape[shape.length - 1]]);
    const y = tf.add(matMulBT(x2, w, inputGrad), b);
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
