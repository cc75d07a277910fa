/**
 * BERT encoder in TensorFlow.js, numerically matching Hugging Face `BertModel` (eager
 * attention): word + position + token-type embeddings, LayerNorm (config eps), N post-LN
 * transformer layers with multi-head self-attention and an exact (erf) GELU intermediate.
 *
 * `forward` returns ALL hidden states: index 0 is the embedding output, index l (1..N) the
 * output of layer l; for bert-base that is 13 tensors of shape [batch, seq, 768].
 *
 * Attention mask: padded key positions get `(1 - mask) * FLOAT32_MIN` added to the scores,
 * which is what current Hugging Face code does (`torch.finfo(float32).min`), rather than the
 * older -10000. Either gives exactly zero attention weight in float32 for any row with at
 * least one real token ([CLS] is always real).
 *
 * Weights are `tf.Variable`s (trainable unless frozen), kept in PyTorch layout
 * ([out, in] for Linear weights), keyed by canonical hub name (see weights.ts).
 * Dropout runs only with `training: true` and is seeded per call (`seed`) and per example, so a
 * training step is reproducible and the same when its batch is split across workers.
 */
import * as tf from "@tensorflow/tfjs";
import { readTensorMap } from "../ops/read";
import { linearFast } from "../ops/matmul";
import { exampleDropout } from "../ops/example-dropout";
import type { BertConfig } from "./config";
import type { NamedTensor, TensorMap } from "../io/safetensors";
import { expectedEncoderShapes, hubName } from "./weights";
import { Rng } from "../random/rng";

/** Most negative float32 (torch.finfo(torch.float32).min). */
export const FLOAT32_MIN = -3.4028234663852886e38;

export interface ForwardOptions {
  /** Token type ids [batch, seq]; zeros when omitted. */
  tokenTypeIds?: tf.Tensor2D;
  /** Enables dropout (hidden_dropout_prob / attention_probs_dropout_prob). Default false. */
  training?: boolean;
  /** Seed of this call's dropout masks (required for reproducible training; default 0). */
  seed?: number;
  /**
   * The length the dropout masks are drawn for (default: the input's). A batch cut to its longest row passes
   * the length it was cut from, so each position keeps the mask it has in the uncut batch and training on
   * the shorter batch computes the same as on the padded one.
   */
  maskLength?: number;
}

/**
 * Dropout whose mask is drawn for `maskLength` positions on the axes in `seqAxes` and cut to the input's:
 * `tf.dropout` of the same seed on the uncut shape, restricted to the first positions.
 */
export function positionalDropout(
  x: tf.Tensor,
  rate: number,
  seed: number,
  maskLength: number | undefined,
  seqAxes: readonly number[],
): tf.Tensor {
  const full = x.shape.map((d, i) => (maskLength !== undefined && seqAxes.includes(i) ? Math.max(d, maskLength) : d));
  if (full.every((d, i) => d === x.shape[i])) return tf.dropout(x, rate, undefined, seed);
  return tf.tidy(() => {
    const mask = tf.slice(
      tf.dropout(tf.ones(full), rate, undefined, seed),
      full.map(() => 0),
      x.shape,
    );
    return tf.mul(x, mask);
  });
}

/** Exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
  });
}

/**
 * x [..., in] times a PyTorch-layout weight [out, in] plus bias [out]. On the wasm backend this keeps
 * matMul on its fast untransposed path (10x faster for BERT's layers; see ops/matmul.ts).
 */
export function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return linearFast(x, w, b);
}

export class BertEncoder {
  private constructor(
    readonly config: BertConfig,
    /** Canonical name -> variable, in the canonical (config-derived) order. */
    readonly variables: Map<string, tf.Variable>,
  ) {}

  /** Build from checkpoint tensors already validated by `mapEncoderWeights`. */
  static fromTensors(config: BertConfig, tensors: Map<string, NamedTensor>, trainable = true): BertEncoder {
    const vars = new Map<string, tf.Variable>();
    for (const [name, shape] of expectedEncoderShapes(config)) {
      const t = tensors.get(name);
      if (!t) throw new Error(`internal: tensor ${name} not provided`);
      vars.set(
        name,
        tf.tidy(() => tf.variable(tf.tensor(t.data, shape, "float32"), trainable, `bert/${name}/${uid()}`)),
      );
    }
    return new BertEncoder(config, vars);
  }

