/** The committed tiny checkpoint is reproducible and loads through the HF-layout loader. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildTinyCheckpoint, readCorpusSentences, tinyCorpusDir } from "../support/tiny";
import { tinyCheckpointDir } from "../../src/paths";

const DIR = tinyCheckpointDir();
const haveCorpus = fs.existsSync(path.join(tinyCorpusDir(), "DRUG-AE.rel"));

test(
  "regenerating tiny-bert reproduces the committed files byte for byte",
  { skip: haveCorpus ? false : "ADE corpus not found (ADE_CORPUS_DIR)" },
  () => {
    const files = buildTinyCheckpoint(readCorpusSentences());
    for (const name of [
      "model.safetensors",
      "config.json",
      "vocab.txt",
      "tokenizer.json",
      "tokenizer_config.json",
    ] as const) {
      assert.ok(
        Buffer.from(files[name]).equals(fs.readFileSync(path.join(DIR, name))),
        `${name} differs from the committed fixture`,
      );
    }
    const total = fs.readdirSync(DIR).reduce((s, f) => s + fs.statSync(path.join(DIR, f)).size, 0);
    assert.ok(total < 1024 * 1024, `fixture is ${total} bytes`);
    const cfg = JSON.parse(files["config.json"]);
    assert.deepEqual(
      [cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size],
      [2, 32, 4, 64],
    );
    const vocab = files["vocab.txt"].trim().split("\n");
    assert.deepEqual(vocab.slice(0, 5), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
    assert.ok(vocab.length > 2000 && vocab.length < 5000, `vocab ${vocab.length}`);
    assert.ok(vocab.includes("Patients") && vocab.includes("patients"), "cased vocabulary");
  },
);
