import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { longestLength, stackSequences, type AlignedBatch, type AlignedSequence } from "../bert/tokenizer";
import { hasCheckpoint, newestReadableCheckpoint, Trainer } from "./trainer";
import { DataParallelGroup } from "./data-parallel";
import { chooseTrainingThreads, type ThreadChoice } from "./worker-count";
import { workerRecipeFor } from "./worker-model";
import type { BackendName } from "../backend";
import { readScalar } from "../ops/read";
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
  /**
   * Training batches grouped by length: the seeded order is cut into windows of this many batches, each
   * sorted by length (`lengthGroupedOrder`). Undefined keeps the study's shuffled order.
   */
  lengthBuckets?: number;
}

/** What the training loop needs of a model (the NER token classifier and the RE model both have it). */
export interface TrainableTokenModel {
  /** Positions the model's head reads (the RE head's flatten); batches are then always this long. */
  readonly seqLen?: number;
  params(): Map<string, tf.Variable>;
  loss(batch: AlignedBatch, classWeights: tf.Tensor1D | undefined, training: boolean, seed?: number): tf.Scalar;
  predict(batch: AlignedBatch): Promise<Int32Array>;
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
  /** Threads that computed gradients (data-parallel workers plus this one), and why that many. */
  parallel: ThreadChoice;
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
  /**
   * Threads computing gradients: 1 trains in this thread; more start data-parallel workers (train/data-parallel.ts).
   * Default: ADEFLOW_WORKERS, else every core within the machine's memory (train/worker-count.ts).
   */
  threads?: number;
  /**
   * "longest" (default): each batch is padded only to its own longest row, the same computation with less
   * padding; "max": every batch to the profile's maxLength. A model with a fixed `seqLen` always gets that.
   */
  padding?: Padding;
}

export type Padding = "longest" | "max";

/** The positions of one batch: the model's fixed length, the profile's maximum, or the batch's longest row. */
function batchLength(
  model: TrainableTokenModel,
  chunk: readonly AlignedSequence[],
  maxLength: number,
  padding: Padding = "longest",
): number {
  return model.seqLen ?? (padding === "max" ? maxLength : longestLength(chunk));
}

/**
 * A seeded order grouped by length: the shuffled order cut into windows of `window` batches, each window
 * sorted by length (stable), so a batch holds rows of similar length and pads little; the windows keep the
 * shuffled order. Without `window` the shuffled order itself (the study's).
 */
export function lengthGroupedOrder(
  order: readonly number[],
  lengths: readonly number[],
  batchSize: number,
  window?: number,
): number[] {
  if (!window || window <= 1) return [...order];
  const size = window * batchSize;
  const out: number[] = [];
  for (let i = 0; i < order.length; i += size)
    out.push(...order.slice(i, i + size).sort((a, b) => lengths[a] - lengths[b]));
  return out;
}

const batchesOf = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

async function meanLoss(
  model: TrainableTokenModel,
  seqs: readonly AlignedSequence[],
  weights: tf.Tensor1D,
  profile: TrainingSettings,
  bar?: Progress,
  padding?: Padding,
): Promise<number> {
  let sum = 0;
  let n = 0;
  for (const [b, chunk] of batchesOf(seqs, profile.batchSize).entries()) {
    const loss = model.loss(
      stackSequences(chunk, batchLength(model, chunk, profile.maxLength, padding)),
      weights,
      false,
    );
    sum += (await readScalar(loss)) * chunk.length;
    n += chunk.length;
    loss.dispose();
    bar?.update(b + 1);
  }
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
  return (label, batches) =>
    batches > 0 ? new Progress({ total: batches, label, unit: "batches", rateUnit: "batch", mode, write }) : undefined;
}

