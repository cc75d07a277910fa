/**
 * The relation head against an independent PyTorch implementation
 * (scripts/torch_re_reference.py: nn.LSTM(bidirectional, batch_first) + nn.Linear + exact GELU,
 * float64; weights and features rounded to float32 so both sides use the same numbers).
 * Fixture committed; CI needs no torch.
 * Tolerances: logits max |diff| <= 1e-4; loss |diff| <= 1e-5 x |loss|; every gradient
 * (each head parameter, and the features) max |diff| <= 1e-4 x max |reference| of that tensor.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { RelationHead, setLstmKernel, setMatMulMode, type LstmKernel, type MatMulMode } from "../src/re";
import { initBackend } from "../src/backend";
import { nativeUnavailable } from "./support/native";
import { AdeflowError } from "../src/errors";
import { maxAbsDiff } from "./helpers";
import { repoRoot } from "../src/paths";

const FIX = path.join(repoRoot(), "lib", "test", "fixtures", "torch-re");
const ref = JSON.parse(fs.readFileSync(path.join(FIX, "reference.json"), "utf8"));

const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

function buildHead(inputGradient: boolean): RelationHead {
  const s = ref.sizes;
  const head = new RelationHead(s.features, {
    lstmUnits: s.lstmUnits,
    denseUnits: s.denseUnits,
    seqLen: s.seqLen,
    numClasses: s.numClasses,
    seed: 5,
    inputGradient,
  });
  // Same names and shapes as the torch module's state_dict.
  assert.deepEqual([...head.variables.keys()], Object.keys(ref.shapes));
  for (const [k, v] of head.variables) assert.deepEqual(v.shape, ref.shapes[k], k);
  head.loadState(ref.state);
  return head;
}

function checkAgainstTorch(label: string, inputGradient = true): void {
  const s = ref.sizes;
  const head = buildHead(inputGradient);
  const before = tf.memory().numTensors;
  const feats = tf.tensor3d(ref.features, [s.batch, s.seqLen, s.features]);
  const labels = tf.tensor2d(ref.labels, [s.batch, s.seqLen], "int32");
  const w = tf.tensor1d(ref.class_weights);

  const logits = head.logits(feats, false);
  assert.deepEqual(logits.shape, [s.batch, s.seqLen, s.numClasses]);
  const dLogits = maxAbsDiff(logits.dataSync(), ref.logits);
  assert.ok(dLogits <= 1e-4, `logits max |diff| ${dLogits}`);

  const names = [...head.variables.keys()];
  const vars = [...head.variables.values()];
  const { value, grads } = tf.variableGrads(() => head.loss(feats, labels, w, false), vars);
  // With inputGradient false the features are constants (cached): no feature gradient.
  const featGrad = inputGradient
    ? tf.grad((x: tf.Tensor) => head.loss(x as tf.Tensor3D, labels, w, false))(feats)
    : undefined;
  const loss = value.dataSync()[0];
  assert.ok(Math.abs(loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${loss} vs ${ref.loss}`);
  const report: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const g = grads[vars[i].name];
    assert.ok(g, `no gradient for ${names[i]}`);
    const d = maxAbsDiff(g.dataSync(), ref.grads[names[i]]);
    const scale = maxAbs(ref.grads[names[i]]);
    report.push(`${names[i]} ${d.toExponential(2)}/${scale.toExponential(2)}`);
    assert.ok(d <= 1e-4 * scale, `gradient of ${names[i]}: max |diff| ${d} vs max |ref| ${scale}`);
  }
  const dF = featGrad ? maxAbsDiff(featGrad.dataSync(), ref.features_grad) : NaN;
  if (featGrad) assert.ok(dF <= 1e-4 * maxAbs(ref.features_grad), `feature gradient max |diff| ${dF}`);
  console.log(
    `${label}: logits max|diff| ${dLogits.toExponential(2)}; loss |diff| ${Math.abs(loss - ref.loss).toExponential(2)}; features grad ${featGrad ? dF.toExponential(2) : "n/a (constant features)"}; ${report.join("; ")}`,
  );

  tf.dispose([logits, value, ...(featGrad ? [featGrad] : []), ...Object.values(grads)]);
  tf.dispose([feats, labels, w]);
  assert.equal(tf.memory().numTensors, before, "no tensors leaked");
  head.dispose();
}

// every BiLSTM kernel: the one the head runs and those the bench compares it with
for (const kernel of ["fused", "per-direction", "bptt"] as LstmKernel[]) {
  for (const mode of ["tfjs", "plain"] as MatMulMode[]) {
    test(`relation head (${kernel} BiLSTM) matches PyTorch on cpu (${mode} matMul path): logits, loss, gradients of every parameter and of the features`, async () => {
      await tf.setBackend("cpu");
      setMatMulMode(mode);
      setLstmKernel(kernel);
      try {
        checkAgainstTorch(`cpu/${mode}/${kernel}`);
        checkAgainstTorch(`cpu/${mode}/${kernel}, inputGradient false`, false);
      } finally {
        setMatMulMode("auto");
        setLstmKernel("per-direction");
      }
    });
  }

  test(`relation head (${kernel} BiLSTM) matches PyTorch on the wasm backend (when it loads)`, async (t) => {
    try {
      await initBackend({ force: "wasm" });
    } catch (e) {
      t.skip(`wasm backend unavailable: ${(e as Error).message}`);
      return;
    }
    setLstmKernel(kernel);
    try {
      checkAgainstTorch(`wasm/auto/${kernel}`);
      checkAgainstTorch(`wasm/auto/${kernel}, inputGradient false`, false);
    } finally {
      setLstmKernel("per-direction");
      await tf.setBackend("cpu");
    }
  });
}

for (const kernel of ["fused", "per-direction", "bptt"] as LstmKernel[])
  test(`relation head (${kernel} BiLSTM) matches PyTorch on the native backend (where setup built it)`, async (t) => {
    const missing = nativeUnavailable();
    if (missing) return t.skip(`native backend not built: ${missing}`);
    await initBackend({ force: "tensorflow" });
    setLstmKernel(kernel);
    try {
      checkAgainstTorch(`tensorflow/auto/${kernel}`);
      checkAgainstTorch(`tensorflow/auto/${kernel}, inputGradient false`, false);
    } finally {
      setLstmKernel("per-direction");
      await tf.setBackend("cpu");
    }
  });

test("relation head: wrong sequence length or feature size is an AdeflowError", async () => {
  await tf.setBackend("cpu");
  const head = new RelationHead(4, { lstmUnits: 3, denseUnits: 5, seqLen: 8 });
  const bad = tf.zeros([1, 7, 4]) as tf.Tensor3D;
  assert.throws(
    () => head.logits(bad, false),
    (e: unknown) => e instanceof AdeflowError && /exactly 8/.test((e as Error).message),
  );
  const badF = tf.zeros([1, 8, 5]) as tf.Tensor3D;
  assert.throws(() => head.logits(badF, false), AdeflowError);
  assert.throws(() => new RelationHead(4, { dropout: 1 }), AdeflowError);
  tf.dispose([bad, badF]);
  head.dispose();
});
