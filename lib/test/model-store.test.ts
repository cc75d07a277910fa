/** Trained models are filed by what made them: the base model's name and content, checked again on load. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend";
import { loadBert } from "../src/bert/checkpoint";
import { createNerModel, loadNerModel, nerModelDir, saveNerModel, type NerSetup } from "../src/experiment/ner/task";
import { PROFILES } from "../src/experiment/shared/profile";
import { tinyCheckpointDir } from "../src/paths";

/** A copy of the tiny checkpoint in `<parent>/tiny-bert`; `alter` changes its last weight (another model, same name). */
function tinyCopy(parent: string, alter: boolean): string {
  const dir = path.join(parent, "tiny-bert");
  fs.cpSync(tinyCheckpointDir(), dir, { recursive: true });
  if (alter) changeLastWeight(dir, 0.5);
  return dir;
}

function changeLastWeight(dir: string, value: number): void {
  const file = path.join(dir, "model.safetensors");
  const bytes = fs.readFileSync(file);
  bytes.writeFloatLE(value, bytes.length - 4); // every tensor is F32; the last 4 bytes are one value of the last
  fs.writeFileSync(file, bytes);
}

test("two base models with the same folder name get different model folders; the saved model is checked on load", async () => {
  const backend = await initBackend({ force: "cpu" });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-store-"));
  const before = process.env.ADEFLOW_MODELS_DIR;
  process.env.ADEFLOW_MODELS_DIR = path.join(root, "models");
  try {
    const a = tinyCopy(path.join(root, "a"), false);
    const b = tinyCopy(path.join(root, "b"), true);
    const profileA = { ...PROFILES.smoke(), model: a };
    const profileB = { ...PROFILES.smoke(), model: b };
    assert.notEqual(nerModelDir(profileA), nerModelDir(profileB));
    assert.match(path.basename(path.dirname(nerModelDir(profileA))), /^smoke-tiny-bert-[0-9a-f]{12}$/);
    assert.equal(
      nerModelDir({ ...PROFILES.quick() }),
      path.join(root, "models", "quick-bert-base-cased", "ner"),
      "a hub id names one model",
    );

    const bertA = await loadBert(a);
    const setupA = { profile: profileA, bert: bertA, backend } as unknown as NerSetup;
    const saved = await saveNerModel(setupA, createNerModel(setupA), {});
    assert.equal(saved, nerModelDir(profileA));
    const loaded = await loadNerModel(saved);
    assert.equal(loaded.bert.contentHash, bertA.contentHash);
    loaded.model.dispose?.();

    // the base model changes under the saved one: loading says so instead of predicting with a mismatch
    changeLastWeight(a, 0.25);
    await assert.rejects(loadNerModel(saved), (e: Error) =>
      e.message.startsWith(
        `${saved}: was trained on the base model ${a} with content ${bertA.contentHash.slice(0, 12)}, but ${a} now holds `,
      ),
    );
    bertA.encoder.dispose();
  } finally {
    if (before === undefined) delete process.env.ADEFLOW_MODELS_DIR;
    else process.env.ADEFLOW_MODELS_DIR = before;
  }
});

test("a base model inside the project is stored relative to it, so a moved clone still finds it", async () => {
  const backend = await initBackend({ force: "cpu" });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-store-rel-"));
  const before = process.env.ADEFLOW_MODELS_DIR;
  process.env.ADEFLOW_MODELS_DIR = root;
  try {
    const profile = PROFILES.smoke();
    const bert = await loadBert(profile.model);
    const setup = { profile, bert, backend } as unknown as NerSetup;
    const saved = await saveNerModel(setup, createNerModel(setup), {});
    const info = JSON.parse(fs.readFileSync(path.join(saved, "model.json"), "utf8"));
    assert.equal(info.baseModelDir, path.join("lib", "test", "fixtures", "tiny-bert"));
    assert.equal(info.baseModelHash, bert.contentHash);
    assert.equal(info.baseModelSource, "local");
    const loaded = await loadNerModel(saved);
    assert.equal(loaded.bert.model.dir, tinyCheckpointDir());
    bert.encoder.dispose();
  } finally {
    if (before === undefined) delete process.env.ADEFLOW_MODELS_DIR;
    else process.env.ADEFLOW_MODELS_DIR = before;
  }
});
