/**
 * The relation-extraction (drug-effect association) head of the study, on per-token features:
 *
 *   features [b, T, F]  (F = 4 x hidden: four BERT hidden states concatenated, see model.ts)
 *   -> dropout (rate 0.4, training only, seeded)
 *   -> one bidirectional LSTM, H = 128 units per direction, all positions (no packing) -> [b, T, 2H]
 *   -> flatten -> [b, T * 2H]                         (T must be exactly `seqLen`, 128)
 *   -> Linear(T * 2H -> 384)                          (no activation)
 *   -> Linear(384 -> T * C) -> exact GELU -> reshape [b, T, C] association logits
 *
 * C = 5 classes: 0 = not an entity, k = the k-th drug-effect pair of the row.
 *
 * Parameters are tf.Variables with PyTorch names and layouts (`lstm.weight_ih_l0`,
 * `lstm.weight_hh_l0`, `lstm.bias_ih_l0`, `lstm.bias_hh_l0`, the same with `_reverse`,
 * `dense.weight` [384, T*2H], `dense.bias`, `classifier.weight` [T*C, 384], `classifier.bias`),
 * so a torch `state_dict` of the same module tree loads with `loadState`.
 *
 * Initialisation (seeded `Rng`, PyTorch defaults): every LSTM tensor ~ U(-1/sqrt(H), 1/sqrt(H));
 * every Linear weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) — which is exactly what
 * torch's kaiming_uniform_(a=sqrt(5)) weight init and its bias init give.
 */
import * as tf from "@tensorflow/tfjs";
import { AdeflowError } from "../errors";
import { gelu } from "../bert/encoder";
import { linearFast } from "../ops/matmul";
import { weightedCrossEntropy } from "../train/loss";
import { Rng } from "../train/rng";
import { bidirectionalLstm, type LstmDirectionWeights } from "./lstm";

/** The study's head sizes. */
export const STUDY_RE_HEAD = {
  lstmUnits: 128,
  denseUnits: 384,
  dropout: 0.4,
  seqLen: 128,
  numClasses: 5,
} as const;

export interface RelationHeadOptions {
  /** LSTM units per direction (study: 128). */
  lstmUnits?: number;
  /** Width of the first dense layer (study: 384). */
  denseUnits?: number;
  /** Dropout rate on the input features, training only (study: 0.4). */
  dropout?: number;
  /** Sequence length fixed by the flatten layer (study: 128). */
  seqLen?: number;
  /** Association classes per position (study: 5). */
  numClasses?: number;
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
  /**
   * Whether gradients must flow back into the features (default true). Set false when the
   * features are constants (cached encoder outputs, frozen encoder): identical results, and on
   * the wasm backend it skips the largest product of the backward pass (see ops/matmul.ts). With
   * false, an encoder below the head gets NO gradient on wasm.
   */
  inputGradient?: boolean;
}

/** Parameter counts per part (scalars, not bytes). */
export interface RelationParameterCount {
  /** BERT encoder (0 for a head alone; counted even when frozen). */
  encoder: number;
  /** Both LSTM directions: 2 x 4H x (F + H + 2). */
  lstm: number;
  /** Linear(T*2H -> D): T*2H*D + D. */
  dense: number;
  /** Linear(D -> T*C): D*T*C + T*C. */
  classifier: number;
  /** lstm + dense + classifier. */
  head: number;
  /** encoder + head. */
  total: number;
  /** What `params()` hands to the optimiser. */
  trainable: number;
}

/** Parameter count of a head without allocating one. */
export function relationHeadParameterCount(featureSize: number, opts: RelationHeadOptions = {}): Omit<RelationParameterCount, "encoder" | "total" | "trainable"> {
  const H = opts.lstmUnits ?? STUDY_RE_HEAD.lstmUnits;
  const D = opts.denseUnits ?? STUDY_RE_HEAD.denseUnits;
  const T = opts.seqLen ?? STUDY_RE_HEAD.seqLen;
  const C = opts.numClasses ?? STUDY_RE_HEAD.numClasses;
  const lstm = 2 * 4 * H * (featureSize + H + 2);
  const dense = T * 2 * H * D + D;
  const classifier = D * T * C + T * C;
  return { lstm, dense, classifier, head: lstm + dense + classifier };
}

