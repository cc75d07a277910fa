/**
 * What each notebook of a run will compute, counted from the profile alone: rows trained, optimizer updates, rows
 * read forward in batches and rows read forward one at a time, per task (NER, RE), and how many runs go side by
 * side. `estimate.ts` turns these counts into seconds with a measured speed. Every assumption of the workload model
 * is in this file:
 *
 * - **Rows.** The study's split of the pinned corpus has 10,360 / 1,295 / 1,296 rows and the leak-free split
 *   10,449 / 1,295 / 1,210 (both at seed 0; the corpus is checked by its SHA-256, so these are exact, and a test
 *   recomputes them); a profile takes the first `maxRows` of each part.
 * - **`fitStudy`.** Each main epoch trains on every training row and then reads the validation rows forward (the
 *   validation loss); each final epoch trains on training + validation rows and reads the validation rows again.
 *   One optimizer update per `accumulationSteps` micro-batches, as the trainer counts them.
 * - **After training.** Notebooks 04 and 05 predict their main model's validation and test rows; every model of
 *   the leak-free split (and of notebook 04's lesson on pretraining) its test rows; each run of 07 its test and
 *   validation rows; each fold of 08 its test sentences, NER then RE.
 * - **NER against RE.** Nothing here: the measured speeds carry it (NER batches are padded to their own longest
 *   row, RE batches always to 128 positions, and the measurement times both so).
 * - **Notebook 06** reads each test row alone, NER then RE: the study's test rows twice (its own cell and the
 *   comparison) and the leak-free ones once.
 * - **07 and 08** train their runs (arms x seeds, folds) in processes of their own, `runsAtOnce` at a time (the
 *   notebooks' own `planIsolatedRuns`): their training's wall time is divided by that, and each process costs
 *   `PROCESS_START_SECONDS` to start (Node, TensorFlow.js, the corpus, the model).
 * - **The benchmark (08).** A fold has 3,845 training and 427 test sentences; a profile takes `trainSentences` of
 *   them, holds out the validation fraction (rounded up), and each training sentence gives 3.0 rows after the
 *   augmentation, each validation sentence 1.55 (measured on folds 0-2 at the four profiles' caps: 2.7-3.5 and
 *   1.5-1.7).
 * - **Fixed seconds.** What does not scale with training steps (starting the kernel, tslab compiling the cells,
 *   reading the corpus, charts, saving and exporting models) is `FIXED_SECONDS` per notebook, measured here on
 *   `smoke` runs of a quiet machine, not scaled to this one: the run corrects it as notebooks finish
 *   (`estimate.ts`). Building the `local` profile's vocabulary adds `LOCAL_VOCABULARY_SECONDS` when it is not
 *   cached, and a corpus BERT's MLM pretraining its whole time budget (an upper bound).
 * - **Not counted.** Checkpoints that a rerun resumes, finished ablation runs and benchmark folds read back: a
 *   rerun takes less than estimated, and the correction catches up as notebooks finish.
 */
import { ablationDataProfile, ablationRunProfile, ablationSeeds } from "../ablation/run";
import { benchmarkRunProfile } from "../../benchmark/protocol";
import { LOCAL_MODEL, reTaskProfile, type Profile } from "../shared/profile";

/** One task's work in one notebook. */
export interface TaskWork {
  /** Rows trained (forward and backward), in micro-batches of the profile's size. */
  trainRows: number;
  /** Optimizer updates. */
  updates: number;
  /** Rows read forward in batches: validation losses and predictions. */
  inferRows: number;
  /** Rows read forward one at a time (notebook 06). */
  singleRows: number;
}

export type Task = "ner" | "re";

export interface NotebookWork {
  /** The notebook's file stem ("04-ner"). */
  notebook: string;
  ner: TaskWork;
  re: TaskWork;
  /** Runs trained side by side in processes of their own (07, 08); the work's wall time divides by it. */
  runsAtOnce: number;
  /** Seconds that do not scale with the measured speed. */
  fixedSeconds: number;
  /** The counts in words, for the narration ("3 NER models on 600 rows"). */
  summary: string;
}

/** Rows of the two splits of the pinned corpus at seed 0 (recomputed by a test). */
export const SPLIT_ROWS = {
  study: { train: 10360, val: 1295, test: 1296 },
  "leak-free": { train: 10449, val: 1295, test: 1210 },
} as const;

/** SpERT's ADE folds: sentences per fold and what the study's rows make of them (see the module comment). */
export const BENCHMARK_SENTENCES = { train: 3845, test: 427 } as const;
export const BENCHMARK_ROWS_PER_SENTENCE = { train: 3.0, val: 1.55 } as const;

/** The corpus-made BERT's fine-tuning in notebook 04's lesson, as a share of one fine-tuning of the main model. */
export const CORPUS_ARM_SHARE = 0.15;

/**
 * Seconds of each notebook that no training step explains, measured on `smoke` runs here (2 cores, quiet):
 * kernel start and tslab's compiler, the corpus and the study's pipeline, charts (PNGs with Chromium), saving and
 * exporting models.
 */
