/**
 * The webgpu backend (Dawn) against the PyTorch fixtures, a short training run, and the sizes at which
 * tfjs-backend-webgpu 4.22 returns wrong numbers without the guards of ops/webgpu-guards.ts.
 *
 * Here it runs on Mesa's llvmpipe through Dawn's OpenGL backend (forced: a CPU adapter is never chosen
 * automatically); on a machine with a GPU the same tests run on it. Without any adapter the tests are
 * skipped with the reason, and under CI (`CI` set) that is a failure instead, as for the browser test.
 * All reads are asynchronous: `dataSync()` cannot work on WebGPU in Node.
 *
 * Each size test also runs once with the guards off and, on a CPU adapter (where this was measured),
 * asserts that the unguarded result is wrong: it shows the test reaches the faulty kernel, and it will
 * fail (saying so) the day tfjs fixes it, so that the guard can go.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend, type BackendInfo } from "../../src/backend";
import { loadBert, stackSequences } from "../../src/bert";
import { linear } from "../../src/bert/encoder";
import { RelationHead, STUDY_RE_HEAD } from "../../src/re";
import { linearFast } from "../../src/ops/matmul";
import { globalNorm } from "../../src/train/optim";
import { Trainer } from "../../src/train";
import { TokenClassifier, computeClassWeights, weightedCrossEntropy } from "../../src/bert";
import { NER_LABELS } from "../../src/pipeline/rows";
import { smokeExamples } from "../support/smoke";
import { MAX_SINGLE_REDUCTION, setWebGpuGuardsEnabled } from "../../src/ops/webgpu-guards";
import { setupWebGpu } from "../../src/webgpu";
import { repoRoot, tinyCheckpointDir } from "../../src/paths";
import { maxAbsDiff } from "../helpers";

const FIX = path.join(repoRoot(), "lib", "test", "fixtures");
const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

let cached: Promise<BackendInfo | string> | undefined;
/** The webgpu backend, or the reason it cannot be had (a failure under CI). */
async function webgpu(t: TestContext): Promise<BackendInfo | undefined> {
  cached ??= initBackend({ force: "webgpu" }).catch((e: Error) => e.message);
  const b = await cached;
  if (typeof b !== "string") {
    await tf.setBackend("webgpu");
    return b;
  }
  if (process.env.CI)
    assert.fail(`CI: the webgpu tests need an adapter (install Mesa's EGL/GL drivers, see .ci/run): ${b}`);
  t.skip(`no WebGPU adapter: ${b}`);
  return undefined;
}

async function values(x: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from(await x.data());
}

test("no library path reads tensors synchronously (WebGPU in Node cannot)", () => {
  const src = path.join(repoRoot(), "lib", "src");
  const files = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) =>
        e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
      );
  const found: string[] = [];
  for (const file of files(src)) {
    fs.readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (/\.(dataSync|arraySync|bufferSync)\(/.test(line)) found.push(`${path.relative(src, file)}:${i + 1}`);
      });
  }
  assert.deepEqual(found, [], `synchronous reads: ${found.join(", ")}`);
});

test("webgpu: the adapter is named, and a CPU adapter is taken only when forced", async (t) => {
  const b = await webgpu(t);
  if (!b) return;
  console.log(b.description);
  assert.ok(b.adapter, "the backend reports its adapter");
  assert.match(b.description, /adapter: /);
  if (b.adapter!.isCpu) {
    const auto = await setupWebGpu({ allowCpuAdapter: false });
    assert.equal(auto.ok, false, "a CPU adapter must not be chosen automatically");
    assert.match((auto as { reason: string }).reason, /CPU adapter/);
  }
});

