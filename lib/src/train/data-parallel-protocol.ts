/**
 * What the main thread and its data-parallel workers share: the parameters' layout in one flat float32
 * buffer, the control words each side waits on, and the messages. Kept apart from both sides so that the
 * worker's module loads nothing of the main thread's.
 */
import type { AlignedBatch } from "../bert/tokenizer";
import type { BackendName } from "../backend";
import type { WorkerModelRecipe } from "./worker-model";

/** One parameter's place in the flat buffers (offsets in floats). */
export interface ParamSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export function paramLayout(params: ReadonlyMap<string, { shape: number[]; size: number }>): {
  slots: ParamSlot[];
  total: number;
} {
  const slots: ParamSlot[] = [];
  let offset = 0;
  for (const [name, v] of params) {
    slots.push({ name, shape: v.shape.slice(), offset, size: v.size });
    offset += v.size;
  }
  return { slots, total: offset };
}

/** Int32 control words per worker. */
export const CONTROL_WORDS = 4;
export const STATUS = 0;
/** Bumped by the main thread after it writes new weights (read by every worker before a step). */
export const WEIGHTS_VERSION = 1;

export const enum WorkerStatus {
  Starting = 0,
  Ready = 1,
  Busy = 2,
  Done = 3,
  Failed = 4,
}

/** Bytes of the text a failing worker leaves for the main thread. */
export const ERROR_BYTES = 4096;

export interface WorkerInit {
  index: number;
  backend: BackendName;
  recipe: WorkerModelRecipe;
  slots: ParamSlot[];
  /** Float32 [total]: the current weights, written by the main thread. */
  weights: SharedArrayBuffer;
  /** Float32 [total]: this worker's gradient, already multiplied by its share of the micro-batch. */
  grads: SharedArrayBuffer;
  /** Int32 [CONTROL_WORDS]: status and weights version. */
  control: SharedArrayBuffer;
  /** Float64 [1]: this worker's weighted loss. */
  loss: SharedArrayBuffer;
  /** Uint8 [ERROR_BYTES]: the message of a failure, UTF-8, zero-terminated. */
  error: SharedArrayBuffer;
}

export interface WorkerJob {
  /** The worker's rows of the micro-batch. */
  shard: AlignedBatch;
  classWeights: Float32Array | null;
  /** The micro-batch's dropout seed plus the shard's first row (see ops/example-dropout.ts). */
  seed: number;
  /** This shard's labelled positions over the whole micro-batch's. */
  share: number;
}