/** One pass over `seqs` in a seeded order (its micro-batches spread over `group` when given); returns the mean training loss. */
async function runEpoch(
  trainer: Trainer,
  model: TrainableTokenModel,
  seqs: readonly AlignedSequence[],
  weights: tf.Tensor1D,
  profile: TrainingSettings,
  label: string,
  progress: EpochProgress,
  group?: DataParallelGroup,
  padding?: Padding,
): Promise<number> {
  const order = lengthGroupedOrder(
    trainer.shuffle(seqs.length),
    seqs.map((s) => s.length),
    profile.batchSize,
    profile.lengthBuckets,
  );
  const batches = batchesOf(order, profile.batchSize);
  const bar = progress(label, batches.length);
  let sum = 0;
  for (const [b, idx] of batches.entries()) {
    const chunk = idx.map((i) => seqs[i]);
    const batch = stackSequences(chunk, batchLength(model, chunk, profile.maxLength, padding));
    const result = group
      ? await group.microBatch(trainer, batch, weights, (shard, seed) => model.loss(shard, weights, true, seed))
      : await trainer.microBatch((seed) => model.loss(batch, weights, true, seed));
    sum += result.loss;
    bar?.update(b + 1, `loss ${(sum / (b + 1)).toFixed(4)}`);
  }
  if (group) await group.flush(trainer);
  else await trainer.flush();
  return sum / Math.max(1, batches.length);
}

/** The threads `fitStudy` trains on (see StudyFitOptions.threads). */
export function trainingThreads(
  model: TrainableTokenModel,
  profile: Pick<TrainingSettings, "batchSize">,
  threads?: number,
): ThreadChoice {
  if (!workerRecipeFor(model)) return { threads: 1, why: "this model cannot be rebuilt in a worker" };
  if (threads !== undefined) return { threads, why: "set by the caller" };
  let parameters = 0;
  for (const v of model.params().values()) parameters += v.size;
  return chooseTrainingThreads({ backend: tf.getBackend(), parameters, rows: profile.batchSize });
}

/**
 * The study's training: weighted cross-entropy with class weights from the training labels (validation loss
 * with the validation labels' weights, as the study did), AdamW, linear decay without warm-up, clipping,
 * accumulation; then optionally one more epoch on train + validation at the final learning rate with the two
 * sets' weights pooled by size. Checkpoints after each epoch make an interrupted run resume.
 */
export async function fitStudy(
  model: TrainableTokenModel,
  train: readonly AlignedSequence[],
  val: readonly AlignedSequence[],
  options: StudyFitOptions,
): Promise<StudyFitResult> {
  const { profile } = options;
  const log = options.log ?? (() => {});
  const progress = epochProgress(options);
  const started = Date.now();
  const parallel = trainingThreads(model, profile, options.threads);
  log(
    parallel.threads > 1
      ? `training on ${parallel.threads} threads, data-parallel (${parallel.why})`
      : `training on 1 thread (${parallel.why})`,
  );
  const group =
    parallel.threads > 1
      ? DataParallelGroup.start(model.params(), workerRecipeFor(model)!, {
          threads: parallel.threads,
          backend: tf.getBackend() as BackendName,
        })
      : undefined;
  try {
    // awaited here, so the workers are closed only after the last epoch
    return await fitStudyOn(group, parallel, model, train, val, options, started, progress);
  } finally {
    void group?.close();
  }
}