  /**
   * Seeded random initialisation in the style of BERT's own init: N(0, 0.02) matrices and
   * embeddings; LayerNorm gammas 1 + N(0, 0.02*jitter), biases N(0, 0.02*jitter). `jitter`
   * 0 gives the exact BERT init (zero biases, unit gammas); the tiny test checkpoint uses 1
   * so that a mixed-up bias or gamma changes the outputs.
   */
  static randomTensors(config: BertConfig, seed: number, jitter = 0): Map<string, NamedTensor> {
    const rng = new Rng(seed);
    const out = new Map<string, NamedTensor>();
    for (const [name, shape] of expectedEncoderShapes(config)) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      const isGamma = name.endsWith("LayerNorm.weight");
      const isBias = name.endsWith(".bias");
      for (let i = 0; i < n; i++) {
        if (isGamma) data[i] = 1 + (jitter ? 0.02 * jitter * rng.normal() : 0);
        else if (isBias) data[i] = jitter ? 0.02 * jitter * rng.normal() : 0;
        else data[i] = 0.02 * rng.normal();
      }
      out.set(name, { shape, data });
    }
    return out;
  }

  static random(config: BertConfig, seed: number, trainable = true): BertEncoder {
    return BertEncoder.fromTensors(config, BertEncoder.randomTensors(config, seed), trainable);
  }

  get numLayers(): number {
    return this.config.num_hidden_layers;
  }

  /** All variables in a stable order (for optimisers and checkpoints). */
  trainableVariables(): tf.Variable[] {
    return [...this.variables.values()];
  }

  setTrainable(trainable: boolean): void {
    for (const v of this.variables.values()) v.trainable = trainable;
  }

  private v(name: string): tf.Variable {
    const x = this.variables.get(name);
    if (!x) throw new Error(`internal: no variable ${name}`);
    return x;
  }

  /**
   * Dropout with a seed fixed by (call seed, example, layer, site), so a recomputation repeats the masks, an
   * example's masks do not depend on the rest of its batch (data-parallel shards), and a batch padded only to its
   * longest row draws the masks of the full-length one (`maskLength`), cut to size.
   */
  private dropout(
    x: tf.Tensor,
    rate: number,
    training: boolean,
    seed: number,
    layer: number,
    site: number,
    maskLength?: number,
  ): tf.Tensor {
    if (!training || rate <= 0) return x;
    // hidden states [B, T, H]: axis 1 is the position; attention probabilities [B, heads, T, T]: axes 2 and 3
    const seqAxes = x.rank === 4 ? [2, 3] : [1];
    return exampleDropout(x, rate, seed, (s) => (s * 997 + (layer + 1) * 16 + site) >>> 0, maskLength, seqAxes);
  }

  /** [batch, 1, 1, seq] additive attention bias: 0 for real tokens, FLOAT32_MIN for padding. */
  attentionBias(attentionMask: tf.Tensor2D): tf.Tensor4D {
    const [B, T] = attentionMask.shape;
    return tf.tidy(() => tf.reshape(tf.mul(tf.sub(1, tf.cast(attentionMask, "float32")), FLOAT32_MIN), [B, 1, 1, T]));
  }

  /** Embedding output (hidden state 0): word + position + token type, LayerNorm, dropout. */
  embed(inputIds: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    const cfg = this.config;
    return tf.tidy(() => {
      const [B, T] = inputIds.shape;
      if (T > cfg.max_position_embeddings) {
        throw new Error(`sequence length ${T} exceeds max_position_embeddings ${cfg.max_position_embeddings}`);
      }
      const positions = tf.range(0, T, 1, "int32");
      const types = opts.tokenTypeIds ?? tf.zeros([B, T], "int32");
      const x = tf.add(
        tf.add(
          tf.gather(this.v("embeddings.word_embeddings.weight"), inputIds),
          tf.expandDims(tf.gather(this.v("embeddings.position_embeddings.weight"), positions), 0),
        ),
        tf.gather(this.v("embeddings.token_type_embeddings.weight"), types),
      );
      const n = layerNorm(
        x,
        this.v("embeddings.LayerNorm.weight"),
        this.v("embeddings.LayerNorm.bias"),
        cfg.layer_norm_eps,
      );
      return this.dropout(
        n,
        cfg.hidden_dropout_prob,
        opts.training ?? false,
        opts.seed ?? 0,
        -1,
        0,
        opts.maskLength,
      ) as tf.Tensor3D;
    });
  }

  /** Transformer layer `l` (0-based) applied to x [batch, seq, hidden]. */
  layer(l: number, x: tf.Tensor3D, attnBias: tf.Tensor4D, opts: ForwardOptions = {}): tf.Tensor3D {
    const cfg = this.config;
    const training = opts.training ?? false;
    const seed = opts.seed ?? 0;
    return tf.tidy(() => {
      const [B, T, H] = x.shape;
      const nH = cfg.num_attention_heads;
      const dH = H / nH;
      const eps = cfg.layer_norm_eps;
      const p = `encoder.layer.${l}.`;
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, nH, dH]), [0, 2, 1, 3]);
      const lin = (n: string, input: tf.Tensor) => linear(input, this.v(`${p}${n}.weight`), this.v(`${p}${n}.bias`));
      const q = heads(lin("attention.self.query", x));
      const k = heads(lin("attention.self.key", x));
      const v = heads(lin("attention.self.value", x));
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dH)), attnBias);
      const probs = this.dropout(
        tf.softmax(scores, -1),
        cfg.attention_probs_dropout_prob,
        training,
        seed,
        l,
        0,
        opts.maskLength,
      );
      const ctx = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B, T, H]);
      const attnOut = this.dropout(
        lin("attention.output.dense", ctx),
        cfg.hidden_dropout_prob,
        training,
        seed,
        l,
        1,
        opts.maskLength,
      );
      const a = layerNorm(
        tf.add(attnOut, x),
        this.v(`${p}attention.output.LayerNorm.weight`),
        this.v(`${p}attention.output.LayerNorm.bias`),
        eps,
      );
      const inter = gelu(lin("intermediate.dense", a));
      const out = this.dropout(
        lin("output.dense", inter),
        cfg.hidden_dropout_prob,
        training,
        seed,
        l,
        2,
        opts.maskLength,
      );
      return layerNorm(
        tf.add(out, a),
        this.v(`${p}output.LayerNorm.weight`),
        this.v(`${p}output.LayerNorm.bias`),
        eps,
      ) as tf.Tensor3D;
    });
  }

  /** Canonical names of the variables used by `embed` (layer -1) or by `layer(l)`. */
  variableNames(l: number): string[] {
    const prefix = l < 0 ? "embeddings." : `encoder.layer.${l}.`;
    return [...this.variables.keys()].filter((k) => k.startsWith(prefix));
  }

  /**
   * Run the encoder. inputIds / attentionMask: int32 [batch, seq]. Returns
   * numLayers + 1 tensors [batch, seq, hidden] (index 0 = embeddings). The caller owns them.
   */
  forward(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D[] {
    return tf.tidy(() => {
      const bias = this.attentionBias(attentionMask);
      const hidden: tf.Tensor3D[] = [this.embed(inputIds, opts)];
      for (let l = 0; l < this.config.num_hidden_layers; l++) hidden.push(this.layer(l, hidden[l], bias, opts));
      return hidden;
    });
  }

  /** Current weights under hub names (`bert.` prefix), for writing a safetensors file. */
  toTensorMap(prefix = true): Promise<TensorMap> {
    return readTensorMap(this.variables, prefix ? hubName : (n) => n);
  }

  /** Overwrite variable values (canonical names). */
  assign(tensors: Map<string, NamedTensor>): void {
    for (const [name, v] of this.variables) {
      const t = tensors.get(name);
      if (t) tf.tidy(() => v.assign(tf.tensor(t.data, v.shape, "float32")));
    }
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

let uidCounter = 0;
function uid(): number {
  return ++uidCounter;
}
