/** AdamW, schedule, clipping, class weights and the loss reduction against known values. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { AdamW, linearScheduleFactor, clipByGlobalNorm } from "../src/train";
import { computeClassWeights, sequenceClassWeights, weightedCrossEntropy } from "../src/bert";
import { Rng } from "../src/random/rng";
import { initBackend } from "../src/backend";
import { nativeUnavailable } from "./support/native";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

const ADAMW_MODES = [
  { name: "JS state", backend: "cpu", opts: { hostState: true } },
  { name: "tensor state", backend: "cpu", opts: { hostState: false } },
  { name: "fused ResourceApplyAdam", backend: "tensorflow", opts: { fused: true } },
];
for (const mode of ADAMW_MODES)
  test(`AdamW (${mode.name}) matches torch.optim.AdamW (decoupled weight decay, per-step lr)`, async (t) => {
    if (mode.backend === "tensorflow") {
      const missing = nativeUnavailable();
      if (missing) return t.skip(`native backend not built: ${missing}`);
    }
    await initBackend({ force: mode.backend });
    const p = tf.variable(tf.tensor1d([0.5, -1.0, 2.0]));
    const opt = new AdamW(new Map([["p", p]]), { lr: 0.01, weightDecay: 0.1, ...mode.opts });
    assert.equal(opt.state, mode.opts.fused ? "fused" : mode.opts.hostState ? "host" : "tensor");
    // Values printed by torch 1.13 AdamW(lr per step 0.01, 0.005, 0.0025; betas .9/.999; eps 1e-8; wd 0.1), float64.
    const expected = [
      [0.4895000009999999, -0.9890000004999999, 1.9880000003333334],
      [0.4922470218271167, -0.9903360180770518, 1.9836557092204579],
      [0.4912261080259065, -0.9918351560170803, 1.984317859474671],
    ];
    for (const [i, g] of [
      [0.1, -0.2, 0.3],
      [-0.5, 0.4, 0.0],
      [1, 1, -1],
    ].entries()) {
      const gt = tf.tensor1d(g);
      await opt.apply(new Map([["p", gt]]), [0.01, 0.005, 0.0025][i]);
      gt.dispose();
      close(p.dataSync(), expected[i], 2e-6, `step ${i + 1}`);
    }
    close((await opt.getState("p")).m, [0.0631, 0.1198, -0.0757], 1e-6, "exp_avg");
    // TensorFlow's kernel updates v as v + (g^2 - v)(1 - b2) in float32, which rounds differently from
    // b2 v + (1 - b2) g^2: 1.3e-5 relative here, and the weights above still agree to 2e-6
    const vTolerance = mode.opts.fused ? 5e-8 : 1e-8;
    close((await opt.getState("p")).v, [0.00125973001, 0.00119976004, 0.00108982009], vTolerance, "exp_avg_sq");
    opt.dispose();
    p.dispose();
    await tf.setBackend("cpu"); // the tests below compute on the cpu backend, as before
  });

test("linear schedule with and without warm-up (transformers' formula)", () => {
  assert.equal(linearScheduleFactor(0, 10), 1);
  assert.equal(linearScheduleFactor(5, 10), 0.5);
  assert.equal(linearScheduleFactor(10, 10), 0);
  assert.equal(linearScheduleFactor(12, 10), 0);
  assert.equal(linearScheduleFactor(0, 10, 2), 0);
  assert.equal(linearScheduleFactor(1, 10, 2), 0.5);
  assert.equal(linearScheduleFactor(2, 10, 2), 1);
  assert.equal(linearScheduleFactor(6, 10, 2), 0.5);
});

test("global-norm clipping matches torch.nn.utils.clip_grad_norm_", async () => {
  const grads = new Map<string, tf.Tensor>([
    ["a", tf.tensor1d([3, 4])],
    ["b", tf.tensor1d([12])],
  ]);
  const { grads: out, norm } = await clipByGlobalNorm(grads, 1.0);
  assert.ok(Math.abs(norm - 13) < 1e-5);
  close(out.get("a")!.dataSync(), [0.23076921701431274, 0.307692289352417], 1e-6, "a");
  close(out.get("b")!.dataSync(), [0.923076868057251], 1e-6, "b");
  const small = await clipByGlobalNorm(new Map([["a", tf.tensor1d([0.3, 0.4])]]), 1.0);
  close(small.grads.get("a")!.dataSync(), [0.3, 0.4], 1e-7, "unclipped");
  tf.dispose([...grads.values(), ...out.values(), ...small.grads.values()]);
});

test("class weights: sklearn 'balanced' per sequence, absent classes filled in turn with max + mean, averaged", () => {
  // labels 0,0,0,1 (+ ignored): n=4, present=2 -> w0 = 4/(2*3) = 2/3, w1 = 4/(2*1) = 2;
  // absent 2 -> 2 + (2/3+2)/2 = 10/3; absent 3 -> 10/3 + (2/3+2+10/3)/3 = 16/3; absent 4 -> 16/3 + (34/3)/4 = 49/6
  const w = sequenceClassWeights([-100, 0, 0, 0, 1, -100], 5)!;
  close(w, [2 / 3, 2, 10 / 3, 16 / 3, 49 / 6], 1e-12, "one sequence");
  // second: all class 0 -> w0 = 1, then 2, 3.5, 17/3, 209/24; a sequence of only -100 is skipped
  const avg = computeClassWeights(
    [
      [-100, 0, 0, 0, 1, -100],
      [0, 0],
      [-100, -100],
    ],
    5,
  );
  close(
    avg,
    [(2 / 3 + 1) / 2, (2 + 2) / 2, (10 / 3 + 3.5) / 2, (16 / 3 + 17 / 3) / 2, (49 / 6 + 209 / 24) / 2],
    1e-6,
    "average",
  );
  assert.throws(() => sequenceClassWeights([7], 5), /label 7/);
});

test("weighted CE divides by the number of non-ignored positions, not the weight sum", () => {
  const logits = tf.tensor2d([
    [2, 0, 0],
    [0, 1, 0],
    [0, 0, 3],
    [5, 5, 5],
  ]);
  const labels = tf.tensor1d([0, 2, 2, -100], "int32");
  const w = tf.tensor1d([1, 2, 4]);
  const lsm = (row: number[], k: number) => row[k] - Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
  const nll = [-lsm([2, 0, 0], 0), -lsm([0, 1, 0], 2), -lsm([0, 0, 3], 2)];
  const expected = (1 * nll[0] + 4 * nll[1] + 4 * nll[2]) / 3;
  const loss = weightedCrossEntropy(logits, labels, w);
  assert.ok(Math.abs(loss.dataSync()[0] - expected) < 1e-5, `${loss.dataSync()[0]} vs ${expected}`);
  const none = weightedCrossEntropy(logits, tf.tensor1d([-100, -100, -100, -100], "int32"), w);
  assert.equal(none.dataSync()[0], 0, "all ignored -> 0, not NaN");
  tf.dispose([logits, labels, w, loss, none]);
});

test("Rng: seeded, resumable from its recorded state", () => {
  const a = new Rng(123);
  const first = [a.next(), a.next()];
  const saved = a.state;
  const rest = [a.next(), a.nextUint32(), a.normal()];
  const b = new Rng(123, saved);
  assert.deepEqual([b.next(), b.nextUint32(), b.normal()], rest);
  assert.deepEqual([new Rng(123).next(), new Rng(123).next()], [first[0], first[0]]);
  assert.notDeepEqual(new Rng(1).shuffle([1, 2, 3, 4, 5, 6, 7, 8]), new Rng(2).shuffle([1, 2, 3, 4, 5, 6, 7, 8]));
});
