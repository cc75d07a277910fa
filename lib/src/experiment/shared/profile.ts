import { AdeflowError } from "../../errors";
import { tinyCheckpointDir } from "../../paths";
import type { TrainingSettings } from "../../train/fit";
import type { ProfileRecord } from "../report/records";

/**
 * One place for the experiment settings. `full` is the study's; `quick` runs in minutes on a laptop CPU; `smoke`
 * is for tests. Chosen by `ADEFLOW_PROFILE` (default `quick`), the model by `ADEFLOW_MODEL` (a hub id or a
 * folder in the Hugging Face layout); the same two variables drive JupyterLab and `adeflow reproduce`.
 */
export interface Profile extends TrainingSettings {
  name: "full" | "quick" | "smoke";
  description: string;
  /** Hub id or folder; `ADEFLOW_MODEL` overrides. */
  model: string;
  /** Rows used from each split part (undefined = all). */
  maxRows: { train?: number; val?: number; test?: number };
  /**
   * The POS-embedding ablation (notebook 07): seeds per arm (seed, seed + 1, ...), the embedding width, and
   * optionally fewer epochs than the profile's own (its runs otherwise train exactly as notebook 05).
   */
  ablation: { seeds: number; posEmbeddingSize: number; epochs?: number; finalEpochs?: number };
  /**
   * The field's benchmark (notebook 08): which of SpERT's ten folds run, and optionally a seeded sample of each
   * fold's training sentences and the first test sentences; 10 % of the training sentences are held out for the
   * validation loss. Training uses this profile's other settings, optionally with fewer epochs (as the ablation).
   */
  benchmark: { folds: number[]; trainSentences?: number; testSentences?: number; validationFraction: number; epochs?: number; finalEpochs?: number };
}

const STUDY = { batchSize: 8, accumulationSteps: 4, learningRate: 2e-4, maxGradNorm: 1.0, maxLength: 128, seed: 0, finalLearningRate: 1e-5 };

// The study does not record its POS embedding's width; 32 is ours (about twice the 17 tags, small next to the
// 3,072 BERT features it joins).
const POS_EMBEDDING_SIZE = 32;

/** The smoke profile's model: the project's tiny test checkpoint. */
export const TINY_CHECKPOINT = tinyCheckpointDir;

export const PROFILES: Record<Profile["name"], () => Profile> = {
  full: () => ({
    ...STUDY,
    name: "full",
    description: "the study's settings: bert-base-cased, all rows, 6 epochs, then 1 epoch on train + validation at 1e-5",
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
    description: "a CPU-sized run: 200 training rows, 100 validation and 100 test rows, 1 epoch, no final epoch, micro-batches of 2",
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
    benchmark: { folds: [0, 1], trainSentences: 12, testSentences: 8, validationFraction: 0.1, epochs: 2, finalEpochs: 0 },
  }),
};

export function currentProfile(env: NodeJS.ProcessEnv = process.env): Profile {
  const name = (env.ADEFLOW_PROFILE ?? "quick").trim();
  const make = PROFILES[name as Profile["name"]];
  if (!make) throw new AdeflowError(`ADEFLOW_PROFILE=${name} is not one of ${Object.keys(PROFILES).join(", ")}`);
  const profile = make();
  if (env.ADEFLOW_MODEL) profile.model = env.ADEFLOW_MODEL;
  return profile;
}

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
    benchmark_folds: p.benchmark.folds.join(" "),
    benchmark_train_sentences: p.benchmark.trainSentences ?? "all",
    benchmark_test_sentences: p.benchmark.testSentences ?? "all",
    benchmark_epochs: `${p.benchmark.epochs ?? p.epochs} + ${p.benchmark.finalEpochs ?? p.finalEpochs} final`,
  };
}
