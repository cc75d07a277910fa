/** The result files' readers: what they accept, and the file and field they name when they do not. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  readAblationSummary,
  readMetricsFile,
  readRunSummary,
  writeMetricsFile,
  writeRunSummary,
  type RunRecord,
} from "../src/experiment/report/records";
import { type Profile, describeProfile, PROFILES, reTaskProfile } from "../src/experiment/shared/profile";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "records-"));
const record = (): RunRecord => ({
  notebook: "04-ner",
  ...describeProfile(PROFILES.smoke()),
  model_dir: "/m/tiny-bert",
  model_hash: "0123456789abcdef",
  backend: "wasm",
  seconds: 3.5,
});
const row = {
  model: "NER",
  split: "test",
  metric: "token macro (study)",
  precision: 0.5,
  recall: 0.25,
  f1: 1 / 3,
  reported_f1: 0.806,
};

test("a metrics file round-trips through its writer and reader, extras kept", () => {
  const file = path.join(tmp(), "metrics.json");
  const written = writeMetricsFile(file, record(), [row], { history: [1, 2] });
  const read = readMetricsFile(file);
  assert.deepEqual(read, written);
  assert.equal(read.metrics[0].f1, 1 / 3);
  assert.equal(read.model_hash, "0123456789abcdef");
  assert.deepEqual(read.history, [1, 2]);
  assert.ok(!Number.isNaN(Date.parse(read.written_at)));
});

test("a missing or mistyped field is named with its file and path", () => {
  const dir = tmp();
  const write = (name: string, value: unknown) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, JSON.stringify(value));
    return f;
  };
  const ok = { ...record(), written_at: "2026-12-01T00:00:00.000Z", metrics: [row] };
  const noHash = write("a.json", { ...ok, model_hash: undefined });
  assert.throws(
    () => readMetricsFile(noHash),
    (e: Error) => e.message === `${noHash}: field "model_hash" must be string, found nothing`,
  );
  const badF1 = write("b.json", { ...ok, metrics: [row, { ...row, f1: "0.5" }] });
  assert.throws(
    () => readMetricsFile(badF1),
    new RegExp(`${badF1}: field "metrics\\[1\\]\\.f1" must be number, found string$`),
  );
  const nanSeconds = write("c.json", { ...ok, seconds: null });
  assert.throws(() => readRunSummary(nanSeconds), /field "seconds" must be number, found null/);
  const badDate = write("d.json", { ...ok, written_at: "yesterday" });
  assert.throws(() => readRunSummary(badDate), /field "written_at" is not a date \(yesterday\)/);
  const badSource = write("f.json", { ...ok, model_source: 3 });
  assert.throws(() => readRunSummary(badSource), /field "model_source" must be string, found number/);
  // files written before the source was recorded still read
  assert.equal(readRunSummary(write("g.json", { ...ok, model_source: undefined })).model_source, undefined);
  const array = write("e.json", [ok]);
  assert.throws(() => readRunSummary(array), /expected a JSON object, found array/);
});

test("malformed JSON and a missing file are reported with the file, not as a bare SyntaxError", () => {
  const dir = tmp();
  const torn = path.join(dir, "metrics.json");
  fs.writeFileSync(torn, '{"notebook": "04-ner", "metr');
  assert.throws(
    () => readMetricsFile(torn),
    (e: Error) => e.name === "AdeflowError" && e.message.startsWith(`${torn}: not valid JSON`),
  );
  assert.throws(() => readMetricsFile(path.join(dir, "none.json")), /none\.json: cannot be read \(ENOENT\)/);
});

test("an ablation summary needs its seeds and per-arm rows; one seed's spread may be null", () => {
  const file = path.join(tmp(), "summary.json");
  const arm = { arm: "with POS", measure: "token macro F1 (study)", mean: 0.3, std: null, n: 1, seeds: "0" };
  writeRunSummary(file, record(), { seeds: [0], summary: [arm] });
  assert.equal(readAblationSummary(file).summary[0].std, null);
  writeRunSummary(file, record(), { seeds: [0], summary: [{ ...arm, mean: undefined }] });
  assert.throws(() => readAblationSummary(file), /field "summary\[0\]\.mean" must be number, found nothing/);
  writeRunSummary(file, record(), { summary: [arm] });
  assert.throws(() => readAblationSummary(file), /field "seeds" must be array/);
});

test("a profile's RE settings: applied by reTaskProfile once, recorded, and absent where a profile sets none", () => {
  const local: Profile = { ...PROFILES.local(), re: { epochs: 1, finalEpochs: 1, maxRows: { train: 10, val: 2 } } };
  const re = reTaskProfile(local);
  assert.deepEqual([re.epochs, re.finalEpochs, re.maxRows], [1, 1, { train: 10, val: 2 }]);
  assert.notDeepEqual([re.epochs, re.finalEpochs], [local.epochs, local.finalEpochs], "RE trains its own epochs");
  assert.deepEqual(reTaskProfile(re), re, "applying it twice changes nothing");
  assert.equal(describeProfile(local).re_epochs, "1 + 1 final");
  assert.equal(describeProfile(local).re_rows, "10 / 2 / all");
  // the local profile's RE reads its own, fewer rows, with the NER epochs
  const real = reTaskProfile(PROFILES.local());
  assert.equal(real.epochs, PROFILES.local().epochs);
  assert.ok(real.maxRows.train! < PROFILES.local().maxRows.train!);
  const full = PROFILES.full();
  assert.equal(reTaskProfile(full), full);
  assert.equal(describeProfile(full).re_epochs, undefined);
});
