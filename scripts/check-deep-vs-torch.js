#!/usr/bin/env node
// Precision over depth: a bert-base-sized encoder (12 layers, hidden 768, 12 heads, 3072) with
// seeded random weights, TypeScript (float32, active backend) vs scripts/torch_reference.py
// (float64). Writes the checkpoint to a temporary folder (~370 MB), not committed.
// Usage (after `npx tsc -b`): node scripts/check-deep-vs-torch.js   [needs /usr/bin/python3 with torch]
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { execFileSync } = require("node:child_process");
const tf = require("@tensorflow/tfjs");
const { initBackend } = require("../lib/dist/src/backend");
const { BertEncoder, BERT_BASE_CASED_CONFIG, hubName } = require("../lib/dist/src/bert");
const { writeSafetensors } = require("../lib/dist/src/io");

(async () => {
  const backend = await initBackend();
  const cfg = { ...BERT_BASE_CASED_CONFIG, vocab_size: 3000 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-deep-"));
  try {
    // jitter 1: random LayerNorm gammas/biases too
    const tensors = BertEncoder.randomTensors(cfg, 11, 1);
    const hub = new Map([...tensors].map(([k, v]) => [hubName(k), v]));
    writeSafetensors(path.join(dir, "model.safetensors"), hub);
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(cfg));
    const B = 2,
      T = 64;
    let s = 5;
    const ids = Array.from({ length: B }, () =>
      Array.from({ length: T }, () => ((s = (s * 1103515245 + 12345) % 2147483648), 5 + (s % 2990))),
    );
    const mask = [Array(T).fill(1), [...Array(40).fill(1), ...Array(T - 40).fill(0)]];
    const labels = ids.map((r, b) => r.map((x, t) => (mask[b][t] ? x % 5 : -100)));
    const H = cfg.hidden_size;
    const head = Array.from({ length: 5 }, (_, c) => Array.from({ length: H }, (_, h) => Math.sin(c * 7 + h) * 0.05));
    const inputs = {
      seq_len: T,
      input_ids: ids,
      attention_mask: mask,
      labels,
      head_weight: head,
      head_bias: [0, 0.1, -0.1, 0.2, 0],
      class_weights: [1, 2, 2, 3, 3],
      grad_names: ["encoder.layer.0.attention.self.query.weight", "encoder.layer.11.output.dense.weight"],
    };
    fs.writeFileSync(path.join(dir, "inputs.json"), JSON.stringify(inputs));
    const t0 = Date.now();
    execFileSync(
      "/usr/bin/python3",
      [
        path.join(__dirname, "torch_reference.py"),
        "--checkpoint",
        dir,
        "--inputs",
        path.join(dir, "inputs.json"),
        "--out",
        path.join(dir, "ref.json"),
      ],
      { stdio: "inherit" },
    );
    const ref = JSON.parse(fs.readFileSync(path.join(dir, "ref.json"), "utf8"));
    const enc = BertEncoder.fromTensors(cfg, tensors);
    const hs = enc.forward(tf.tensor2d(ids.flat(), [B, T], "int32"), tf.tensor2d(mask.flat(), [B, T], "int32"));
    const diffs = hs.map((h, i) => {
      const a = h.dataSync();
      let m = 0;
      for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j] - ref.hidden_states[i][j]));
      return m;
    });
    console.log(
      JSON.stringify({
        backend: backend.name,
        layers: cfg.num_hidden_layers,
        max_abs_diff_per_hidden_state: diffs.map((d) => Number(d.toExponential(2))),
        max: Math.max(...diffs),
        seconds: (Date.now() - t0) / 1000,
      }),
    );
    process.exitCode = Math.max(...diffs) <= 1e-4 ? 0 : 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
