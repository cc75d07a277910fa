/**
 * One bidirectional LSTM layer with PyTorch `nn.LSTM(bidirectional=True, batch_first=True)`
 * semantics, written with plain tf ops so that `tf.variableGrads` sees every weight:
 *
 *   gates = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh      (rows in the order i, f, g, o)
 *   c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
 *   h_t = sigmoid(o) * tanh(c_t)
 *
 * h_0 = c_0 = 0; the reverse direction reads the sequence from the last position to the first
 * and its outputs are put back at their own positions; the output is [fwd, rev] concatenated
 * ([batch, seq, 2H]). There is no packing: padded positions are processed like any other
 * (as in the study).
 *
 * Speed (tfjs cpu and wasm backends are dominated by per-op costs in the recurrence):
 *  - the input projection of both directions is ONE matMul over all positions;
 *  - the recurrence is kept feature-major (state [H, batch], gates [4H, batch] = W_hh h), so
 *    that W_hh is used in its PyTorch layout and the i/f/g/o split is along the leading axis
 *    (contiguous; splitting along the last axis costs ~4 ms a step on the cpu backend);
 *  - each direction is a 2-D matMul (wasm's batched rank-3 matMul is ~30x slower here);
 *  - per-step rows are cut and stacked in two levels (ops/matmul.ts `unstackRows`/`stackRows`);
 *  - matMuls avoid tfjs's transposed-operand path on wasm (ops/matmul.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { custom, leftMatMulWith, matMulBT, stackRows, unstackRows, type Grad } from "../ops/matmul";

/** One direction's weights, PyTorch layout: weightIh [4H, in], weightHh [4H, H], biases [4H]. */
export interface LstmDirectionWeights {
  weightIh: tf.Tensor;
  weightHh: tf.Tensor;
  biasIh: tf.Tensor;
  biasHh: tf.Tensor;
}

/** The input projection of both directions for all positions at once, biases added: [B*T, 2 * 4H]. */
function inputProjection(
  x: tf.Tensor3D,
  fwd: LstmDirectionWeights,
  rev: LstmDirectionWeights,
  inputGrad: boolean,
): tf.Tensor {
  const [B, T, F] = x.shape;
  const wIh = tf.concat([fwd.weightIh, rev.weightIh], 0); // [8H, in]
  const bias = tf.concat([tf.add(fwd.biasIh, fwd.biasHh), tf.add(rev.biasIh, rev.biasHh)], 0);
  return tf.add(matMulBT(tf.reshape(x, [B * T, F]), wIh, inputGrad), bias);
}

/**
 * x [batch, seq, in] -> [batch, seq, 2H] (forward outputs, then reverse outputs).
 * inputGrad false: x is a constant (e.g. cached features), which saves computing its gradient
 * on the wasm path (ops/matmul.ts); tfjs skips it by itself elsewhere.
 */
export function bidirectionalLstm(
  x: tf.Tensor3D,
  fwd: LstmDirectionWeights,
  rev: LstmDirectionWeights,
  inputGrad = true,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T] = x.shape;
    const H = fwd.weightHh.shape[1] as number;
    const G = 4 * H;
    const xp = inputProjection(x, fwd, rev, inputGrad);
    // Rows (position t, direction d) -> index 2t + d, each [4H, B].
    const rows = unstackRows(tf.reshape(tf.transpose(tf.reshape(xp, [B, T, 2, G]), [1, 2, 3, 0]), [2 * T, G, B]));
    const out: tf.Tensor[] = new Array(2 * T);
    const dirs: [LstmDirectionWeights, number][] = [
      [fwd, 0],
      [rev, 1],
    ];
    for (const [w, d] of dirs) {
      const recur = leftMatMulWith(w.weightHh); // h [H, B] -> W_hh h [4H, B]
      let h: tf.Tensor = tf.zeros([H, B]);
      let c: tf.Tensor = tf.zeros([H, B]);
      for (let s = 0; s < T; s++) {
        const t = d === 0 ? s : T - 1 - s;
        const gates = tf.add(rows[2 * t + d], recur(h)); // [4H, B]
        const [i, f, g, o] = tf.split(gates, 4, 0);
        c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        h = tf.mul(tf.sigmoid(o), tf.tanh(c));
        out[2 * t + d] = h;
      }
    }
    // [2T, H, B] -> [T, 2, H, B] -> [B, T, 2, H] -> [B, T, 2H].
    const hs = tf.reshape(stackRows(out), [T, 2, H, B]);
    return tf.reshape(tf.transpose(hs, [3, 0, 1, 2]), [B, T, 2 * H]) as tf.Tensor3D;
  });
}

