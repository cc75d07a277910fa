/**
 * Masked-language-model pretraining of a BERT encoder, as BERT's own recipe (without next-sentence prediction):
 * 15 % of the real tokens of each sequence are chosen (at least one), 80 % of them replaced by `[MASK]`, 10 % by
 * a random token, 10 % left; the model predicts the original token at the chosen positions only.
 *
 * The head is `BertForMaskedLM`'s: dense (hidden -> hidden), exact GELU, LayerNorm, then the word-embedding
 * matrix (tied) plus a bias per token; its tensors carry the Hugging Face names (`cls.predictions.*`), which
 * every encoder loader ignores. Logits are formed only at the chosen positions (a gather before the head), so
 * a step costs the encoder plus [chosen x vocabulary], not [all positions x vocabulary].
 *
 * Batches are drawn with a seeded generator (sentences sampled without replacement, epoch after epoch) and each
 * is padded only to its own longest sequence. Training stops at `steps` updates or at `maxSeconds`, whichever
 * comes first; both are recorded.
 */
import * as tf from "@tensorflow/tfjs";
import { readTensorMap } from "../ops/read";
import { gelu, layerNorm, linear, type BertEncoder } from "../bert/encoder";
import type { TensorMap } from "../io/safetensors";
import { IGNORE_INDEX } from "../bert/tokenizer";
import { AdeflowError } from "../errors";
import { weightedCrossEntropy } from "../bert/loss";
import { Rng } from "../random/rng";
import { Trainer } from "./trainer";

export interface MlmSpecialIds {
  maskId: number;
  /** Ids never chosen as targets nor drawn as random replacements ([PAD], [CLS], [SEP], [UNK], [MASK]). */
  special: readonly number[];
  vocabSize: number;
}

export interface MaskedBatch {
  batch: number;
  seqLen: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  /** Original id at chosen positions, -100 elsewhere. */
  labels: Int32Array;
  /** Flat indices (b * seqLen + t) of the chosen positions. */
  chosen: Int32Array;
}

/**
 * Mask a batch of token-id sequences (each `[CLS] ... [SEP]`, unpadded) for MLM: pads to the longest one,
 * chooses round(probability x candidates) positions per sequence (at least one) among its non-special tokens.
 */
export function maskForMlm(
  sequences: readonly (readonly number[])[],
  ids: MlmSpecialIds,
  rng: Rng,
  probability = 0.15,
  padId = 0,
): MaskedBatch {
  const B = sequences.length;
  const T = Math.max(...sequences.map((s) => s.length));
  const special = new Set(ids.special);
  const replacements: number[] = [];
  for (let v = 0; v < ids.vocabSize; v++) if (!special.has(v)) replacements.push(v);
  const out: MaskedBatch = {
    batch: B,
    seqLen: T,
    inputIds: new Int32Array(B * T).fill(padId),
    attentionMask: new Int32Array(B * T),
    labels: new Int32Array(B * T).fill(IGNORE_INDEX),
    chosen: new Int32Array(0),
  };
  const chosen: number[] = [];
  sequences.forEach((seq, b) => {
    const candidates: number[] = [];
    seq.forEach((id, t) => {
      out.inputIds[b * T + t] = id;
      out.attentionMask[b * T + t] = 1;
      if (!special.has(id)) candidates.push(t);
    });
    if (candidates.length === 0) return;
    const n = Math.max(1, Math.round(probability * candidates.length));
    for (const t of rng
      .shuffle(candidates)
      .slice(0, n)
      .sort((x, y) => x - y)) {
      const at = b * T + t;
      out.labels[at] = seq[t];
      chosen.push(at);
      const r = rng.next();
      if (r < 0.8) out.inputIds[at] = ids.maskId;
      else if (r < 0.9) out.inputIds[at] = replacements[rng.int(replacements.length)];
    }
  });
  out.chosen = Int32Array.from(chosen);
  return out;
}

let headCounter = 0;

export class MlmHead {
  readonly variables = new Map<string, tf.Variable>();

  constructor(
    readonly encoder: BertEncoder,
    seed: number,
  ) {
    const H = encoder.config.hidden_size;
    const V = encoder.config.vocab_size;
    const rng = new Rng(seed);
    const dense = new Float32Array(H * H);
    for (let i = 0; i < dense.length; i++) dense[i] = 0.02 * rng.normal();
    const v = (name: string, t: tf.Tensor) =>
      this.variables.set(name, tf.variable(t, true, `mlm/${name}/${++headCounter}`));
    v("cls.predictions.transform.dense.weight", tf.tensor2d(dense, [H, H]));
    v("cls.predictions.transform.dense.bias", tf.zeros([H]));
    v("cls.predictions.transform.LayerNorm.weight", tf.ones([H]));
    v("cls.predictions.transform.LayerNorm.bias", tf.zeros([H]));
    v("cls.predictions.bias", tf.zeros([V]));
  }

  /** Encoder variables (`bert.` names) and the head's, for the Trainer. */
  params(): Map<string, tf.Variable> {
    const m = new Map<string, tf.Variable>();
    for (const [k, v] of this.encoder.variables) m.set(`bert.${k}`, v);
    for (const [k, v] of this.variables) m.set(k, v);
    return m;
  }

