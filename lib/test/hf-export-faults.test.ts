/**
 * What an export refuses and what it survives: a folder that holds something else, an earlier export changed by
 * hand, labels that are not the study's, a folder that is not a NER model, a missing trained model, command-line
 * mistakes, and a write that fails half-way (the previous export stays whole). Also the model card's scores: shown
 * when the result files are this model's run, and otherwise said to be missing or another run's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { initBackend } from "../src/backend";
import { loadBert } from "../src/bert/checkpoint";
import { sha256 } from "../src/corpus/locate";
import { exportReModel, exportTrainedModel } from "../src/experiment/export/export";
import { EXPORT_MANIFEST } from "../src/experiment/export/guard";
import { createNerModel, loadNerModel } from "../src/experiment/ner/task";
import { loadReModel } from "../src/experiment/re/task";
import { readModelInfo } from "../src/experiment/shared/model-store";
import { describeProfile, PROFILES } from "../src/experiment/shared/profile";
import { writeMetricsFile, writeRunSummary, type RunRecord } from "../src/experiment/report/records";
import { repoRoot, tinyCheckpointDir } from "../src/paths";
import { RelationModel } from "../src/re/model";
import { writeFixtureModels, type FixtureModels } from "./support/export-models";

const ADEFLOW = path.join(repoRoot(), "lib", "bin", "adeflow.js");
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `adeflow-${name}-`));

let made: Promise<FixtureModels> | undefined;
function models(): Promise<FixtureModels> {
  made ??= initBackend({ force: "cpu" }).then(() => writeFixtureModels(tmp("export-faults")));
  return made;
}

/** Every file of a folder and its hash, to show that nothing changed. */
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [f, sha256(fs.readFileSync(path.join(dir, f)))]),
  );

