/**
 * The small deterministic models whose exports the Python reference (scripts/hf_export_reference.py) checked in
 * transformers and PyTorch, rebuilt identically by the tests: on the tiny checkpoint, a NER model with seeded random
 * classifier weights (large enough that its labels vary from word to word) and an RE model with a small seeded head,
 * both saved as notebooks 04 and 05 save theirs, then exported. Nothing here trains, so every number is the same on
 * every machine: the export's bytes are compared with the hashes the reference recorded.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend";
import { loadBert, type LoadedBert } from "../../src/bert/checkpoint";
import { TokenClassifier } from "../../src/bert/token-classifier";
import { exportTrainedModel, type ExportedModel } from "../../src/experiment/export/export";
import { saveNerModel, type NerSetup } from "../../src/experiment/ner/task";
import { saveReModel, type ReSetup } from "../../src/experiment/re/task";
import { PROFILES } from "../../src/experiment/shared/profile";
import { NER_LABELS } from "../../src/pipeline/rows";
import { Rng } from "../../src/random/rng";
import { RelationModel } from "../../src/re/model";

/** Texts of words of letters and digits only: where whole-text and word-by-word tokenization agree. */
export const NER_FIXTURE_TEXTS = [
  "Intravenous azithromycin induced ototoxicity in one patient",
  "We report a case of severe hepatotoxicity caused by methotrexate therapy",
  "Lithium toxicity presenting as acute renal failure after 12 days of treatment",
  "A 54 year old woman developed rash and fever after taking carbamazepine",
  "Ibuprofen associated aseptic meningitis in a patient with systemic lupus erythematosus",
  "ibuprofène caused a rash",
];

/** RE inputs as the model reads them: lower-cased, each entity one mask word. */
export const RE_FIXTURE_WORDS = [
  "intravenous DRUG induced EFFECT in one patient",
  "we report a case of EFFECT caused by DRUG therapy",
  "DRUG presenting as EFFECT after 12 days of treatment and DRUG induced EFFECT in a second patient",
].map((s) => s.split(" "));

/** A small RE head (the study's has 128 LSTM units and a dense layer of 384: 50 MB of weights), over the study's 128 positions. */
export const FIXTURE_RE_HEAD = { lstmUnits: 6, denseUnits: 10, seqLen: 128, numClasses: 5, seed: 3 } as const;

/** The NER fixture model: classifier weights N(0, 0.6^2) from seed 11, biases that make `O` the most frequent label and let every label occur. */
export function fixtureNerModel(bert: LoadedBert): TokenClassifier {
  const model = new TokenClassifier(bert.encoder, NER_LABELS.length, 0);
  const rng = new Rng(11);
  const w = Float32Array.from({ length: model.weight.size }, () => 0.6 * rng.normal());
  tf.tidy(() => {
    model.weight.assign(tf.tensor2d(w, model.weight.shape as [number, number]));
    model.bias.assign(tf.tensor1d([4, -2, 0.5, 3.5, 0]));
  });
  return model;
}

export function fixtureReModel(bert: LoadedBert): RelationModel {
  return new RelationModel(bert.encoder, { ...FIXTURE_RE_HEAD });
}

export interface FixtureModels {
  /** The stored models, as notebooks 04 and 05 leave them. */
  nerDir: string;
  reDir: string;
  /** Their exports. */
  ner: ExportedModel;
  re: ExportedModel;
}

/**
 * Save both fixture models under `<root>/models/` and export them to `<root>/export/{ner,re}` (no result files:
 * `<root>/results` does not exist, so the cards say no scores were found).
 */
export async function writeFixtureModels(root: string): Promise<FixtureModels> {
  const backend = await initBackend({ force: "cpu" });
  const profile = PROFILES.smoke();
  const bert = await loadBert(profile.model);
  try {
    const nerDir = path.join(root, "models", "ner");
    const reDir = path.join(root, "models", "re");
    const ner = fixtureNerModel(bert);
    await saveNerModel({ profile, bert, backend } as unknown as NerSetup, ner, { fixture: "hf-export" }, nerDir);
    const re = fixtureReModel(bert);
    await saveReModel({ profile, bert, backend } as unknown as ReSetup, re, { fixture: "hf-export" }, reDir);
    ner.dispose();
    re.dispose();
    const resultsDir = path.join(root, "results");
    fs.rmSync(resultsDir, { recursive: true, force: true });
    return {
      nerDir,
      reDir,
      ner: await exportTrainedModel("ner", nerDir, path.join(root, "export", "ner"), { resultsDir }),
      re: await exportTrainedModel("re", reDir, path.join(root, "export", "re"), { resultsDir }),
    };
  } finally {
    bert.encoder.dispose();
  }
}