export const FIXED_SECONDS: Readonly<Record<string, number>> = {
  "01": 10,
  "02": 6,
  "03": 9,
  "04": 25,
  "05": 25,
  "06": 15,
  "07": 20,
  "08": 20,
};
/** A notebook this table does not know. */
export const DEFAULT_FIXED_SECONDS = 15;
/** Starting one isolated run's process: Node, TensorFlow.js, the corpus, the rows and the model. */
export const PROCESS_START_SECONDS = 8;
/** The `local` profile's WordPiece vocabulary, built once (4-5 s here under load). */
export const LOCAL_VOCABULARY_SECONDS = 6;

const NONE: TaskWork = { trainRows: 0, updates: 0, inferRows: 0, singleRows: 0 };

const add = (a: TaskWork, b: TaskWork): TaskWork => ({
  trainRows: a.trainRows + b.trainRows,
  updates: a.updates + b.updates,
  inferRows: a.inferRows + b.inferRows,
  singleRows: a.singleRows + b.singleRows,
});

const times = (a: TaskWork, n: number): TaskWork => ({
  trainRows: a.trainRows * n,
  updates: a.updates * n,
  inferRows: a.inferRows * n,
  singleRows: a.singleRows * n,
});

/** The settings of one training: rows and the profile's epochs and batches. */
export interface Fit {
  train: number;
  val: number;
  epochs: number;
  finalEpochs: number;
  batchSize: number;
  accumulationSteps: number;
}

/** `fitStudy`'s work: the main epochs with their validation losses, then the final epochs on train + validation. */
export function fitWork(f: Fit): TaskWork {
  const updates = (rows: number) => Math.ceil(Math.ceil(rows / f.batchSize) / f.accumulationSteps);
  return {
    trainRows: f.epochs * f.train + f.finalEpochs * (f.train + f.val),
    updates: f.epochs * updates(f.train) + f.finalEpochs * updates(f.train + f.val),
    inferRows: (f.epochs + f.finalEpochs) * f.val,
    singleRows: 0,
  };
}

const predict = (rows: number): TaskWork => ({ ...NONE, inferRows: rows });

/** A profile's rows of one split part. */
function rows(profile: Profile, split: keyof typeof SPLIT_ROWS, part: "train" | "val" | "test"): number {
  const all = SPLIT_ROWS[split][part];
  return Math.min(all, profile.maxRows[part] ?? all);
}

const fitOn = (profile: Profile, split: keyof typeof SPLIT_ROWS): Fit => ({
  train: rows(profile, split, "train"),
  val: rows(profile, split, "val"),
  epochs: profile.epochs,
  finalEpochs: profile.finalEpochs,
  batchSize: profile.batchSize,
  accumulationSteps: profile.accumulationSteps,
});

export interface WorkloadOptions {
  /** How many of `runs` isolated runs go at once (the notebooks' `planIsolatedRuns`); default one. */
  runsAtOnce?: (runs: number) => number;
  /** Whether the `local` profile's corpus BERT is already built (no vocabulary to learn). Default false. */
  localBertCached?: boolean;
}

/** The notebooks that load the profile's base model (06 loads the trained ones). */
const BUILDS_MODEL = ["04", "05", "07", "08"];