  private get(name: string): tf.Variable {
    return this.variables.get(name)!;
  }

  /** Mean cross-entropy over the chosen positions of a masked batch. */
  loss(batch: MaskedBatch, training: boolean, seed = 0): tf.Scalar {
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [batch.batch, batch.seqLen], "int32");
      const mask = tf.tensor2d(batch.attentionMask, [batch.batch, batch.seqLen], "int32");
      const hs = this.encoder.forward(ids, mask, { training, seed });
      const last = tf.reshape(hs[hs.length - 1], [batch.batch * batch.seqLen, this.encoder.config.hidden_size]);
      const at = tf.gather(last, tf.tensor1d(batch.chosen, "int32"));
      const t = layerNorm(
        gelu(
          linear(
            at,
            this.get("cls.predictions.transform.dense.weight"),
            this.get("cls.predictions.transform.dense.bias"),
          ),
        ),
        this.get("cls.predictions.transform.LayerNorm.weight"),
        this.get("cls.predictions.transform.LayerNorm.bias"),
        this.encoder.config.layer_norm_eps,
      );
      // tied decoder: the word-embedding matrix [vocab, hidden] is already in the [out, in] layout linear() takes
      const logits = linear(
        t,
        this.encoder.variables.get("embeddings.word_embeddings.weight")!,
        this.get("cls.predictions.bias"),
      );
      const labels = tf.gather(tf.tensor1d(batch.labels, "int32"), tf.tensor1d(batch.chosen, "int32"));
      return weightedCrossEntropy(logits, labels);
    });
  }

  /** The head's tensors under their Hugging Face names (saved next to the encoder). */
  toTensorMap(): Promise<TensorMap> {
    return readTensorMap(this.variables, (n) => n);
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

export interface MlmPretrainingOptions {
  /** Optimizer updates at most. */
  steps: number;
  /** Wall-clock budget in seconds; training stops after the update that crosses it. */
  maxSeconds: number;
  batchSize: number;
  learningRate: number;
  /** Linear warm-up as a fraction of `steps` (BERT: 0.01-0.1). */
  warmupFraction?: number;
  maskProbability?: number;
  seed: number;
  /** Called after every `logEvery` updates with the step and the mean loss since the last call. */
  log?: (step: number, meanLoss: number, seconds: number) => void;
  logEvery?: number;
}

export interface MlmPretrainingResult {
  steps: number;
  seconds: number;
  /** Training loss of every update, in order. */
  losses: number[];
  /** True when the time budget, not the step budget, ended the run. */
  stoppedByTime: boolean;
  tokensSeen: number;
}

/** Pretrain `head.encoder` (in place) on token-id sequences with the MLM objective. */
export async function pretrainMlm(
  head: MlmHead,
  sequences: readonly (readonly number[])[],
  ids: MlmSpecialIds,
  options: MlmPretrainingOptions,
): Promise<MlmPretrainingResult> {
  if (sequences.length === 0) throw new AdeflowError("MLM pretraining needs at least one sentence");
  if (!(options.steps > 0) || !(options.batchSize > 0))
    throw new AdeflowError(
      `MLM pretraining needs steps > 0 and batchSize > 0 (got ${options.steps}, ${options.batchSize})`,
    );
  const trainer = new Trainer(head.params(), {
    lr: options.learningRate,
    totalSteps: options.steps,
    warmupSteps: Math.round((options.warmupFraction ?? 0.06) * options.steps),
    accumulationSteps: 1,
    maxGradNorm: 1.0,
    seed: options.seed,
  });
  const rng = new Rng(options.seed ^ 0x5bd1e995);
  let order: number[] = [];
  const nextBatch = (): (readonly number[])[] => {
    const out: (readonly number[])[] = [];
    while (out.length < Math.min(options.batchSize, sequences.length)) {
      if (order.length === 0) order = rng.shuffle(Array.from({ length: sequences.length }, (_, i) => i));
      out.push(sequences[order.pop()!]);
    }
    return out;
  };
  const started = Date.now();
  const losses: number[] = [];
  let tokensSeen = 0;
  let stoppedByTime = false;
  const logEvery = options.logEvery ?? 50;
  try {
    while (trainer.step < options.steps) {
      const batch = maskForMlm(nextBatch(), ids, rng, options.maskProbability ?? 0.15);
      tokensSeen += batch.attentionMask.reduce((a, b) => a + b, 0);
      losses.push((await trainer.microBatch((seed) => head.loss(batch, true, seed))).loss);
      const seconds = (Date.now() - started) / 1000;
      if (options.log && (trainer.step % logEvery === 0 || trainer.step === options.steps)) {
        const recent = losses.slice(-logEvery);
        options.log(trainer.step, recent.reduce((a, b) => a + b, 0) / recent.length, seconds);
      }
      if (seconds >= options.maxSeconds && trainer.step < options.steps) {
        stoppedByTime = true;
        break;
      }
    }
  } finally {
    trainer.dispose();
  }
  return { steps: losses.length, seconds: (Date.now() - started) / 1000, losses, stoppedByTime, tokensSeen };
}
