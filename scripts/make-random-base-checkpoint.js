#!/usr/bin/env node
// Writes a checkpoint with bert-base-cased's architecture and RANDOM weights (and the tiny checkpoint's
// corpus-built vocabulary) in the Hugging Face layout, to time the `quick` and `full` profiles where the real
// bert-base-cased cannot be downloaded. Its scores mean nothing; its cost per token is bert-base's.
// Usage (after `npm run build`): node scripts/make-random-base-checkpoint.js [OUT_DIR]   (default data/bert-base-random)
const fs = require("node:fs");
const path = require("node:path");
const lib = require("../lib/dist/src/index.js");

const out = path.resolve(process.argv[2] ?? path.join(__dirname, "..", "data", "bert-base-random"));
const tiny = lib.TINY_CHECKPOINT();
const vocabSize = fs.readFileSync(path.join(tiny, "vocab.txt"), "utf8").trim().split("\n").length;
const config = {
  ...lib.BERT_BASE_CASED_CONFIG,
  vocab_size: vocabSize,
  model_type: "bert",
  architectures: ["BertModel"],
};
const tensors = new Map();
for (const [name, t] of lib.BertEncoder.randomTensors(config, 7, 1)) tensors.set(lib.hubName(name), t);
fs.mkdirSync(out, { recursive: true });
for (const f of ["vocab.txt", "tokenizer.json", "tokenizer_config.json"])
  fs.copyFileSync(path.join(tiny, f), path.join(out, f));
lib.writeFileAtomic(path.join(out, "config.json"), JSON.stringify(config, null, 2) + "\n");
lib.writeSafetensors(path.join(out, "model.safetensors"), tensors, {
  format: "pt",
  generator: "adeflow random bert-base",
  seed: "7",
});
console.error(`wrote ${out}`);
