import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { stackSequences, type AlignedBatch, type AlignedSequence } from "../bert/tokenizer";
import { Trainer } from "./trainer";
import { computeClassWeights } from "../bert/loss";
import { pooledClassWeights } from "./class-weights";
import { detectProgressMode, Progress, type ProgressMode } from "../progress";

/**
 * The settings the study's training loop reads. An experiment profile (`experiment/profile.ts`) is one of these
 * plus what the experiments around it need (rows, model, ablation), so the loop knows nothing of experiments.
 */
export interface TrainingSettings {
  epochs: number;
  batchSize: number;
  accumulationSteps: number;
  learningRate: number;
  /** The extra epoch on train + validation (0 = skipped). */
  finalEpochs: number;
  finalLearningRate: number;
  maxGradNorm: number;
  maxLength: number;
  seed: number;
}

/** What the training loop needs of a model (the NER token classifier and the RE model both have it). */
export interface TrainableTokenModel {
  params(): Map<string, tf.Variable>;
  loss(batch: AlignedBatch, classWeights: tf.Tensor1D | undefined, training: boolean, seed?: number): tf.Scalar;
  predict(batch: AlignedBatch): Int32Array;
}

export type EpochRecord = {
  phase: "train" | "final";
  epoch: number;
  trainLoss: number;
  valLoss: number;
  lr: number;
  seconds: number;
};

export interface StudyFitResult {
  history: EpochRecord[];
  classWeights: { train: number[]; val: number[]; final?: number[] };
  optimizerSteps: number;
  seconds: number;
  resumedFrom?: string;
}

export interface StudyFitOptions {
  profile: TrainingSettings;
  numClasses: number;
  /** Messages and the summary line of each epoch (losses); batch progress is shown only when this is given. */
  log?: (line: string) => void;
  /**
   * Batch progress within an epoch, when `log` is given: "auto" (default) draws a bar redrawn in place on
   * stdout in a terminal or a notebook, and elsewhere prints it through `log` every 10 %; "redraw" and
   * "lines" force one of the two; false shows none.
   */
  progress?: "auto" | ProgressMode | false;
  /** Save a checkpoint after every epoch here, and resume from it when present. */
  checkpointDir?: string;
  /** Stop after this many epochs of the main phase (a long run split over several sessions; resume later). */
  stopAfterEpochs?: number;
}

const batchesOf = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

function meanLoss(model: TrainableTokenModel, seqs: readonly AlignedSequence[], weights: tf.Tensor1D, profile: TrainingSettings, bar?: Progress): number {
  let sum = 0;
  let n = 0;
  batchesOf(seqs, profile.batchSize).forEach((chunk, b) => {
    const loss = model.loss(stackSequences(chunk, profile.maxLength), weights, false);
    sum += loss.dataSync()[0] * chunk.length;
    n += chunk.length;
    loss.dispose();
    bar?.update(b + 1);
  });
  return n ? sum / n : NaN;
}

/** A progress bar for one pass over some batches, or undefined when none is wanted. */
type EpochProgress = (label: string, batches: number) => Progress | undefined;

function epochProgress(options: Pick<StudyFitOptions, "log" | "progress">): EpochProgress {
  const { log, progress = "auto" } = options;
  if (!log || progress === false) return () => undefined;
  const mode = progress === "auto" ? detectProgressMode() : progress;
  // redrawn on stdout (a terminal, a notebook cell); otherwise the lines go where the caller's messages go
  const write = mode === "lines" ? (chunk: string) => log(chunk.replace(/\n$/, "")) : undefined;
  // nothing to do draws no bar (an empty one would never finish)
  return (label, batches) => (batches > 0 ? new Progress({ total: batches, label, unit: "batches", rateUnit: "batch", mode, write }) : undefined);
}

/** One pass over `seqs` in a seeded order; returns the mean training loss. */
function runEpoch(trainer: Trainer, model: TrainableTokenModel, seqs: readonly AlignedSequence[], weights: tf.Tensor1D, profile: TrainingSettings, label: string, progress: EpochProgress): number {
  const order = trainer.shuffle(seqs.length);
  const batches = batchesOf(order, profile.batchSize);
  const bar = progress(label, batches.length);
  let sum = 0;
  batches.forEach((idx, b) => {
    const batch = stackSequences(idx.map((i) => seqs[i]), profile.maxLength);
    sum += trainer.microBatch((seed) => model.loss(batch, weights, true, seed)).loss;
    bar?.update(b + 1, `loss ${(sum / (b + 1)).toFixed(4)}`);
  });
  trainer.flush();
  return sum / Math.max(1, batches.length);
}

/**
 * The study's training: weighted cross-entropy with class weights from the training labels (validation loss
 * with the validation labels' weights, as the study did), AdamW, linear decay without warm-up, clipping,
 * accumulation; then optionally one more epoch on train + validation at the final learning rate with the two
 * sets' weights pooled by size. Checkpoints after each epoch make an interrupted run resume.
 */