async function fitStudyOn(
  group: DataParallelGroup | undefined,
  parallel: ThreadChoice,
  model: TrainableTokenModel,
  train: readonly AlignedSequence[],
  val: readonly AlignedSequence[],
  options: StudyFitOptions,
  started: number,
  progress: EpochProgress,
): Promise<StudyFitResult> {
  const { profile, numClasses } = options;
  const log = options.log ?? (() => {});
  const wTrainArr = computeClassWeights(
    train.map((s) => s.labels),
    numClasses,
  );
  const wValArr = computeClassWeights(
    val.map((s) => s.labels),
    numClasses,
  );
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
  // the checkpoint is read once: it is checked, compared with these settings and restored from the same bytes
  const found = mainDir && hasCheckpoint(mainDir) ? newestReadableCheckpoint(mainDir) : undefined;
  if (mainDir && found && !found.files) {
    log(`${mainDir}: no checkpoint reads whole (${found.skipped.join("; ")}): starting afresh`);
  } else if (mainDir && found?.files && found.files.state.fingerprint !== fingerprint) {
    log(`${mainDir} holds a checkpoint of other settings: starting afresh (it will be replaced)`);
    fs.rmSync(mainDir, { recursive: true, force: true });
  } else if (mainDir && found?.files) {
    const state = trainer.restoreFrom({ files: found.files, skipped: found.skipped }, log);
    history.push(...((state.history as EpochRecord[]) ?? []));
    firstEpoch = history.length;
    resumedFrom = `${mainDir} (after epoch ${firstEpoch})`;
    log(`resumed from ${resumedFrom}`);
  }
  const lastEpoch = Math.min(profile.epochs, options.stopAfterEpochs ?? profile.epochs);
  for (let epoch = firstEpoch; epoch < lastEpoch; epoch++) {
    const t0 = Date.now();
    const lr = trainer.currentLr;
    const trainLoss = await runEpoch(
      trainer,
      model,
      train,
      wTrain,
      profile,
      `epoch ${epoch + 1}/${profile.epochs}`,
      progress,
      group,
      options.padding,
    );
    const valLoss = await meanLoss(
      model,
      val,
      wVal,
      profile,
      progress(`epoch ${epoch + 1}/${profile.epochs} validation loss`, Math.ceil(val.length / profile.batchSize)),
      options.padding,
    );
    history.push({ phase: "train", epoch: epoch + 1, trainLoss, valLoss, lr, seconds: (Date.now() - t0) / 1000 });
    log(`epoch ${epoch + 1}: train loss ${trainLoss.toFixed(4)}, validation loss ${valLoss.toFixed(4)}`);
    if (mainDir) await trainer.save(mainDir, { history, fingerprint });
  }
  let optimizerSteps = trainer.step;
  trainer.dispose();
  const result: StudyFitResult = {
    history,
    classWeights: { train: [...wTrainArr], val: [...wValArr] },
    optimizerSteps,
    seconds: 0,
    resumedFrom,
    parallel,
  };
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
      const trainLoss = await runEpoch(
        final,
        model,
        both,
        wPooled,
        profile,
        `final epoch ${e + 1}/${profile.finalEpochs} (train + validation)`,
        progress,
        group,
        options.padding,
      );
      history.push({
        phase: "final",
        epoch: profile.epochs + e + 1,
        trainLoss,
        valLoss: await meanLoss(model, val, wVal, profile, undefined, options.padding),
        lr,
        seconds: (Date.now() - t0) / 1000,
      });
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

export interface PredictOptions {
  /** With `log`, a progress bar follows the batches (as in fitStudy: redrawn, or lines through `log`). */
  log?: (line: string) => void;
  progress?: StudyFitOptions["progress"];
  /** The bar's label (default "predicting"). */
  label?: string;
  /** As in fitStudy: "longest" (default) pads each batch to its longest row, "max" to maxLength. */
  padding?: Padding;
}

/**
 * Arg-max labels of every sequence (each `maxLength` long, 0 past the batch's positions), in the input order.
 * Rows are batched by length (sorted, stable) and each batch padded to its own longest row unless the model
 * reads a fixed length or `padding` is "max"; without dropout a row's prediction does not depend on its batch.
 */
export async function predictSequences(
  model: TrainableTokenModel,
  seqs: readonly AlignedSequence[],
  profile: Pick<TrainingSettings, "batchSize" | "maxLength">,
  options: PredictOptions = {},
): Promise<Int32Array[]> {
  const out: Int32Array[] = new Array(seqs.length);
  // rows of similar length together: a bucketed model is padded only to its batch's longest row, and the RE model
  // runs its encoder only that far (re/model.ts); each row's prediction does not depend on its batch
  const order = Array.from({ length: seqs.length }, (_, i) => i);
  if (options.padding !== "max") order.sort((a, b) => seqs[a].length - seqs[b].length);
  const chunks = batchesOf(order, profile.batchSize);
  const bar = epochProgress(options)(options.label ?? "predicting", chunks.length);
  for (const [i, idx] of chunks.entries()) {
    const chunk = idx.map((k) => seqs[k]);
    const T = batchLength(model, chunk, profile.maxLength, options.padding);
    const flat = await model.predict(stackSequences(chunk, T));
    idx.forEach((k, b) => {
      const row = new Int32Array(profile.maxLength);
      row.set(flat.subarray(b * T, (b + 1) * T).subarray(0, Math.min(T, profile.maxLength)));
      out[k] = row;
    });
    bar?.update(i + 1);
  }
  return out;
}