/**
 * The same BiLSTM with both directions in ONE recurrence, for fewer kernel launches per step (what dominates on
 * the cpu and wasm backends): the state is [h_fwd; h_rev] ([2H, batch]); step s reads position s forwards and
 * T-1-s backwards; one matMul with the block-diagonal [[W_hh_fwd, 0], [0, W_hh_rev]] gives both directions'
 * gates; the gate rows are laid out i, f, o (sigmoid) then g (tanh), each as [fwd; rev], so one sigmoid and one
 * tanh cover all gates of both directions. Per step that is about half the ops of `bidirectionalLstm`, for
 * twice the recurrent multiply-adds. It computes the same function (tested against PyTorch), but measured on the
 * WebAssembly backend it is slower, not faster (`adeflow bench --models steps`: the BiLSTM's forward and
 * backward 3.0x slower, an RE training step 2.1x slower; docs/local-profile.md): the block-diagonal weight's
 * gradient, [8H, 2H] per step, costs more than the launches it saves. So the head keeps the per-direction kernel.
 */
export function bidirectionalLstmFused(
  x: tf.Tensor3D,
  fwd: LstmDirectionWeights,
  rev: LstmDirectionWeights,
  inputGrad = true,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T, F] = x.shape;
    const H = fwd.weightHh.shape[1] as number;
    // PyTorch's gate order is i, f, g, o: take them as i, f, o, g
    const ORDER = [0, 1, 3, 2];
    const gateRows = (w: tf.Tensor, k: number) => tf.slice(w, [k * H, 0], [H, w.shape[1] as number]);
    const gateBias = (b: tf.Tensor, k: number) => tf.slice(b, [k * H], [H]);
    const reorder = (w: tf.Tensor) =>
      tf.concat(
        ORDER.map((k) => gateRows(w, k)),
        0,
      );
    const reorderBias = (b: tf.Tensor) =>
      tf.concat(
        ORDER.map((k) => gateBias(b, k)),
        0,
      );
    // one input projection for both directions and all positions: [B*T, 8H] = [fwd (i f o g) | rev (i f o g)]
    const wIh = tf.concat([reorder(fwd.weightIh), reorder(rev.weightIh)], 0);
    const bias = tf.concat(
      [reorderBias(tf.add(fwd.biasIh, fwd.biasHh)), reorderBias(tf.add(rev.biasIh, rev.biasHh))],
      0,
    );
    const xp = tf.reshape(tf.add(matMulBT(tf.reshape(x, [B * T, F]), wIh, inputGrad), bias), [B, T, 2, 4, H]);
    const [xf, xr] = tf.split(xp, 2, 2); // [B, T, 1, 4, H] each
    // step order: the reverse direction's inputs flipped in time, then per gate [fwd; rev]: [B, T, 4, 2, H]
    const steps = tf.stack([tf.squeeze(xf, [2]), tf.reverse(tf.squeeze(xr, [2]), 1)], 3);
    const rows = unstackRows(tf.reshape(tf.transpose(tf.reshape(steps, [B, T, 8 * H]), [1, 2, 0]), [T, 8 * H, B]));
    // block-diagonal recurrent weights in the same row layout: gate k -> [W_fwd_k, 0] then [0, W_rev_k]
    const zeros = tf.zeros([H, H]);
    const wHh = tf.concat(
      ORDER.flatMap((k) => [
        tf.concat([gateRows(fwd.weightHh, k), zeros], 1),
        tf.concat([zeros, gateRows(rev.weightHh, k)], 1),
      ]),
      0,
    );
    const recur = leftMatMulWith(wHh); // [8H, 2H] x [2H, B]
    let h: tf.Tensor = tf.zeros([2 * H, B]);
    let c: tf.Tensor = tf.zeros([2 * H, B]);
    const out: tf.Tensor[] = new Array(T);
    for (let s = 0; s < T; s++) {
      const gates = tf.add(rows[s], recur(h)); // [8H, B]
      const [ifo, gPre] = tf.split(gates, [6 * H, 2 * H], 0);
      const [i, f, o] = tf.split(tf.sigmoid(ifo), 3, 0);
      c = tf.add(tf.mul(f, c), tf.mul(i, tf.tanh(gPre)));
      h = tf.mul(o, tf.tanh(c));
      out[s] = h;
    }
    // [T, 2H, B]: rows 0..H are the forward outputs at position s, rows H..2H the reverse ones at T-1-s
    const hs = tf.reshape(stackRows(out), [T, 2, H, B]);
    const [hf, hr] = tf.split(hs, 2, 1);
    const both = tf.concat([hf, tf.reverse(hr, 0)], 1); // [T, 2, H, B], both at their own positions
    return tf.reshape(tf.transpose(both, [3, 0, 1, 2]), [B, T, 2 * H]) as tf.Tensor3D;
  });
}

