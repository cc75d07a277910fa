/**
 * What a data-parallel worker needs to rebuild a model in its own thread: the architecture only. Its weights
 * are copied from the main thread's before every step, so the worker builds the variables with zeros (cheap,
 * and nothing random to keep in step).
 */
import * as tf from "@tensorflow/tfjs";
import { BertEncoder } from "../bert/encoder";
import type { BertConfig } from "../bert/config";
import type { NamedTensor } from "../io/safetensors";
import { expectedEncoderShapes } from "../bert/weights";
import type { AlignedBatch } from "../bert/tokenizer";
import { TokenClassifier } from "../bert/token-classifier";
import { RelationModel, type RelationModelOptions } from "../re/model";

export type WorkerModelRecipe =
  | { kind: "token-classifier"; config: BertConfig; numLabels: number }
  | { kind: "relation"; config: BertConfig; options: RelationModelOptions };

/** What a worker does with its model: the loss of a batch (training mode, seeded dropout) and its parameters. */
export interface WorkerModel {
  params(): Map<string, tf.Variable>;
  loss(batch: AlignedBatch, classWeights: tf.Tensor1D | undefined, training: boolean, seed?: number): tf.Scalar;
}

function zeroEncoder(config: BertConfig): BertEncoder {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, shape] of expectedEncoderShapes(config))
    tensors.set(name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  return BertEncoder.fromTensors(config, tensors);
}

/** How a worker rebuilds `model`, or undefined for a model it does not know (which then trains in one thread). */
export function workerRecipeFor(model: unknown): WorkerModelRecipe | undefined {
  if (model instanceof TokenClassifier)
    return { kind: "token-classifier", config: model.encoder.config, numLabels: model.numLabels };
  if (model instanceof RelationModel) return { kind: "relation", config: model.encoder.config, options: model.options };
  return undefined;
}

export function buildWorkerModel(recipe: WorkerModelRecipe): WorkerModel {
  const encoder = zeroEncoder(recipe.config);
  if (recipe.kind === "token-classifier") return new TokenClassifier(encoder, recipe.numLabels, 0);
  return new RelationModel(encoder, recipe.options);
}