export function fitStudy(model: TrainableTokenModel, train: readonly AlignedSequence[], val: readonly AlignedSequence[], options: StudyFitOptions): StudyFitResult {
  const { profile, numClasses } = options;
  const log = options.log ?? (() => {});
  const progress = epochProgress(options);
  const started = Date.now();
  const wTrainArr = computeClassWeights(train.map((s) => s.labels), numClasses);
  const wValArr = computeClassWeights(val.map((s) => s.labels), numClasses);
  const wTrain = tf.tensor1d(wTrainArr);
  const wVal = tf.tensor1d(wValArr);
  const updatesPerEpoch = (n: number) => Math.ceil(Math.ceil(n / profile.batchSize) / profile.accumulationSteps);
  const history: EpochRecord[] = [];
  const trainer = new Trainer(model.params(), {
    lr: profile.learningRate,
    totalSteps: profile.epochs * updatesPerEpoch(train.length),
    accumulationSteps: profile.accumulationSteps,
    maxGradNorm: profile.maxGradNorm,
    seed: profile.seed,
  });
  let firstEpoch = 0;
  let resumedFrom: string | undefined;
  const mainDir = options.checkpointDir && path.join(options.checkpointDir, "train");
  const fingerprint = JSON.stringify({ profile, nTrain: train.length, nVal: val.length, numClasses });
  if (mainDir && checkpointFingerprint(mainDir) !== undefined && checkpointFingerprint(mainDir) !== fingerprint) {
    log(`${mainDir} holds a checkpoint of other settings: starting afresh (it will be replaced)`);
    fs.rmSync(mainDir, { recursive: true, force: true });
  }
  if (mainDir && fs.existsSync(path.join(mainDir, "latest.json"))) {
    const state = trainer.restore(mainDir);
    history.push(...((state.history as EpochRecord[]) ?? []));
    firstEpoch = history.length;
    resumedFrom = `${mainDir} (after epoch ${firstEpoch})`;
    log(`resumed from ${resumedFrom}`);
  }
  const lastEpoch = Math.min(profile.epochs, options.stopAfterEpochs ?? profile.epochs);
  for (let epoch = firstEpoch; epoch < lastEpoch; epoch++) {
    const t0 = Date.now();
    const lr = trainer.currentLr;
    const trainLoss = runEpoch(trainer, model, train, wTrain, profile, `epoch ${epoch + 1}/${profile.epochs}`, progress);
    const valLoss = meanLoss(model, val, wVal, profile, progress(`epoch ${epoch + 1}/${profile.epochs} validation loss`, Math.ceil(val.length / profile.batchSize)));
    history.push({ phase: "train", epoch: epoch + 1, trainLoss, valLoss, lr, seconds: (Date.now() - t0) / 1000 });
    log(`epoch ${epoch + 1}: train loss ${trainLoss.toFixed(4)}, validation loss ${valLoss.toFixed(4)}`);
    if (mainDir) trainer.save(mainDir, { history, fingerprint });
  }
  let optimizerSteps = trainer.step;
  trainer.dispose();
  const result: StudyFitResult = { history, classWeights: { train: [...wTrainArr], val: [...wValArr] }, optimizerSteps, seconds: 0, resumedFrom };
  if (profile.finalEpochs > 0 && lastEpoch === profile.epochs) {
    const both = [...train, ...val];
    const pooled = pooledClassWeights(wTrainArr, train.length, wValArr, val.length);
    const wPooled = tf.tensor1d(pooled);
    const final = new Trainer(model.params(), {
      lr: profile.finalLearningRate,
      totalSteps: profile.finalEpochs * updatesPerEpoch(both.length),
      accumulationSteps: profile.accumulationSteps,
      maxGradNorm: profile.maxGradNorm,
      seed: profile.seed + 1,
    });
    for (let e = 0; e < profile.finalEpochs; e++) {
      const t0 = Date.now();
      const lr = final.currentLr;
      const trainLoss = runEpoch(final, model, both, wPooled, profile, `final epoch ${e + 1}/${profile.finalEpochs} (train + validation)`, progress);
      history.push({ phase: "final", epoch: profile.epochs + e + 1, trainLoss, valLoss: meanLoss(model, val, wVal, profile), lr, seconds: (Date.now() - t0) / 1000 });
    }
    optimizerSteps += final.step;
    final.dispose();
    wPooled.dispose();
    result.classWeights.final = [...pooled];
  }
  wTrain.dispose();
  wVal.dispose();
  result.optimizerSteps = optimizerSteps;
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

/** The settings a checkpoint folder was written with, or undefined when it has none. */
function checkpointFingerprint(dir: string): string | undefined {
  try {
    const latest = JSON.parse(fs.readFileSync(path.join(dir, "latest.json"), "utf8"));
    return JSON.parse(fs.readFileSync(path.join(dir, latest.checkpoint, "state.json"), "utf8")).fingerprint;
  } catch {
    return undefined;
  }
}

export interface PredictOptions {
  /** With `log`, a progress bar follows the batches (as in fitStudy: redrawn, or lines through `log`). */
  log?: (line: string) => void;
  progress?: StudyFitOptions["progress"];
  /** The bar's label (default "predicting"). */
  label?: string;
}

/** Arg-max labels of every sequence, batch by batch. */
export function predictSequences(model: TrainableTokenModel, seqs: readonly AlignedSequence[], profile: Pick<TrainingSettings, "batchSize" | "maxLength">, options: PredictOptions = {}): Int32Array[] {
  const out: Int32Array[] = [];
  const chunks = batchesOf(seqs, profile.batchSize);
  const bar = epochProgress(options)(options.label ?? "predicting", chunks.length);
  chunks.forEach((chunk, i) => {
    const flat = model.predict(stackSequences(chunk, profile.maxLength));
    chunk.forEach((_, b) => out.push(flat.slice(b * profile.maxLength, (b + 1) * profile.maxLength)));
    bar?.update(i + 1);
  });
  return out;
}