/**
 * One direction's recurrence with a hand-written backward pass (backpropagation through time), as one op for
 * tfjs's gradient tape. xs [T, 4H, B] are the input projections in step order (gate rows i, f, g, o, as
 * PyTorch's), w [4H, H] is W_hh; returns hs [T, H, B].
 *
 * Why: on the cpu and wasm backends an RE step is dominated by per-op costs in the recurrence, and the tape's
 * backward of the per-step ops is about 40 small kernels a step (a gradient op for each mul, sigmoid and tanh,
 * the sums where h and c are used twice, W_hh's gradient every step). Here the coefficients that do not depend
 * on the incoming gradient (o(1-o) tanh(c), and so on) are computed for all steps at once, a step of the backward
 * is 9 kernels, and W_hh's gradient is ONE matMul over all steps: dW = sum_t dgates_t h_{t-1}^T.
 * Every matMul is untransposed on explicitly transposed operands (wasm's fast path, ops/matmul.ts).
 */
const lstmRecurrence = custom(([xs, w], save) => {
  const [T, G, B] = xs.shape as [number, number, number];
  const H = G / 4;
  const saved = tf.tidy(() => {
    const rows = unstackRows(xs);
    let h: tf.Tensor = tf.zeros([H, B]);
    let c: tf.Tensor = tf.zeros([H, B]);
    const hs: tf.Tensor[] = [];
    const cs: tf.Tensor[] = [];
    const tcs: tf.Tensor[] = [];
    const ifs: tf.Tensor[] = [];
    const gs: tf.Tensor[] = [];
    const os: tf.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const gates = tf.add(rows[t], tf.matMul(w, h as tf.Tensor2D)); // [4H, B]
      const [ifPre, gPre, oPre] = tf.split(gates, [2 * H, H, H], 0);
      const ifGate = tf.sigmoid(ifPre); // i and f, [2H, B]
      const [i, f] = tf.split(ifGate, 2, 0);
      const g = tf.tanh(gPre);
      const o = tf.sigmoid(oPre);
      c = tf.add(tf.mul(f, c), tf.mul(i, g));
      const tc = tf.tanh(c);
      h = tf.mul(o, tc);
      hs.push(h);
      cs.push(c);
      tcs.push(tc);
      ifs.push(ifGate);
      gs.push(g);
      os.push(o);
    }
    return [hs, cs, tcs, ifs, gs, os].map(stackRows);
  });
  save([...saved, w]);
  const gradFunc: Grad = (dy, [hsAll, cAll, tcAll, ifAll, gAll, oAll, sw]) =>
    tf.tidy(() => {
      const zeros = tf.zeros([1, H, B]);
      // step-independent coefficients, all steps at once: with the incoming dh and dc of step t,
      //   do = dh * o(1-o) tanh(c);   dc += dh * o (1 - tanh(c)^2)
      //   di = dc * g i(1-i);   df = dc * c_{t-1} f(1-f);   dg = dc * i (1 - g^2);   dc_{t-1} = dc * f
      const [iAll, fAll] = tf.split(tf.reshape(ifAll, [T, 2, H, B]), 2, 1).map((x) => tf.reshape(x, [T, H, B]));
      const cPrev = tf.concat([zeros, tf.slice(cAll, [0, 0, 0], [T - 1, H, B])], 0);
      const hPrev = tf.concat([zeros, tf.slice(hsAll, [0, 0, 0], [T - 1, H, B])], 0);
      const sigmoidSlope = (x: tf.Tensor) => tf.mul(x, tf.sub(1, x));
      const oCoef = unstackRows(tf.mul(tcAll, sigmoidSlope(oAll)));
      const cCoef = unstackRows(tf.mul(oAll, tf.sub(1, tf.square(tcAll))));
      const ifgCoef = unstackRows(
        tf.stack(
          [
            tf.mul(gAll, sigmoidSlope(iAll)),
            tf.mul(cPrev, sigmoidSlope(fAll)),
            tf.mul(iAll, tf.sub(1, tf.square(gAll))),
          ],
          1,
        ), // [T, 3, H, B]
      );
      const fRows = unstackRows(fAll);
      const dyRows = unstackRows(dy as tf.Tensor);
      const wT = tf.transpose(sw);
      const dGates: tf.Tensor[] = new Array(T);
      let dhNext: tf.Tensor | undefined;
      let dcNext: tf.Tensor | undefined;
      for (let t = T - 1; t >= 0; t--) {
        const dh = dhNext ? tf.add(dyRows[t], dhNext) : dyRows[t];
        const dcHere = tf.mul(dh, cCoef[t]);
        const dc = dcNext ? tf.add(dcNext, dcHere) : dcHere;
        const dIfg = tf.reshape(tf.mul(dc, ifgCoef[t]), [3 * H, B]);
        dGates[t] = tf.concat([dIfg, tf.mul(dh, oCoef[t])], 0); // [4H, B], rows i, f, g, o
        dhNext = tf.matMul(wT as tf.Tensor2D, dGates[t] as tf.Tensor2D);
        dcNext = tf.mul(dc, fRows[t]);
      }
      const dXs = stackRows(dGates); // [T, 4H, B]
      // dW = sum_t dgates_t h_{t-1}^T = [4H, T*B] x [T*B, H]
      const dW = tf.matMul(
        tf.reshape(tf.transpose(dXs, [1, 0, 2]), [G, T * B]) as tf.Tensor2D,
        tf.reshape(tf.transpose(hPrev, [0, 2, 1]), [T * B, H]) as tf.Tensor2D,
      );
      return [dXs, dW];
    });
  return { value: saved[0], gradFunc };
});