test("webgpu: tiny-bert matches the PyTorch reference (hidden states, loss, gradients)", async (t) => {
  if (!(await webgpu(t))) return;
  const inputs = JSON.parse(fs.readFileSync(path.join(FIX, "torch-reference/inputs.json"), "utf8"));
  const ref = JSON.parse(fs.readFileSync(path.join(FIX, "torch-reference/reference.json"), "utf8"));
  const bert = await loadBert(tinyCheckpointDir());
  const B = inputs.input_ids.length;
  const T = inputs.seq_len;
  const ids = tf.tensor2d(inputs.input_ids.flat(), [B, T], "int32");
  const mask = tf.tensor2d(inputs.attention_mask.flat(), [B, T], "int32");
  const labels = tf.tensor2d(inputs.labels.flat(), [B, T], "int32");
  const hw = tf.tensor2d(inputs.head_weight);
  const hb = tf.tensor1d(inputs.head_bias);
  const cw = tf.tensor1d(inputs.class_weights);
  const hs = bert.encoder.forward(ids, mask);
  const diffs: number[] = [];
  for (const [i, h] of hs.entries()) diffs.push(maxAbsDiff(await values(h), ref.hidden_states[i]));
  tf.dispose(hs);
  console.log(`webgpu: max |hidden - torch| per state: ${diffs.map((d) => d.toExponential(2)).join(", ")}`);
  diffs.forEach((d, i) => assert.ok(d <= 1e-4, `hidden state ${i}: max abs diff ${d}`));
  const vars = bert.encoder.variables;
  const { value, grads } = tf.variableGrads(
    () => {
      const h = bert.encoder.forward(ids, mask);
      return weightedCrossEntropy(linear(h[h.length - 1], hw, hb), labels, cw);
    },
    inputs.grad_names.map((n: string) => vars.get(n)!),
  );
  const loss = (await value.data())[0];
  assert.ok(Math.abs(loss - ref.loss) / Math.abs(ref.loss) <= 1e-5, `loss ${loss} vs ${ref.loss}`);
  let worst = 0;
  for (const name of inputs.grad_names as string[]) {
    const r = ref.grads[name];
    let g = await values(grads[vars.get(name)!.name]);
    if (r.rows) {
      const H = r.shape[1];
      const full = g;
      g = new Float32Array(r.rows.length * H);
      r.rows.forEach((row: number, k: number) => g.set(full.subarray(row * H, (row + 1) * H), k * H));
    }
    const rel = maxAbsDiff(g, r.data) / maxAbs(r.data);
    worst = Math.max(worst, rel);
    assert.ok(rel <= 1e-3, `gradient of ${name}: relative diff ${rel}`);
  }
  console.log(`webgpu: loss ${loss} (torch ${ref.loss}); worst gradient max|diff|/max|ref| ${worst.toExponential(2)}`);
  tf.dispose([value, ...Object.values(grads), ids, mask, labels, hw, hb, cw]);
  bert.encoder.dispose();
});

