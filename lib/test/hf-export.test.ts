/**
 * Trained models exported to the Hugging Face layout, against what Python makes of them. The fixture
 * (lib/test/fixtures/hf-export/reference.json, made by scripts/hf_export_reference.py with transformers 5.17 and
 * PyTorch 2.13) holds the SHA-256 of every file of the exports of lib/test/support/export-models.ts's models, the
 * NER logits and pipeline entities transformers computed, and the logits of the RE model card's PyTorch module.
 * Here the same models are exported again: the bytes must be those Python read, the logits agree within 1e-5, and
 * adeflow's own prediction from the exported folder gives the pipeline's entities.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import { loadBert } from "../src/bert/checkpoint";
import { stackSequences } from "../src/bert/tokenizer";
import { sha256 } from "../src/corpus/locate";
import { AdePredictor } from "../src/experiment/e2e/predictor";
import { RELATION_MODULE_FILE } from "../src/experiment/export/export";
import { createNerModel, loadNerModel } from "../src/experiment/ner/task";
import { loadReModel } from "../src/experiment/re/task";
import { firstPieceLabels } from "../src/experiment/shared/pieces";
import { currentProfile } from "../src/experiment/shared/profile";
import { repoRoot } from "../src/paths";
import { NER_LABELS } from "../src/pipeline/rows";
import { fixture, maxAbsDiff, readJson } from "./helpers";
import { NER_FIXTURE_TEXTS, RE_FIXTURE_WORDS, writeFixtureModels, type FixtureModels } from "./support/export-models";

const ref = readJson(fixture(path.join("hf-export", "reference.json")));
const TOLERANCE = 1e-5;
const ADEFLOW = path.join(repoRoot(), "lib", "bin", "adeflow.js");

let made: Promise<FixtureModels> | undefined;
/** The fixture models, saved and exported once for the file's tests. */
function models(): Promise<FixtureModels> {
  made ??= writeFixtureModels(fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-hf-export-")));
  return made;
}

const entitiesOf = (found: { type: string; start: number; end: number }[]) =>
  found.map((e) => ({ type: e.type, start: e.start, end: e.end }));

test("the exports are byte for byte the files transformers and PyTorch read", async () => {
  await initBackend({ force: "cpu" });
  const { ner, re } = await models();
  for (const [task, dir] of [
    ["ner", ner.dir],
    ["re", re.dir],
  ] as const) {
    for (const [name, hash] of Object.entries(ref.files[task] as Record<string, string>))
      assert.equal(sha256(fs.readFileSync(path.join(dir, name))), hash, `${task}/${name}`);
  }
  assert.deepEqual(
    ner.files.sort(),
    [
      "README.md",
      "adeflow-export.json",
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
      "vocab.txt",
    ].sort(),
  );
  // what transformers said when it loaded the NER export, and what its save_pretrained writes for the same model
  assert.deepEqual(ref.ner.loading_info, {
    missing_keys: [],
    unexpected_keys: [],
    mismatched_keys: [],
    error_msgs: [],
  });
  const saved = ref.ner.save_pretrained;
  assert.deepEqual(saved.fields_that_differ, {}, "every field the export writes has save_pretrained's value");
  assert.deepEqual(saved.fields_only_in_export, []);
  assert.equal(saved.same_tensor_names_and_values, true);
  // save_pretrained adds only transformers' own defaults and its version
  assert.deepEqual(Object.keys(saved.fields_only_in_save_pretrained).sort(), [
    "add_cross_attention",
    "bos_token_id",
    "eos_token_id",
    "is_decoder",
    "tie_word_embeddings",
    "transformers_version",
    "use_cache",
  ]);
  assert.equal(ref.re.card_module_is_lib_python_ade_relation_model_py, true);
  assert.ok(
    fs
      .readFileSync(path.join(re.dir, "README.md"), "utf8")
      .includes(fs.readFileSync(RELATION_MODULE_FILE(), "utf8").trim()),
    "the card carries the module the reference ran",
  );
});

test("NER: word-by-word ids are the pipeline's, logits agree with transformers within 1e-5, and adeflow's entities are the pipeline's", async () => {
  await initBackend({ force: "cpu" });
  const { ner, re } = await models();
  const loaded = await loadNerModel(ner.dir);
  const predictor = new AdePredictor(loaded, await loadReModel(re.dir));
  assert.deepEqual(
    ref.ner.texts.map((t: any) => t.text),
    NER_FIXTURE_TEXTS,
  );
  let worst = 0;
  let simpleCompared = 0;
  for (const t of ref.ner.texts) {
    const seq = loaded.bert.tokenizer.encodeText(t.text, 128);
    assert.deepEqual(Array.from(seq.inputIds.subarray(0, seq.length)), t.input_ids, `ids of "${t.text}"`);
    const logits = tf.tidy(() =>
      loaded.model.logits(
        tf.tensor2d(seq.inputIds.subarray(0, seq.length), [1, seq.length], "int32"),
        tf.tensor2d(seq.attentionMask.subarray(0, seq.length), [1, seq.length], "int32"),
        false,
      ),
    );
    const values = logits.dataSync();
    const labels = Array.from(tf.tidy(() => tf.argMax(logits, -1).dataSync())).map((k) => NER_LABELS[k]);
    logits.dispose();
    const d = maxAbsDiff(values, t.logits);
    worst = Math.max(worst, d);
    assert.ok(d <= TOLERANCE, `logits of "${t.text}": max |diff| ${d}`);
    assert.deepEqual(labels, t.labels, `labels of "${t.text}"`);
    // adeflow predict's entities: type and code-point offsets, equal to the pipeline's
    const got = entitiesOf((await predictor.extract(t.text)).entities);
    assert.deepEqual(got, entitiesOf(t.first), `"first" aggregation on "${t.text}"`);
    if (t.word_pieces_agree) {
      assert.deepEqual(got, entitiesOf(t.simple), `"simple" aggregation on "${t.text}"`);
      simpleCompared++;
    } else assert.notDeepEqual(entitiesOf(t.simple), entitiesOf(t.first), "where pieces disagree, simple cuts words");
  }
  assert.ok(simpleCompared >= 3 && simpleCompared < ref.ner.texts.length, "both cases occur");
  console.log(
    `NER logits max |diff| vs transformers (float64): ${worst.toExponential(2)}; ${ref.ner.texts.length} texts, ` +
      `${ref.ner.texts.reduce((n: number, t: any) => n + t.first.length, 0)} entities equal to the pipeline's ("first"), ` +
      `${simpleCompared} texts also to "simple"`,
  );
});

test("RE: the model card's PyTorch module gives the TypeScript model's logits within 1e-5", async () => {
  await initBackend({ force: "cpu" });
  const { re } = await models();
  const loaded = await loadReModel(re.dir);
  const T = loaded.model.seqLen;
  assert.equal(T, ref.re.head.max_length);
  assert.deepEqual(
    ref.re.rows.map((r: any) => r.words),
    RE_FIXTURE_WORDS,
  );
  let worst = 0;
  for (const row of ref.re.rows) {
    const seq = loaded.bert.tokenizer.encodeWords(row.words, undefined, T);
    assert.deepEqual(Array.from(seq.inputIds), row.input_ids, `ids of ${row.words.join(" ")}`);
    assert.deepEqual(Array.from(seq.attentionMask), row.attention_mask);
    const batch = stackSequences([seq], T);
    const logits = tf.tidy(() =>
      loaded.model.logits(
        tf.tensor2d(batch.inputIds, [1, T], "int32"),
        tf.tensor2d(batch.attentionMask, [1, T], "int32"),
        false,
      ),
    );
    const d = maxAbsDiff(logits.dataSync(), row.logits);
    logits.dispose();
    worst = Math.max(worst, d);
    assert.ok(d <= TOLERANCE, `logits of ${row.words.join(" ")}: max |diff| ${d}`);
    const associations = firstPieceLabels(seq, await loaded.model.predict(batch), row.words.length);
    assert.deepEqual(associations, row.associations, "the card's associations() reads the same numbers");
  }
  console.log(`RE logits max |diff| vs the card's PyTorch module (float64): ${worst.toExponential(2)}`);
});

test("round trip: predicting from the exported folders gives what the trained models give, through adeflow predict too", async () => {
  await initBackend({ force: "cpu" });
  const { nerDir, reDir, ner, re } = await models();
  const stored = await AdePredictor.load(nerDir, reDir);
  const exported = await AdePredictor.load(ner.dir, re.dir);
  // a long text too: the RE head's 24 positions make the predictor read it in several windows
  const long = Array.from({ length: 6 }, () => NER_FIXTURE_TEXTS.join(" and ")).join(". ");
  let entities = 0;
  for (const text of [...NER_FIXTURE_TEXTS, "Azithromycin-induced ototoxicity (z = 2.27, p=0.01).", long]) {
    const a = await stored.extract(text);
    assert.deepEqual(await exported.extract(text), a, text.slice(0, 40));
    entities += a.entities.length;
    if (text === long) assert.ok(a.windows > 2, `the long text is read in ${a.windows} windows`);
  }
  assert.ok(entities > 20, `the comparison covers entities (${entities})`);
  assert.equal(exported.ner.info.baseModel, stored.ner.info.baseModel, "an export answers to its trained model");
  // the command: `adeflow predict --ner DIR --re DIR` prints the same JSON for the trained models and their exports
  const predict = (nerFolder: string, reFolder: string) => {
    const r = spawnSync(
      process.execPath,
      [ADEFLOW, "predict", "--ner", nerFolder, "--re", reFolder, "--text", NER_FIXTURE_TEXTS.join(". ")],
      { encoding: "utf8", env: { ...process.env, ADEFLOW_BACKEND: "cpu" } },
    );
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const fromStored = predict(nerDir, reDir);
  assert.ok(fromStored.entities.length > 5);
  assert.deepEqual(predict(ner.dir, re.dir), fromStored);
});

test("fine-tuning on from an exported folder (ADEFLOW_MODEL) starts from its encoder and its classifier", async () => {
  await initBackend({ force: "cpu" });
  const { ner } = await models();
  const profile = currentProfile({ ADEFLOW_PROFILE: "smoke", ADEFLOW_MODEL: ner.dir });
  assert.equal(profile.model, ner.dir);
  const bert = await loadBert(profile.model);
  const lines: string[] = [];
  const model = createNerModel({ bert, profile }, (line) => lines.push(line));
  const exported = await loadNerModel(ner.dir);
  assert.match(
    lines.join("\n"),
    /NER classifier from .*model\.safetensors \(labels O, B-Drug, I-Drug, B-Effect, I-Effect\)/,
  );
  assert.equal(maxAbsDiff(model.weight.dataSync(), exported.model.weight.dataSync()), 0);
  assert.equal(maxAbsDiff(model.bias.dataSync(), exported.model.bias.dataSync()), 0);
  const seq = bert.tokenizer.encodeText(NER_FIXTURE_TEXTS[0], 32);
  const run = (m: typeof model) =>
    tf.tidy(() =>
      m
        .logits(tf.tensor2d(seq.inputIds, [1, 32], "int32"), tf.tensor2d(seq.attentionMask, [1, 32], "int32"), false)
        .dataSync(),
    );
  assert.equal(maxAbsDiff(run(model), run(exported.model)), 0, "the same function before any step");
  // a plain checkpoint has no classifier to take: the seeded one, and nothing said
  const base = await loadBert(currentProfile({ ADEFLOW_PROFILE: "smoke" }).model);
  const fresh: string[] = [];
  createNerModel({ bert: base, profile }, (line) => fresh.push(line)).dispose();
  assert.deepEqual(fresh, []);
  for (const m of [model, exported.model]) m.dispose();
});