/**
 * The same BiLSTM as `bidirectionalLstm`, each direction's recurrence one op with a hand-written backward pass
 * (`lstmRecurrence`). Same input projection (one matMul for both directions and all positions).
 */
export function bidirectionalLstmBptt(
  x: tf.Tensor3D,
  fwd: LstmDirectionWeights,
  rev: LstmDirectionWeights,
  inputGrad = true,
): tf.Tensor3D {
  // With no gradient tape (prediction, validation loss) there is no backward to save for: the per-direction
  // forward computes the same and keeps nothing.
  if (!tf.engine().isTapeOn()) return bidirectionalLstm(x, fwd, rev, inputGrad);
  return tf.tidy(() => {
    const [B, T] = x.shape;
    const H = fwd.weightHh.shape[1] as number;
    const G = 4 * H;
    const xp = inputProjection(x, fwd, rev, inputGrad);
    // [B, T, 2, 4H] -> [2, T, 4H, B]: each direction's inputs time-major, gates feature-major
    const [xf, xr] = tf.unstack(tf.transpose(tf.reshape(xp, [B, T, 2, G]), [2, 1, 3, 0]), 0);
    const hf = lstmRecurrence(xf, fwd.weightHh); // [T, H, B]
    const hr = tf.reverse(lstmRecurrence(tf.reverse(xr, 0), rev.weightHh), 0); // back at its own positions
    // [T, 2, H, B] -> [B, T, 2, H] -> [B, T, 2H]
    return tf.reshape(tf.transpose(tf.stack([hf, hr], 1), [3, 0, 1, 2]), [B, T, 2 * H]) as tf.Tensor3D;
  });
}

export type LstmKernel = "fused" | "per-direction" | "bptt";
let kernel: LstmKernel = "per-direction";

/** Which BiLSTM the RE head runs: "per-direction" (default), "fused" or "bptt" (hand-written backward). */
export function setLstmKernel(k: LstmKernel): void {
  kernel = k;
}

export function bidirectionalLstmKernel(
  x: tf.Tensor3D,
  fwd: LstmDirectionWeights,
  rev: LstmDirectionWeights,
  inputGrad = true,
): tf.Tensor3D {
  const run =
    kernel === "fused" ? bidirectionalLstmFused : kernel === "bptt" ? bidirectionalLstmBptt : bidirectionalLstm;
  return run(x, fwd, rev, inputGrad);
}