function adeflow(args: string[], shell = "") {
  const r = spawnSync(
    "bash",
    ["-c", `${shell}exec "${process.execPath}" "${ADEFLOW}" ${args.map((a) => `'${a}'`).join(" ")}`],
    { encoding: "utf8", env: { ...process.env, ADEFLOW_BACKEND: "cpu" } },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

test("an export into a folder that holds something else is refused, naming what is there; nothing is written", async () => {
  const { nerDir } = await models();
  const notes = tmp("foreign");
  fs.writeFileSync(path.join(notes, "notes.txt"), "mine");
  await assert.rejects(exportTrainedModel("ner", nerDir, notes), (e: Error) =>
    e.message.startsWith(`${notes} holds files that are not an adeflow export (notes.txt); an export replaces`),
  );
  assert.deepEqual(fs.readdirSync(notes), ["notes.txt"]);
  // a base checkpoint, and the trained model's own folder
  const base = path.join(tmp("base"), "tiny-bert");
  fs.cpSync(tinyCheckpointDir(), base, { recursive: true });
  const before = snapshot(base);
  await assert.rejects(
    exportTrainedModel("ner", nerDir, base),
    /holds files that are not an adeflow export \(config\.json, model\.safetensors, tokenizer\.json/,
  );
  assert.deepEqual(snapshot(base), before);
  await assert.rejects(exportTrainedModel("ner", nerDir, nerDir), /is the trained model's own folder/);
  const file = path.join(notes, "notes.txt");
  await assert.rejects(exportTrainedModel("ner", nerDir, file), /is a file, not a folder/);
});

test("re-exporting over its own export is allowed (same bytes); a changed or added file makes it refuse", async () => {
  const { nerDir, ner } = await models();
  const first = snapshot(ner.dir);
  const card = first["README.md"];
  await exportTrainedModel("ner", nerDir, ner.dir, { resultsDir: path.join(os.tmpdir(), "adeflow-no-results") });
  const again = snapshot(ner.dir);
  assert.deepEqual({ ...again, "README.md": card }, first, "the same model gives the same files");
  assert.deepEqual(
    fs.readdirSync(path.dirname(ner.dir)).filter((f) => f.includes(".tmp-")),
    [],
    "no temporary folder left beside it",
  );

  const copy = path.join(tmp("edited"), "ner");
  fs.cpSync(ner.dir, copy, { recursive: true });
  fs.appendFileSync(path.join(copy, "README.md"), "\nmy notes\n");
  await assert.rejects(
    exportTrainedModel("ner", nerDir, copy),
    (e: Error) =>
      e.message ===
      `${copy} is an earlier export, but README.md changed since it was written; keep your changes elsewhere, or remove the folder, and export again`,
  );
  const extra = path.join(tmp("extra"), "ner");
  fs.cpSync(ner.dir, extra, { recursive: true });
  fs.writeFileSync(path.join(extra, "results.csv"), "x");
  await assert.rejects(
    exportTrainedModel("ner", nerDir, extra),
    /also holds results\.csv, which the export did not write/,
  );
  assert.ok(fs.existsSync(path.join(extra, EXPORT_MANIFEST)));
});

test("a token classifier whose labels are not the study's is refused, naming them, to predict and to fine-tune", async () => {
  const { ner } = await models();
  const other = path.join(tmp("labels"), "ner");
  fs.cpSync(ner.dir, other, { recursive: true });
  const configFile = path.join(other, "config.json");
  const config = JSON.parse(fs.readFileSync(configFile, "utf8"));
  config.id2label = { 0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC" };
  fs.writeFileSync(configFile, JSON.stringify(config));
  const named = `${configFile}: its labels are O, B-PER, I-PER, B-LOC, I-LOC (id2label), not the study's O, B-Drug, I-Drug, B-Effect, I-Effect in that order`;
  await assert.rejects(loadNerModel(other), (e: Error) => e.message.startsWith(named));
  const bert = await loadBert(other);
  assert.throws(
    () => createNerModel({ bert, profile: { ...PROFILES.smoke(), model: other } }, () => {}),
    (e: Error) => e.message.startsWith(named),
  );
  bert.encoder.dispose();
  const r = adeflow(["predict", "--ner", other, "--re", other, "--text", "aspirin caused rash"]);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.split("\n").pop()!.startsWith(`adeflow predict: ${named}`), r.stderr);
});

test("a folder that is not a NER model is refused as one; an RE export gives fine-tuning its encoder only; a POS head is not exported", async () => {
  const { re, ner } = await models();
  await assert.rejects(loadNerModel(re.dir), /this is an exported RE model .*not a NER model/);
  await assert.rejects(
    loadNerModel(tinyCheckpointDir()),
    /this checkpoint has no token-classification head .*BertForMaskedLM/,
  );
  await assert.rejects(
    loadReModel(ner.dir),
    /has no "adeflow_relation_head" section, so it is not an exported RE model/,
  );
  // fine-tuning NER from an RE export takes its encoder only, and says nothing of a classifier
  const bert = await loadBert(re.dir);
  const said: string[] = [];
  createNerModel({ bert, profile: { ...PROFILES.smoke(), model: re.dir } }, (line) => said.push(line)).dispose();
  assert.deepEqual(said, []);
  // notebook 07's POS variant cannot be exported: its inputs need the tagger
  const pos = new RelationModel(bert.encoder, {
    seqLen: 16,
    lstmUnits: 2,
    denseUnits: 3,
    posEmbeddingSize: 4,
    posVocabSize: 19,
  });
  await assert.rejects(
    exportReModel({ model: pos, bert, info: readModelInfo((await models()).reDir) }, path.join(tmp("pos"), "re")),
    /this RE model has a part-of-speech embedding \(notebook 07's variant\)/,
  );
  pos.dispose();
  bert.encoder.dispose();
});

test("adeflow export: a missing trained model, and usage mistakes, say what to do", async () => {
  const empty = tmp("no-model");
  const out = path.join(tmp("out"), "ner");
  const missing = adeflow(["export", "--task", "ner", "--model-dir", empty, "--out", out]);
  assert.equal(missing.status, 1);
  assert.equal(
    missing.stderr.split("\n").pop(),
    `adeflow export: ${path.join(empty, "model.json")}: no trained model here; run the training notebook (04 for NER, 05 for RE) first`,
  );
  assert.equal(fs.existsSync(out), false);
  for (const [args, message] of [
    [["export", "--out", out], /export needs --task ner or --task re/],
    [["export", "--task", "pos", "--out", out], /--task pos: expected ner or re/],
    [["export", "--task", "re"], /export needs --out DIR/],
  ] as [string[], RegExp][]) {
    const r = adeflow(args);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, message);
  }
});

test("an export that fails half-way leaves the previous export whole and no temporary behind", async () => {
  const { nerDir } = await models();
  const parent = tmp("efbig");
  const out = path.join(parent, "ner");
  assert.equal(adeflow(["export", "--task", "ner", "--model-dir", nerDir, "--out", out]).status, 0);
  const before = snapshot(out);
  // a file size limit of 100 kB makes the 520 kB model.safetensors fail mid-write, as a full disk does
  const r = adeflow(["export", "--task", "ner", "--model-dir", nerDir, "--out", out], "ulimit -f 100; ");
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr.split("\n").pop()!,
    new RegExp(
      `^adeflow export: writing ${out}/model\\.safetensors failed, nothing was changed: could not write: EFBIG \\(`,
    ),
  );
  assert.deepEqual(snapshot(out), before);
  assert.deepEqual(fs.readdirSync(parent), ["ner"]);
});

test("the card shows the run's scores beside the baselines when they are this model's, and says so when not", async () => {
  const { nerDir } = await models();
  const info = readModelInfo(nerDir);
  const results = tmp("results");
  const record: RunRecord = {
    notebook: "04-ner",
    ...describeProfile(PROFILES.smoke()),
    model_dir: tinyCheckpointDir(),
    model_hash: info.baseModelHash!.slice(0, 16),
    backend: "cpu",
    seconds: 9,
  };
  const dir = path.join(results, "04-ner");
  fs.mkdirSync(dir, { recursive: true });
  const metric = (split: string, f1: number) => ({
    model: "NER",
    split,
    metric: "token macro (study)",
    precision: 0.5,
    recall: 0.75,
    f1,
    reported_f1: split === "test" ? 0.806 : null,
  });
  writeMetricsFile(path.join(dir, "metrics.json"), record, [metric("validation", 0.6125), metric("test", 0.5875)]);
  // the metrics were written before the model was saved, the summary after: the run's order
  const metricsJson = JSON.parse(fs.readFileSync(path.join(dir, "metrics.json"), "utf8"));
  metricsJson.written_at = new Date(Date.parse(info.saved_at as string) - 1000).toISOString();
  fs.writeFileSync(path.join(dir, "metrics.json"), JSON.stringify(metricsJson));
  writeRunSummary(path.join(dir, "summary.json"), record, {
    baselines: [
      {
        split: "study",
        system: "dictionary",
        token_macro_f1: 0.4321,
        strict_f1: 0.5012,
        train_rows: 48,
        test_rows: 16,
      },
      { split: "leak-free", system: "model", token_macro_f1: 0.2109, strict_f1: 0.1234, train_rows: 48, test_rows: 16 },
    ],
  });
  const out = path.join(tmp("card"), "ner");
  await exportTrainedModel("ner", nerDir, out, { resultsDir: results });
  const card = fs.readFileSync(path.join(out, "README.md"), "utf8");
  assert.match(card, /^---\nlicense: mit\nlanguage:\n {2}- en\ntags:\n/);
  assert.doesNotMatch(card, /^base_model:/m, "a folder is no hub id");
  assert.match(card, /^pipeline_tag: token-classification$/m);
  assert.match(card, /\| test \| token macro \(study\) \| 0\.500 \| 0\.750 \| 0\.588 \| 0\.806 \|/);
  assert.match(card, /\| validation \| token macro \(study\) \| 0\.500 \| 0\.750 \| 0\.613 \| - \|/);
  assert.match(card, /\| leak-free \| model \| 0\.211 \| 0\.123 \|/);
  assert.match(card, /reported NER token-level macro F1 0\.806/);
  assert.match(card, /Profile `smoke`: 48 \/ 16 \/ 16 rows/);
  assert.match(card, /must not be used to make or support clinical decisions/);

  // another run's files: no numbers, and why
  writeMetricsFile(path.join(dir, "metrics.json"), { ...record, model_hash: "ffffffffffffffff" }, [
    metric("test", 0.9),
  ]);
  await exportTrainedModel("ner", nerDir, out, { resultsDir: results });
  const other = fs.readFileSync(path.join(out, "README.md"), "utf8");
  assert.doesNotMatch(other, /0\.900/);
  assert.match(
    other,
    /The scores in .*04-ner\/metrics\.json are of another run \(base model ffffffffffffffff, the model's is [0-9a-f]{16}/,
  );
  const re = path.join(tmp("card-re"), "re");
  await exportTrainedModel("re", (await models()).reDir, re, { resultsDir: results });
  const reCard = fs.readFileSync(path.join(re, "README.md"), "utf8");
  assert.doesNotMatch(reCard, /pipeline_tag/);
  assert.match(reCard, /No scores were found: .*05-re\/metrics\.json does not exist\./);
  assert.match(reCard, /reported RE token-level macro F1 0\.878/);
});
