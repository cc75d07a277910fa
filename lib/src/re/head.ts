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
 * Optional part-of-speech embedding (the study's abandoned variant, notebook 07): with
 * `posEmbeddingSize` E > 0, a learned table `pos_embedding.weight` [posVocabSize, E] is looked up
 * with one POS id per position and concatenated to the features before the dropout and the BiLSTM,
 * whose input grows from F to F + E. Everything else is unchanged. The initialisation keeps the
 * shared weights identical to the plain head of the same seed (the extra LSTM input columns and the
 * embedding come from a second seeded stream), so the two arms of the ablation differ only by POS.
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
import { readInt32Of } from "../ops/read";
import { AdeflowError } from "../errors";
import { gelu } from "../bert/encoder";
import { linearFast } from "../ops/matmul";
import { exampleDropout } from "../ops/example-dropout";
import { weightedCrossEntropy } from "../bert/loss";
import { Rng } from "../random/rng";
import { bidirectionalLstmKernel, type LstmDirectionWeights } from "./lstm";

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
  /** Width of the learned POS embedding concatenated to the features (default 0: none, the study's model). */
  posEmbeddingSize?: number;
  /** Number of POS ids (rows of the embedding table); required when posEmbeddingSize > 0. */
  posVocabSize?: number;
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
  /** The POS embedding table: vocab x E (0 without POS). */
  pos: number;
  /** Both LSTM directions: 2 x 4H x (F + E + H + 2). */
  lstm: number;
  /** Linear(T*2H -> D): T*2H*D + D. */
  dense: number;
  /** Linear(D -> T*C): D*T*C + T*C. */
  classifier: number;
  /** pos + lstm + dense + classifier. */
  head: number;
  /** encoder + head. */
  total: number;
  /** What `params()` hands to the optimiser. */
  trainable: number;
}

/** Parameter count of a head without allocating one. */
export function relationHeadParameterCount(
  featureSize: number,
  opts: RelationHeadOptions = {},
): Omit<RelationParameterCount, "encoder" | "total" | "trainable"> {
  const H = opts.lstmUnits ?? STUDY_RE_HEAD.lstmUnits;
  const D = opts.denseUnits ?? STUDY_RE_HEAD.denseUnits;
  const T = opts.seqLen ?? STUDY_RE_HEAD.seqLen;
  const C = opts.numClasses ?? STUDY_RE_HEAD.numClasses;
  const E = opts.posEmbeddingSize ?? 0;
  const pos = E > 0 ? (opts.posVocabSize ?? 0) * E : 0;
  const lstm = 2 * 4 * H * (featureSize + E + H + 2);
  const dense = T * 2 * H * D + D;
  const classifier = D * T * C + T * C;
  return { pos, lstm, dense, classifier, head: pos + lstm + dense + classifier };
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
  /** POS id per position [batch, seqLen]; required by a head with a POS embedding. */
  posIds?: Int32Array;
}

