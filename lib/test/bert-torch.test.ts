/**
 * Cross-check against two references, both float64 and eval mode: an independent PyTorch implementation
 * (scripts/torch_reference.py, BERT from torch.nn modules) and Hugging Face transformers' own BertModel and
 * BertForTokenClassification (scripts/transformers_reference.py), on the same safetensors and inputs.
 * Fixtures are committed; CI needs no torch.
 * Tolerances: every hidden state and the logits max |diff| <= 1e-4; loss relative diff <= 1e-5; every
 * gradient max |diff| <= 1e-4 and <= 1e-3 * max |reference| of that tensor.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadBert, splitWords } from "../src/bert";
import { weightedCrossEntropy } from "../src/bert";
import { linear } from "../src/bert/encoder";
import { maxAbsDiff } from "./helpers";
import { repoRoot } from "../src/paths";
import { initBackend } from "../src/backend";
import { nativeUnavailable } from "./support/native";

const FIX = path.join(repoRoot(), "lib", "test", "fixtures");
const inputs = JSON.parse(fs.readFileSync(path.join(FIX, "torch-reference/inputs.json"), "utf8"));
const references: Record<string, any> = {
  "PyTorch (torch.nn)": JSON.parse(fs.readFileSync(path.join(FIX, "torch-reference/reference.json"), "utf8")),
  "transformers BertModel / BertForTokenClassification": JSON.parse(
    fs.readFileSync(path.join(FIX, "transformers-reference/reference.json"), "utf8"),
  ),
};

test("the two references agree with each other (hidden states, logits, gradients)", () => {
  const [a, b] = Object.values(references);
  const hidden = Math.max(...a.hidden_states.map((h: number[], i: number) => maxAbsDiff(h, b.hidden_states[i])));
  const logits = maxAbsDiff(a.logits, b.logits);
  const grads = Math.max(...Object.keys(a.grads).map((n) => maxAbsDiff(a.grads[n].data, b.grads[n].data)));
  console.log(
    `torch.nn vs transformers: hidden ${hidden.toExponential(2)}, logits ${logits.toExponential(2)}, gradients ${grads.toExponential(2)}`,
  );
  assert.equal(a.hidden_states.length, b.hidden_states.length);
  assert.deepEqual(Object.keys(a.grads).sort(), Object.keys(b.grads).sort());
  for (const d of [hidden, logits, grads, Math.abs(a.loss - b.loss)]) assert.ok(d <= 1e-6, `references differ by ${d}`);
});

for (const backend of ["cpu", "tensorflow"])
  for (const [label, ref] of Object.entries(references))
    test(`tiny-bert on ${backend} matches the ${label} reference: hidden states, logits, loss and gradients`, async (t) => {
      if (backend === "tensorflow") {
        const missing = nativeUnavailable();
        if (missing) return t.skip(`native backend not built: ${missing}`);
      }
      await initBackend({ force: backend });
      const bert = await loadBert(path.join(FIX, "tiny-bert"));
      const B = inputs.input_ids.length;
      const T = inputs.seq_len;
      // Our tokenizer still produces the ids the reference was computed from.
      inputs.sentences.forEach((s: string, i: number) => {
        const seq = bert.tokenizer.encodeWords(splitWords(s), undefined, T);
        assert.deepEqual(Array.from(seq.inputIds), inputs.input_ids[i], `ids of sentence ${i}`);
        assert.deepEqual(Array.from(seq.attentionMask), inputs.attention_mask[i]);
      });
      const ids = tf.tensor2d(inputs.input_ids.flat(), [B, T], "int32");
      const mask = tf.tensor2d(inputs.attention_mask.flat(), [B, T], "int32");
      const labels = tf.tensor2d(inputs.labels.flat(), [B, T], "int32");
      const hw = tf.tensor2d(inputs.head_weight);
      const hb = tf.tensor1d(inputs.head_bias);
      const cw = tf.tensor1d(inputs.class_weights);

      const hs = bert.encoder.forward(ids, mask);
      assert.equal(hs.length, bert.config.num_hidden_layers + 1);
      const diffs = hs.map((h, i) => maxAbsDiff(h.dataSync(), ref.hidden_states[i]));
      console.log(`max |hidden - ${label}| per state: ${diffs.map((d) => d.toExponential(2)).join(", ")}`);
      diffs.forEach((d, i) => assert.ok(d <= 1e-4, `hidden state ${i}: max abs diff ${d}`));
      tf.dispose(hs);

      const logits = tf.tidy(() => {
        const h = bert.encoder.forward(ids, mask);
        return linear(h[h.length - 1], hw, hb).dataSync();
      });
      const logitDiff = maxAbsDiff(logits, ref.logits);
      console.log(`max |logits - ${label}|: ${logitDiff.toExponential(2)}`);
      assert.ok(logitDiff <= 1e-4, `logits: max abs diff ${logitDiff}`);

      const vars = bert.encoder.variables;
      const wanted = inputs.grad_names.map((n: string) => vars.get(n)!);
      const { value, grads } = tf.variableGrads(() => {
        const h = bert.encoder.forward(ids, mask);
        return weightedCrossEntropy(linear(h[h.length - 1], hw, hb), labels, cw);
      }, wanted);
      const loss = value.dataSync()[0];
      console.log(`loss ts ${loss} torch ${ref.loss}`);
      assert.ok(Math.abs(loss - ref.loss) / Math.abs(ref.loss) <= 1e-5, `loss ${loss} vs ${ref.loss}`);
      for (const name of inputs.grad_names as string[]) {
        const r = ref.grads[name];
        let g = grads[vars.get(name)!.name].dataSync() as Float32Array;
        if (r.rows) {
          const H = r.shape[1];
          const full = g;
          g = new Float32Array(r.rows.length * H);
          r.rows.forEach((row: number, k: number) => g.set(full.subarray(row * H, (row + 1) * H), k * H));
        }
        const scale = Math.max(...r.data.map((x: number) => Math.abs(x)));
        const rel = maxAbsDiff(g, r.data) / scale;
        console.log(
          `grad ${name}: max|diff| = ${maxAbsDiff(g, r.data).toExponential(2)}, /max|ref| = ${rel.toExponential(2)}`,
        );
        assert.ok(rel <= 1e-3, `gradient of ${name}: relative diff ${rel}`);
        assert.ok(maxAbsDiff(g, r.data) <= 1e-4, `gradient of ${name}: max abs diff ${maxAbsDiff(g, r.data)}`);
      }
      tf.dispose([value, ...Object.values(grads), ids, mask, labels, hw, hb, cw]);
      bert.encoder.dispose();
    });