test("webgpu: the relation head matches PyTorch (logits, loss, every gradient)", async (t) => {
  if (!(await webgpu(t))) return;
  const ref = JSON.parse(fs.readFileSync(path.join(FIX, "torch-re/reference.json"), "utf8"));
  const s = ref.sizes;
  const head = new RelationHead(s.features, {
    lstmUnits: s.lstmUnits,
    denseUnits: s.denseUnits,
    seqLen: s.seqLen,
    numClasses: s.numClasses,
    seed: 5,
    inputGradient: true,
  });
  head.loadState(ref.state);
  const feats = tf.tensor3d(ref.features, [s.batch, s.seqLen, s.features]);
  const labels = tf.tensor2d(ref.labels, [s.batch, s.seqLen], "int32");
  const w = tf.tensor1d(ref.class_weights);
  const logits = head.logits(feats, false);
  const dLogits = maxAbsDiff(await values(logits), ref.logits);
  assert.ok(dLogits <= 1e-4, `logits max |diff| ${dLogits}`);
  const names = [...head.variables.keys()];
  const vars = [...head.variables.values()];
  const { value, grads } = tf.variableGrads(() => head.loss(feats, labels, w, false), vars);
  const loss = (await value.data())[0];
  assert.ok(Math.abs(loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${loss} vs ${ref.loss}`);
  let worst = 0;
  for (const [i, name] of names.entries()) {
    const rel = maxAbsDiff(await values(grads[vars[i].name]), ref.grads[name]) / maxAbs(ref.grads[name]);
    worst = Math.max(worst, rel);
    assert.ok(rel <= 1e-4, `gradient of ${name}: relative diff ${rel}`);
  }
  console.log(
    `webgpu: RE head logits max|diff| ${dLogits.toExponential(2)}; worst gradient relative diff ${worst.toExponential(2)}`,
  );
  tf.dispose([logits, value, ...Object.values(grads), feats, labels, w]);
  head.dispose();
});

test("webgpu: a short training run lowers the loss and leaks no tensors", async (t) => {
  if (!(await webgpu(t))) return;
  const bert = await loadBert(tinyCheckpointDir());
  const clf = new TokenClassifier(bert.encoder, NER_LABELS.length, 5);
  const seqs = smokeExamples(4).map((e) => bert.tokenizer.encodeWords(e.words, e.labels, 32));
  const all = stackSequences(seqs, 32);
  const weights = tf.tensor1d(
    computeClassWeights(
      seqs.map((q) => q.labels),
      NER_LABELS.length,
    ),
  );
  const tr = new Trainer(clf.params(), { lr: 1e-2, totalSteps: 8, accumulationSteps: 2, seed: 7 });
  const evalLoss = async () => {
    const l = clf.loss(all, weights, false);
    const v = (await l.data())[0];
    l.dispose();
    return v;
  };
  const initial = await evalLoss();
  let tensorsAfterFirst = -1;
  const norms: number[] = [];
  for (let step = 0; step < 16; step++) {
    const batch = stackSequences([seqs[(2 * step) % 4], seqs[(2 * step + 1) % 4]], 32);
    const r = await tr.microBatch((seed) => clf.loss(batch, weights, true, seed));
    if (r.gradNorm !== undefined) norms.push(r.gradNorm);
    if (step === 1) tensorsAfterFirst = tf.memory().numTensors;
  }
  const final = await evalLoss();
  console.log(
    `webgpu training: loss ${initial.toFixed(4)} -> ${final.toFixed(4)} in ${tr.step} updates; tensors ${tensorsAfterFirst} -> ${tf.memory().numTensors}`,
  );
  assert.equal(tr.step, 8);
  assert.ok(
    norms.every((n) => Number.isFinite(n) && n > 0),
    `gradient norms ${norms}`,
  );
  assert.ok(final < 0.5 * initial, `loss ${initial} -> ${final}`);
  assert.equal(tf.memory().numTensors, tensorsAfterFirst, "tensor count stays flat from step to step");
  tr.dispose();
  clf.dispose();
  bert.encoder.dispose();
  weights.dispose();
});

test("webgpu size: the study-size RE head's dense layer (K = 32,768, x W^T) agrees with the cpu backend", async (t) => {
  const b = await webgpu(t);
  if (!b) return;
  // the study's head flattens seqLen x 2H = 128 x 256 = 32,768 BiLSTM outputs per row into 384 dense
  // units; this is its dense layer, called as the head calls it, on a micro-batch of 2 rows
  const K = 128 * 2 * STUDY_RE_HEAD.lstmUnits;
  const D = STUDY_RE_HEAD.denseUnits;
  let seed = 12345;
  const uniform = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const x = Float32Array.from({ length: 2 * K }, uniform);
  const w = Float32Array.from({ length: D * K }, () => uniform() / Math.sqrt(K));
  const bias = Float32Array.from({ length: D }, (_, i) => 0.01 * i);
  const dy = Float32Array.from({ length: 2 * D }, (_, i) => ((i % 7) - 3) / 3);
  const run = async () => {
    const [xt, wt, bt, dyt] = [
      tf.tensor2d(x, [2, K]),
      tf.tensor2d(w, [D, K]),
      tf.tensor1d(bias),
      tf.tensor2d(dy, [2, D]),
    ];
    const y = linearFast(xt, wt, bt);
    // d(sum(dy * y)) / dW: the gradient the dense weight receives
    const gW = tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(linearFast(xt, ww, bt), dyt)))(wt);
    const out = { y: await values(y), gW: await values(gW) };
    tf.dispose([xt, wt, bt, dyt, y, gW]);
    return out;
  };
  const onGpu = await run();
  setWebGpuGuardsEnabled(false);
  const unguarded = await run();
  setWebGpuGuardsEnabled(true);
  await tf.setBackend("cpu");
  const onCpu = await run();
  await tf.setBackend("webgpu");
  const rel = (a: Float32Array, r: Float32Array) => maxAbsDiff(a, r) / maxAbs(r);
  const [dY, dG, uY, uG] = [
    rel(onGpu.y, onCpu.y),
    rel(onGpu.gW, onCpu.gW),
    rel(unguarded.y, onCpu.y),
    rel(unguarded.gW, onCpu.gW),
  ];
  console.log(
    `webgpu size (RE dense, K=${K}): guarded output ${dY.toExponential(2)}, weight gradient ${dG.toExponential(2)}; unguarded ${uY.toExponential(2)}, ${uG.toExponential(2)} (max |diff| / max |cpu|)`,
  );
  assert.ok(dY <= 1e-5, `output relative diff ${dY}`);
  assert.ok(dG <= 1e-5, `weight gradient relative diff ${dG}`);
  if (b.adapter!.isCpu)
    assert.ok(
      uY > 1e-2,
      `unguarded split-K output now agrees (${uY}): has tfjs fixed transposeB in MatMulSplitKProgram? then the guard can go`,
    );
});

test("webgpu size: a reduction over 2^25 elements (the global norm) is exact", async (t) => {
  const b = await webgpu(t);
  if (!b) return;
  const n = 2 ** 25;
  assert.ok(n > MAX_SINGLE_REDUCTION);
  if (n * 4 > b.adapter!.limits.maxStorageBufferBindingSize) {
    t.skip(`this adapter binds at most ${b.adapter!.limits.maxStorageBufferBindingSize} bytes`);
    return;
  }
  // 1.5 everywhere: the sum of squares is 2.25 x 2^25 exactly in float32 partial sums of 2^22
  const x = tf.fill([n], 1.5);
  const norm = await globalNorm([x]);
  const sum = tf.sum(x);
  const total = (await sum.data())[0];
  setWebGpuGuardsEnabled(false);
  const raw = tf.sum(x);
  const unguarded = (await raw.data())[0];
  setWebGpuGuardsEnabled(true);
  console.log(
    `webgpu size (sum of 2^25): guarded ${total}, global norm ${norm}; unguarded ${unguarded} (exact ${1.5 * n})`,
  );
  assert.equal(total, 1.5 * n);
  assert.ok(Math.abs(norm - Math.sqrt(2.25 * n)) <= 1e-6 * Math.sqrt(2.25 * n), `global norm ${norm}`);
  if (b.adapter!.isCpu)
    assert.notEqual(
      unguarded,
      1.5 * n,
      "the unguarded sum is now exact: has tfjs fixed its reduction? then the guard can go",
    );
  tf.dispose([x, sum, raw]);
});

test("webgpu size: a tensor past the adapter's binding limit is a clear error, not stale data", async (t) => {
  const b = await webgpu(t);
  if (!b) return;
  const limit = b.adapter!.limits.maxStorageBufferBindingSize;
  if (limit > 2 ** 29) {
    t.skip(`binding limit ${limit} bytes: a tensor past it is too big for a unit test`);
    return;
  }
  const n = limit / 4 + 64;
  assert.throws(
    () => tf.fill([n], 2),
    (e: Error) => /exceeds this adapter's maxStorageBufferBindingSize/.test(e.message) && /Fill output/.test(e.message),
  );
  setWebGpuGuardsEnabled(false);
  const stale = tf.fill([n], 2);
  const v = await stale.data();
  setWebGpuGuardsEnabled(true);
  let twos = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === 2) twos++;
  console.log(`webgpu size (fill past ${limit} bytes): guarded throws; unguarded ${twos} of ${n} values written`);
  stale.dispose();
  if (b.adapter!.isCpu)
    assert.ok(twos < n, "the unguarded fill past the binding limit now works: the guard may be too strict");
});