/** Seed of the stream that initialises the POS-only weights (kept apart so the shared weights match the plain head). */
const posInitSeed = (seed: number): number => (Math.imul(seed >>> 0, 0x9e3779b1) + 0x9051) >>> 0;

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
  /** 0 without POS embedding. */
  readonly posEmbeddingSize: number;
  readonly posVocabSize: number;
  /** See RelationHeadOptions.inputGradient. */
  inputGradient: boolean;
  /** PyTorch name -> variable, in a stable order. */
  readonly variables = new Map<string, tf.Variable>();

  constructor(
    readonly featureSize: number,
    opts: RelationHeadOptions = {},
  ) {
    this.lstmUnits = opts.lstmUnits ?? STUDY_RE_HEAD.lstmUnits;
    this.denseUnits = opts.denseUnits ?? STUDY_RE_HEAD.denseUnits;
    this.dropout = opts.dropout ?? STUDY_RE_HEAD.dropout;
    this.seqLen = opts.seqLen ?? STUDY_RE_HEAD.seqLen;
    this.numClasses = opts.numClasses ?? STUDY_RE_HEAD.numClasses;
    this.inputGradient = opts.inputGradient ?? true;
    this.posEmbeddingSize = opts.posEmbeddingSize ?? 0;
    this.posVocabSize = this.posEmbeddingSize > 0 ? (opts.posVocabSize ?? 0) : 0;
    for (const [k, v] of Object.entries({
      featureSize,
      lstmUnits: this.lstmUnits,
      denseUnits: this.denseUnits,
      seqLen: this.seqLen,
      numClasses: this.numClasses,
    })) {
      if (!Number.isInteger(v) || v <= 0)
        throw new AdeflowError(`relation head: ${k} must be a positive integer, got ${v}`);
    }
    if (!Number.isInteger(this.posEmbeddingSize) || this.posEmbeddingSize < 0) {
      throw new AdeflowError(
        `relation head: posEmbeddingSize must be a non-negative integer, got ${this.posEmbeddingSize}`,
      );
    }
    if (this.posEmbeddingSize > 0 && !(Number.isInteger(this.posVocabSize) && this.posVocabSize > 0)) {
      throw new AdeflowError(
        `relation head: posVocabSize must be a positive integer when posEmbeddingSize > 0, got ${opts.posVocabSize}`,
      );
    }
    if (!(this.dropout >= 0 && this.dropout < 1))
      throw new AdeflowError(`relation head: dropout must be in [0, 1), got ${this.dropout}`);
    const rng = new Rng(opts.seed ?? 0);
    const posRng = new Rng(posInitSeed(opts.seed ?? 0));
    const E = this.posEmbeddingSize;
    for (const [name, shape, bound] of this.shapes()) {
      const n = shape.reduce((a, b) => a * b, 1);
      let data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = (2 * rng.next() - 1) * bound;
      if (E > 0 && name.startsWith("lstm.weight_ih_l0")) {
        // [4H, F] from the main stream (as in the plain head), widened to [4H, F + E] from the POS stream
        const [rows, F] = shape;
        const wide = new Float32Array(rows * (F + E));
        for (let r = 0; r < rows; r++) {
          wide.set(data.subarray(r * F, (r + 1) * F), r * (F + E));
          for (let e = 0; e < E; e++) wide[r * (F + E) + F + e] = (2 * posRng.next() - 1) * bound;
        }
        data = wide;
        shape[1] = F + E;
      }
      this.variables.set(
        name,
        tf.tidy(() => tf.variable(tf.tensor(data, shape, "float32"), true)),
      );
    }
    if (E > 0) {
      // torch.nn.Embedding's default initialisation: N(0, 1)
      const table = new Float32Array(this.posVocabSize * E);
      for (let i = 0; i < table.length; i++) table[i] = posRng.normal();
      this.variables.set(
        "pos_embedding.weight",
        tf.tidy(() => tf.variable(tf.tensor(table, [this.posVocabSize, E], "float32"), true)),
      );
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
      throw new AdeflowError(
        `relation model: ${what} have ${shape[2]} features per position, the head expects ${this.featureSize}`,
      );
    }
  }

  /**
   * Association logits [b, seqLen, numClasses] from features [b, seqLen, featureSize] (and, with a POS
   * embedding, POS ids [b, seqLen]).
   */
  logits(features: tf.Tensor3D, training: boolean, seed = 0, posIds?: tf.Tensor2D): tf.Tensor3D {
    this.checkShape(features.shape);
    if (this.posEmbeddingSize > 0) {
      if (!posIds)
        throw new AdeflowError("relation head: this head has a POS embedding, so it needs POS ids for every position");
      this.checkShape(posIds.shape, "POS ids");
    }
    return tf.tidy(() => {
      const [B, T] = features.shape;
      let x: tf.Tensor3D = features;
      if (posIds && this.posEmbeddingSize > 0)
        x = tf.concat([x, tf.gather(this.v("pos_embedding.weight"), posIds) as tf.Tensor3D], 2);
      if (training && this.dropout > 0) x = exampleDropout(x, this.dropout, seed, headDropoutSeed) as tf.Tensor3D;
      // the POS embedding learns through the LSTM's input gradient, so it is needed even on constant features
      const seq = bidirectionalLstmKernel(
        x,
        this.direction(""),
        this.direction("_reverse"),
        this.inputGradient || this.posEmbeddingSize > 0,
      );
      const flat = tf.reshape(seq, [B, T * 2 * this.lstmUnits]);
      const dense = linearFast(flat, this.v("dense.weight"), this.v("dense.bias"));
      const out = gelu(linearFast(dense, this.v("classifier.weight"), this.v("classifier.bias")));
      return tf.reshape(out, [B, T, this.numClasses]) as tf.Tensor3D;
    });
  }

  /** Weighted CE (train/loss.ts reduction; labels int32 [b, seqLen], -100 ignored). */
  loss(
    features: tf.Tensor3D,
    labels: tf.Tensor2D,
    classWeights: tf.Tensor1D | undefined,
    training: boolean,
    seed = 0,
    posIds?: tf.Tensor2D,
  ): tf.Scalar {
    this.checkShape(labels.shape, "labels");
    return tf.tidy(() => weightedCrossEntropy(this.logits(features, training, seed, posIds), labels, classWeights));
  }

  /** Arg-max class per position [b * seqLen] (eval mode). */
  predict(features: tf.Tensor3D, posIds?: tf.Tensor2D): Promise<Int32Array> {
    return readInt32Of(() => tf.argMax(this.logits(features, false, 0, posIds), -1));
  }

  private posTensor(fb: FeatureBatch): tf.Tensor2D | undefined {
    if (this.posEmbeddingSize === 0) return undefined;
    if (!fb.posIds)
      throw new AdeflowError("relation head: this head has a POS embedding, but the feature batch has no posIds");
    return tf.tensor2d(fb.posIds, [fb.batch, fb.seqLen], "int32");
  }

  /** Loss of a FeatureBatch (a Trainer LossFn: `(seed) => head.batchLoss(fb, w, true, seed)`). */
  batchLoss(fb: FeatureBatch, classWeights: tf.Tensor1D | undefined, training: boolean, seed = 0): tf.Scalar {
    this.checkShape([fb.batch, fb.seqLen, fb.features.length / (fb.batch * fb.seqLen)], "feature batch");
    return tf.tidy(() => {
      const x = tf.tensor3d(fb.features, [fb.batch, fb.seqLen, this.featureSize]);
      const y = tf.tensor2d(fb.labels, [fb.batch, fb.seqLen], "int32");
      return this.loss(x, y, classWeights, training, seed, this.posTensor(fb));
    });
  }

  /** Arg-max class per position [batch * seqLen] of a FeatureBatch. */
  async batchPredict(fb: FeatureBatch): Promise<Int32Array> {
    this.checkShape([fb.batch, fb.seqLen, fb.features.length / (fb.batch * fb.seqLen)], "feature batch");
    const x = tf.tensor3d(fb.features, [fb.batch, fb.seqLen, this.featureSize]);
    const pos = this.posTensor(fb);
    try {
      return await this.predict(x, pos);
    } finally {
      x.dispose();
      pos?.dispose();
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
      if (data.length !== v.size)
        throw new AdeflowError(
          `relation head state: ${name} has ${data.length} values, expected ${v.size} (shape ${v.shape.join("x")})`,
        );
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(data), v.shape, "float32")));
    }
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}