/**
 * Precomputed per-token features of a batch (head-only training on cached encoder outputs):
 * `features` row-major [batch, seqLen, featureSize], `labels` [batch, seqLen] (-100 ignored).
 * For exact agreement with the full model the features of padding positions must be the
 * encoder's outputs there (the LSTM runs over them), not zeros.
 */
export interface FeatureBatch {
  batch: number;
  seqLen: number;
  features: Float32Array;
  labels: Int32Array;
}

/** Seed of the head's feature dropout for a step seed (distinct from the encoder's masks). */
export function headDropoutSeed(seed: number): number {
  return (Math.imul(seed >>> 0, 31) + 0x5e1) >>> 0;
}

export class RelationHead {
  readonly lstmUnits: number;
  readonly denseUnits: number;
  readonly dropout: number;
  readonly seqLen: number;
  readonly numClasses: number;
  /** See RelationHeadOptions.inputGradient. */
  inputGradient: boolean;
  /** PyTorch name -> variable, in a stable order. */
  readonly variables = new Map<string, tf.Variable>();

  constructor(readonly featureSize: number, opts: RelationHeadOptions = {}) {
    this.lstmUnits = opts.lstmUnits ?? STUDY_RE_HEAD.lstmUnits;
    this.denseUnits = opts.denseUnits ?? STUDY_RE_HEAD.denseUnits;
    this.dropout = opts.dropout ?? STUDY_RE_HEAD.dropout;
    this.seqLen = opts.seqLen ?? STUDY_RE_HEAD.seqLen;
    this.numClasses = opts.numClasses ?? STUDY_RE_HEAD.numClasses;
    this.inputGradient = opts.inputGradient ?? true;
    for (const [k, v] of Object.entries({ featureSize, lstmUnits: this.lstmUnits, denseUnits: this.denseUnits, seqLen: this.seqLen, numClasses: this.numClasses })) {
      if (!Number.isInteger(v) || v <= 0) throw new AdeflowError(`relation head: ${k} must be a positive integer, got ${v}`);
    }
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new AdeflowError(`relation head: dropout must be in [0, 1), got ${this.dropout}`);
    const rng = new Rng(opts.seed ?? 0);
    for (const [name, shape, bound] of this.shapes()) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = (2 * rng.next() - 1) * bound;
      this.variables.set(name, tf.variable(tf.tensor(data, shape, "float32"), true));
    }
  }

  /** [name, shape, init bound] of every parameter, in order. */
  private shapes(): [string, number[], number][] {
    const F = this.featureSize;
    const H = this.lstmUnits;
    const D = this.denseUnits;
    const flat = this.seqLen * 2 * H;
    const out = this.seqLen * this.numClasses;
    const k = 1 / Math.sqrt(H);
    const list: [string, number[], number][] = [];
    for (const sfx of ["", "_reverse"]) {
      list.push([`lstm.weight_ih_l0${sfx}`, [4 * H, F], k]);
      list.push([`lstm.weight_hh_l0${sfx}`, [4 * H, H], k]);
      list.push([`lstm.bias_ih_l0${sfx}`, [4 * H], k]);
      list.push([`lstm.bias_hh_l0${sfx}`, [4 * H], k]);
    }
    list.push(["dense.weight", [D, flat], 1 / Math.sqrt(flat)]);
    list.push(["dense.bias", [D], 1 / Math.sqrt(flat)]);
    list.push(["classifier.weight", [out, D], 1 / Math.sqrt(D)]);
    list.push(["classifier.bias", [out], 1 / Math.sqrt(D)]);
    return list;
  }

  private v(name: string): tf.Variable {
    const x = this.variables.get(name);
    if (!x) throw new Error(`internal: no variable ${name}`);
    return x;
  }

  private direction(sfx: string): LstmDirectionWeights {
    return {
      weightIh: this.v(`lstm.weight_ih_l0${sfx}`),
      weightHh: this.v(`lstm.weight_hh_l0${sfx}`),
      biasIh: this.v(`lstm.bias_ih_l0${sfx}`),
      biasHh: this.v(`lstm.bias_hh_l0${sfx}`),
    };
  }

  /** Named parameters (PyTorch names), for the Trainer / checkpoints. */
  params(): Map<string, tf.Variable> {
    return new Map(this.variables);
  }

  /** Throws an AdeflowError unless `shape` is [b, seqLen(, featureSize)]. */
  checkShape(shape: readonly number[], what = "features"): void {
    if (shape[1] !== this.seqLen) {
      throw new AdeflowError(
        `relation model: ${what} have sequence length ${shape[1]}, but the head's flatten layer fixes it to exactly ${this.seqLen} ` +
          `(tokenize / pad every row to ${this.seqLen} positions, or build the head with seqLen: ${shape[1]})`,
      );
    }
    if (shape.length === 3 && shape[2] !== this.featureSize) {
      throw new AdeflowError(`relation model: ${what} have ${shape[2]} features per position, the head expects ${this.featureSize}`);
    }
  }

  /** Association logits [b, seqLen, numClasses] from features [b, seqLen, featureSize]. */
  logits(features: tf.Tensor3D, training: boolean, seed = 0): tf.Tensor3D {
    this.checkShape(features.shape);
    return tf.tidy(() => {
      const [B, T] = features.shape;
      let x: tf.Tensor3D = features;
      if (training && this.dropout > 0) x = tf.dropout(x, this.dropout, undefined, headDropoutSeed(seed)) as tf.Tensor3D;
      const seq = bidirectionalLstm(x, this.direction(""), this.direction("_reverse"), this.inputGradient);
      const flat = tf.reshape(seq, [B, T * 2 * this.lstmUnits]);
      const dense = linearFast(flat, this.v("dense.weight"), this.v("dense.bias"));
      const out = gelu(linearFast(dense, this.v("classifier.weight"), this.v("classifier.bias")));
      return tf.reshape(out, [B, T, this.numClasses]) as tf.Tensor3D;
    });
  }

  /** Weighted CE (train/loss.ts reduction; labels int32 [b, seqLen], -100 ignored). */
  loss(features: tf.Tensor3D, labels: tf.Tensor2D, classWeights: tf.Tensor1D | undefined, training: boolean, seed = 0): tf.Scalar {
    this.checkShape(labels.shape, "labels");
    return tf.tidy(() => weightedCrossEntropy(this.logits(features, training, seed), labels, classWeights));
  }

  /** Arg-max class per position [b * seqLen] (eval mode). */
  predict(features: tf.Tensor3D): Int32Array {
    return tf.tidy(() => tf.argMax(this.logits(features, false), -1).dataSync() as Int32Array);
  }

  /** Loss of a FeatureBatch (a Trainer LossFn: `(seed) => head.batchLoss(fb, w, true, seed)`). */
  batchLoss(fb: FeatureBatch, classWeights: tf.Tensor1D | undefined, training: boolean, seed = 0): tf.Scalar {
    this.checkShape([fb.batch, fb.seqLen, fb.features.length / (fb.batch * fb.seqLen)], "feature batch");
    return tf.tidy(() => {
      const x = tf.tensor3d(fb.features, [fb.batch, fb.seqLen, this.featureSize]);
      const y = tf.tensor2d(fb.labels, [fb.batch, fb.seqLen], "int32");
      return this.loss(x, y, classWeights, training, seed);
    });
  }

  /** Arg-max class per position [batch * seqLen] of a FeatureBatch. */
  batchPredict(fb: FeatureBatch): Int32Array {
    this.checkShape([fb.batch, fb.seqLen, fb.features.length / (fb.batch * fb.seqLen)], "feature batch");
    const x = tf.tensor3d(fb.features, [fb.batch, fb.seqLen, this.featureSize]);
    try {
      return this.predict(x);
    } finally {
      x.dispose();
    }
  }

  parameterCount(): RelationParameterCount {
    const c = relationHeadParameterCount(this.featureSize, this);
    return { encoder: 0, ...c, total: c.head, trainable: c.head };
  }

  /**
   * Overwrite weights from a PyTorch-named state (e.g. a torch state_dict dumped to JSON).
   * Every parameter must be present with the right number of values (row-major).
   */
  loadState(state: Map<string, ArrayLike<number>> | Record<string, ArrayLike<number>>): void {
    const get = (k: string) => (state instanceof Map ? state.get(k) : state[k]);
    for (const [name, v] of this.variables) {
      const data = get(name);
      if (!data) throw new AdeflowError(`relation head state: missing ${name}`);
      if (data.length !== v.size) throw new AdeflowError(`relation head state: ${name} has ${data.length} values, expected ${v.size} (shape ${v.shape.join("x")})`);
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(data), v.shape, "float32")));
    }
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}