const s = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The work of one notebook, by its file stem ("04-ner"); a notebook that trains nothing has only fixed seconds. */
export function notebookWork(stem: string, profile: Profile, options: WorkloadOptions = {}): NotebookWork {
  const number = stem.slice(0, 2);
  const base = { notebook: stem, ner: NONE, re: NONE, runsAtOnce: 1 };
  const fixed = FIXED_SECONDS[number] ?? DEFAULT_FIXED_SECONDS;
  const local = profile.model === LOCAL_MODEL && profile.localBert !== undefined;
  const vocabulary = local && !options.localBertCached && BUILDS_MODEL.includes(number) ? LOCAL_VOCABULARY_SECONDS : 0;
  switch (number) {
    case "04": {
      const study = fitOn(profile, "study");
      const leakFree = fitOn(profile, "leak-free");
      const lesson = profile.initialisations;
      const corpusArm = lesson?.corpusBert !== undefined && !local;
      // the corpus-made BERT is small (4 x 128 against MiniLM's 6 x 384): its fine-tuning counts for a fraction
      const arms = (lesson?.randomWeights ? 1 : 0) + (corpusArm ? CORPUS_ARM_SHARE : 0);
      const pretraining =
        (corpusArm ? lesson!.corpusBert!.pretraining.maxSeconds + LOCAL_VOCABULARY_SECONDS : 0) +
        (local && profile.localBert?.initialisation === "pretrained" ? profile.localBert.pretraining.maxSeconds : 0);
      const ner = [
        add(fitWork(study), predict(study.val + rows(profile, "study", "test"))),
        add(fitWork(leakFree), predict(rows(profile, "leak-free", "test"))),
        times(add(fitWork(leakFree), predict(rows(profile, "leak-free", "test"))), arms),
      ].reduce(add);
      return {
        ...base,
        ner,
        fixedSeconds: fixed + vocabulary + pretraining,
        summary: `${s(2 + (lesson?.randomWeights ? 1 : 0) + (corpusArm ? 1 : 0), "NER model")}, ${study.train} training rows, ${s(study.epochs, "epoch")} + ${study.finalEpochs} final`,
      };
    }
    case "05": {
      const re = reTaskProfile(profile);
      const study = fitOn(re, "study");
      const leakFree = fitOn(re, "leak-free");
      return {
        ...base,
        re: add(
          add(fitWork(study), predict(study.val + rows(re, "study", "test"))),
          add(fitWork(leakFree), predict(rows(re, "leak-free", "test"))),
        ),
        fixedSeconds: fixed + vocabulary,
        summary: `2 RE models, ${study.train} training rows, ${s(study.epochs, "epoch")} + ${study.finalEpochs} final`,
      };
    }
    case "06": {
      // every test row through both models, in batches (predictManyWords): the study's twice, the leak-free once
      const rowsRead = 2 * rows(profile, "study", "test") + rows(profile, "leak-free", "test");
      return {
        ...base,
        ner: predict(rowsRead),
        re: predict(rowsRead),
        fixedSeconds: fixed,
        summary: `NER and RE on ${rowsRead} test rows`,
      };
    }
    case "07": {
      const runs = 2 * ablationSeeds(profile).length;
      // the runs train with notebook 05's settings (its RE epochs), then the ablation's own epoch counts
      const data = reTaskProfile(ablationDataProfile(profile));
      const fit = fitOn(ablationRunProfile(data, profile.seed), "study");
      const atOnce = Math.max(1, Math.min(runs, options.runsAtOnce?.(runs) ?? 1));
      return {
        ...base,
        re: times(add(fitWork(fit), predict(fit.val + rows(data, "study", "test"))), runs),
        runsAtOnce: atOnce,
        fixedSeconds: fixed + vocabulary + Math.ceil(runs / atOnce) * PROCESS_START_SECONDS,
        summary: `${s(runs, "RE run")} (2 arms x ${s(runs / 2, "seed")}), ${fit.train} training rows, ${s(fit.epochs, "epoch")} + ${fit.finalEpochs} final, ${atOnce} at a time`,
      };
    }
    case "08": {
      const run = benchmarkRunProfile(profile);
      const folds = profile.benchmark.folds.length;
      const sentences = Math.min(
        profile.benchmark.trainSentences ?? BENCHMARK_SENTENCES.train,
        BENCHMARK_SENTENCES.train,
      );
      const valSentences = Math.ceil(sentences * profile.benchmark.validationFraction);
      const test = Math.min(profile.benchmark.testSentences ?? BENCHMARK_SENTENCES.test, BENCHMARK_SENTENCES.test);
      const augmented = profile.benchmark.augment ?? true;
      const withRe = (profile.benchmark.tasks ?? "ner+re") === "ner+re";
      const fit: Fit = {
        train: Math.round((sentences - valSentences) * BENCHMARK_ROWS_PER_SENTENCE[augmented ? "train" : "val"]),
        val: Math.round(valSentences * BENCHMARK_ROWS_PER_SENTENCE.val),
        epochs: run.epochs,
        finalEpochs: run.finalEpochs,
        batchSize: run.batchSize,
        accumulationSteps: run.accumulationSteps,
      };
      const perFold = add(fitWork(fit), predict(test));
      const atOnce = Math.max(1, Math.min(folds, options.runsAtOnce?.(folds) ?? 1));
      return {
        ...base,
        ner: times(perFold, folds),
        re: withRe ? times(perFold, folds) : NONE,
        runsAtOnce: atOnce,
        fixedSeconds: fixed + vocabulary + Math.ceil(folds / atOnce) * PROCESS_START_SECONDS,
        summary: `${s(folds, "fold")} x (${withRe ? "NER + RE" : "NER only"}), about ${fit.train} training rows each${augmented ? "" : " (not augmented)"}, ${s(fit.epochs, "epoch")} + ${fit.finalEpochs} final, ${atOnce} at a time`,
      };
    }
    default:
      return { ...base, fixedSeconds: fixed, summary: "no training" };
  }
}

/** The work of every notebook of a run, in order. */
export function runWork(stems: readonly string[], profile: Profile, options: WorkloadOptions = {}): NotebookWork[] {
  // the corpus BERT's vocabulary is built once, by the first notebook that needs it
  let cached = options.localBertCached ?? false;
  return stems.map((stem) => {
    const work = notebookWork(stem, profile, { ...options, localBertCached: cached });
    if (BUILDS_MODEL.includes(stem.slice(0, 2))) cached = true;
    return work;
  });
}

/** Whether a notebook trains or predicts (so that a measured speed matters to it). */
export const hasWork = (w: NotebookWork): boolean =>
  [w.ner, w.re].some((t) => t.trainRows + t.inferRows + t.singleRows > 0);
