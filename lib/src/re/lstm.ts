/**
 * One bidirectional LSTM layer with PyTorch `nn.LSTM(bidirectional=True, batch_first=True)`
 * semantics, written with plain tf ops so that `tf.variableGrads` sees every weight:
 *
 *   gates = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh      (columns in the order i, f, g, o)
 *   c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
 *   h_t = sigmoid(o) * tanh(c_t)
 *
 * h_0 = c_0 = 0; the reverse direction reads the sequence from the last position to the first
 * and its outputs are put back at their own positions; the output is [fwd, rev] concatenated
 * ([batch, seq, 2H]). There is no packing: padded positions are processed like any other
 * (as in the study).
 *
 * Speed: the input projection of both directions is one matMul over all positions; the
 * recurrence runs both directions together as one batched matMul per time step; all matMuls
 * (and their gradients) avoid tfjs's transposed-operand path on wasm, where it is slow (ops.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { matMulBT, matMulBTWith, stackRows, unstackRows } from "./ops";

/** One direction's weights, PyTorch layout: weightIh [4H, in], weightHh [4H, H], biases [4H]. */
export interface LstmDirectionWeights {
  weightIh: tf.Tensor;
  weightHh: tf.Tensor;
  biasIh: tf.Tensor;
  biasHh: tf.Tensor;
}

/** x [batch, seq, in] -> [batch, seq, 2H] (forward outputs, then reverse outputs). */
export function bidirectionalLstm(x: tf.Tensor3D, fwd: LstmDirectionWeights, rev: LstmDirectionWeights): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T, F] = x.shape;
    const H = fwd.weightHh.shape[1] as number;
    const G = 4 * H;
    // Input projection of both directions for all positions at once: [B*T, 2*4H].
    const wIh = tf.concat([fwd.weightIh, rev.weightIh], 0); // [8H, in]
    const bias = tf.concat([tf.add(fwd.biasIh, fwd.biasHh), tf.add(rev.biasIh, rev.biasHh)], 0);
    const xp = tf.add(matMulBT(tf.reshape(x, [B * T, F]), wIh), bias);
    // -> [2, T, B, 4H]; the reverse direction's time axis flipped so that step s reads T-1-s.
    const [xf, xr] = tf.unstack(tf.transpose(tf.reshape(xp, [B, T, 2, G]), [2, 1, 0, 3]), 0);
    const steps = unstackRows(tf.stack([xf, tf.reverse(xr, 0)], 1)); // T x [2, B, 4H]
    const recur = matMulBTWith(tf.stack([fwd.weightHh, rev.weightHh], 0)); // h @ W_hh^T, W_hh stacked [2, 4H, H]
    let h = tf.zeros([2, B, H]) as tf.Tensor3D;
    let c: tf.Tensor = tf.zeros([2, B, H]);
    const outs: tf.Tensor[] = [];
    for (let s = 0; s < T; s++) {
      const gates = tf.add(steps[s], recur(h));
      const [i, f, g, o] = tf.split(gates, 4, 2);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c)) as tf.Tensor3D;
      outs.push(h);
    }
    const [hf, hr] = tf.unstack(tf.transpose(stackRows(outs), [1, 0, 2, 3]), 0); // each [T, B, H]
    return tf.transpose(tf.concat([hf, tf.reverse(hr, 0)], 2), [1, 0, 2]) as tf.Tensor3D;
  });
}
