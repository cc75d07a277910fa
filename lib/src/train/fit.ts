/**
 * Epoch loop for token classification with the study's mechanics (see trainer.ts): seeded
 * shuffling each epoch, micro-batches of `batchSize`, gradient accumulation, a partial
 * accumulation flushed at the end of every epoch, linear decay over
 * epochs * ceil(ceil(n / batchSize) / accumulationSteps) updates, balanced class weights
 * (loss.ts) computed from the training sequences, and an atomic checkpoint at the end of each
 * epoch when `checkpointDir` is set. `resume: true` continues from the newest checkpoint
 * there (same weights, AdamW moments, schedule position and shuffling RNG), so an
 * interrupted run ends with the same weights as an uninterrupted one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { AdeflowError } from "../errors";
import { stackSequences, type AlignedSequence } from "../bert/tokenizer";
import { computeClassWeights } from "./loss";
import type { TokenClassifier } from "./token-classifier";
import { Trainer } from "./trainer";

export interface FitOptions {
  epochs: number;
  batchSize: number;
  lr?: number;
  warmupSteps?: number;
  accumulationSteps?: number;
  maxGradNorm?: number;
  weightDecay?: number;
  seed?: number;
  /** "balanced" (default): the study's weights; "none": unweighted; or explicit weights. */
  classWeights?: "balanced" | "none" | Float32Array;
  checkpointDir?: string;
  resume?: boolean;
  /** Called after every micro-batch. */
  onBatch?: (info: { epoch: number; batch: number; loss: number; step: number; lr?: number }) => void;
}

export interface FitResult {
  /** Mean training loss of each epoch run in this call (index = epoch number). */
  epochLoss: Record<number, number>;
  steps: number;
  classWeights: Float32Array | null;
  seconds: number;
  resumedFromEpoch?: number;
}

export function fitTokenClassifier(clf: TokenClassifier, train: AlignedSequence[], opts: FitOptions): FitResult {
  if (train.length === 0) throw new AdeflowError("no training sequences");
  const started = performance.now();
  const seqLen = train[0].inputIds.length;
  const accumulationSteps = opts.accumulationSteps ?? 4;
  const perEpoch = Math.ceil(Math.ceil(train.length / opts.batchSize) / accumulationSteps);
  const cw =
    opts.classWeights === "none"
      ? null
      : opts.classWeights instanceof Float32Array
        ? opts.classWeights
        : computeClassWeights(train.map((s) => s.labels), clf.numLabels);
  const weights = cw ? tf.tensor1d(cw) : undefined;
  const trainer = new Trainer(clf.params(), {
    lr: opts.lr,
    totalSteps: opts.epochs * perEpoch,
    warmupSteps: opts.warmupSteps,
    accumulationSteps,
    maxGradNorm: opts.maxGradNorm,
    weightDecay: opts.weightDecay,
    seed: opts.seed,
  });
  const result: FitResult = { epochLoss: {}, steps: 0, classWeights: cw, seconds: 0 };
  try {
    let firstEpoch = 0;
    if (opts.resume && opts.checkpointDir && fs.existsSync(path.join(opts.checkpointDir, "latest.json"))) {
      const state = trainer.restore(opts.checkpointDir);
      firstEpoch = (state.epoch as number) + 1;
      result.resumedFromEpoch = state.epoch as number;
    }
    for (let epoch = firstEpoch; epoch < opts.epochs; epoch++) {
      const order = trainer.shuffle(train.length);
      let sum = 0;
      let count = 0;
      for (let s = 0, b = 0; s < order.length; s += opts.batchSize, b++) {
        const batch = stackSequences(order.slice(s, s + opts.batchSize).map((i) => train[i]), seqLen);
        const r = trainer.microBatch((seed) => clf.loss(batch, weights, true, seed));
        sum += r.loss;
        count++;
        opts.onBatch?.({ epoch, batch: b, loss: r.loss, step: trainer.step, lr: r.lr });
      }
      trainer.flush();
      result.epochLoss[epoch] = sum / count;
      if (opts.checkpointDir) trainer.save(opts.checkpointDir, { epoch, epochLoss: sum / count });
    }
    result.steps = trainer.step;
  } finally {
    trainer.dispose();
    weights?.dispose();
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
