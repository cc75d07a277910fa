/**
 * The study's relation-extraction model: BERT (all hidden states) -> four hidden states
 * concatenated per token -> RelationHead (dropout 0.4, BiLSTM 128, flatten, Linear 384,
 * Linear 128 x 5, GELU) -> association logits [batch, 128, 5].
 *
 * Layer choice. The study's code concatenates hidden states 11, 10, 9 and 8 of bert-base's 13
 * (index 0 = embeddings, i = output of layer i), in that order: meant as "the last four
 * layers", it is off by one and leaves the last layer (12) out. We keep that. For a checkpoint
 * with L encoder layers the default generalises it as hidden states L-1, L-2, L-3, L-4, each
 * clamped at 0 (L = 12 gives [11, 10, 9, 8]; the 2-layer test checkpoint gives [1, 0, 0, 0]).
 * Any other selection can be passed as `layers` (indices into the L+1 hidden states).
 *
 * The interface mirrors TokenClassifier (params / logits / loss / predict / dispose), so the
 * same Trainer trains both. With `frozenEncoder: true` the encoder runs in eval mode (no
 * dropout, so its features equal cached ones) and `params()` holds the head only; to train the
 * head on cached encoder features use `model.head` (or a RelationHead alone) with
 * features [b, 128, 4 x hidden] from `features()` or the feature cache.
 *
 * With `posEmbeddingSize` > 0 (the POS ablation, notebook 07) every sequence of a batch must be a
 * `PosAlignedSequence`: its `posIds` are looked up in the head's POS embedding (see head.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { readInt32Of } from "../ops/read";
import type { BertEncoder } from "../bert/encoder";
import type { AlignedBatch, AlignedSequence } from "../bert/tokenizer";
import { AdeflowError } from "../errors";
import { weightedCrossEntropy } from "../bert/loss";
import { RelationHead, type RelationHeadOptions, type RelationParameterCount } from "./head";

/** An aligned sequence with one POS id per position ([PAD] = 0 on specials and padding; see pos/align.ts). */
export interface PosAlignedSequence extends AlignedSequence {
  posIds: Int32Array;
}

/** The study's hidden-state selection for bert-base (12 layers). */
export const STUDY_RE_LAYERS: readonly number[] = [11, 10, 9, 8];

/** Hidden states L-1, L-2, L-3, L-4 (clamped at 0) of an L-layer encoder; [11, 10, 9, 8] for 12. */
export function defaultRelationLayers(numLayers: number): number[] {
  return [1, 2, 3, 4].map((k) => Math.max(0, numLayers - k));
}

export interface RelationModelOptions extends Omit<RelationHeadOptions, "inputGradient"> {
  /** Hidden-state indices (0 = embeddings .. L) concatenated in this order. Default: defaultRelationLayers(L). */
  layers?: number[];
  /** Encoder in eval mode and left out of params() (default false: fine-tune BERT too). */
  frozenEncoder?: boolean;
}

export class RelationModel {
  readonly head: RelationHead;
  readonly layers: readonly number[];
  readonly frozenEncoder: boolean;

  constructor(
    readonly encoder: BertEncoder,
    readonly options: RelationModelOptions = {},
  ) {
    const L = encoder.config.num_hidden_layers;
    const layers = options.layers ?? defaultRelationLayers(L);
    if (layers.length === 0) throw new AdeflowError("relation model: layers must name at least one hidden state");
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l > L) {
        throw new AdeflowError(
          `relation model: hidden state ${l} does not exist (the encoder has ${L} layers: indices 0 = embeddings .. ${L})`,
        );
      }
    }
    this.layers = [...layers];
    this.frozenEncoder = options.frozenEncoder ?? false;
    this.head = new RelationHead(layers.length * encoder.config.hidden_size, {
      ...options,
      inputGradient: !this.frozenEncoder,
    });
  }

  get seqLen(): number {
    return this.head.seqLen;
  }

  get numClasses(): number {
    return this.head.numClasses;
  }

  /** `bert.<canonical>` encoder variables (unless frozen), then the head's PyTorch-named ones. */
  params(): Map<string, tf.Variable> {
    const m = new Map<string, tf.Variable>();
    if (!this.frozenEncoder) for (const [k, v] of this.encoder.variables) m.set(`bert.${k}`, v);
    for (const [k, v] of this.head.variables) m.set(k, v);
    return m;
  }

  /**
   * Names in params() that the loss does not depend on, hence get no gradient (tf.variableGrads
   * omits them; Trainer and AdamW skip them): the encoder layers above the highest selected
   * hidden state — with the study's [11, 10, 9, 8], BERT's last layer (`encoder.layer.11.*`,
   * 0-based) is never trained. Empty when the encoder is frozen.
   */
  parametersWithoutGradient(): string[] {
    if (this.frozenEncoder) return [];
    const top = Math.max(...this.layers);
    const out: string[] = [];
    for (const k of this.encoder.variables.keys()) {
      const m = /^encoder\.layer\.(\d+)\./.exec(k);
      if (m && Number(m[1]) >= top) out.push(`bert.${k}`);
    }
    return out;
  }

  /**
   * Per-token features [b, seqLen, layers.length x hidden]: the selected hidden states concatenated along the
   * feature axis, zero at padding. Encoder dropout only with training (and not frozen).
   *
   * Padding carries no features: the study's BiLSTM also read BERT's outputs at [PAD] positions, which only echo
   * the sentence. With them zeroed, the encoder needs to run only as far as the batch's longest row (`length`),
   * and the features are padded with zeros to the head's fixed length: the same features, bit for bit in exact
   * arithmetic, as running it over all 128 positions, at a third of the cost for the corpus's sentences. Dropout
   * masks are drawn for the full length and cut (`maskLength`), as for bucketed NER batches.
   */
  features(inputIds: tf.Tensor2D, mask: tf.Tensor2D, training = false, seed = 0, length?: number): tf.Tensor3D {
    this.head.checkShape(inputIds.shape, "input ids");
    const [B, T] = inputIds.shape;
    const L = Math.max(1, Math.min(T, length ?? T));
    return tf.tidy(() => {
      const ids = L < T ? (tf.slice(inputIds, [0, 0], [B, L]) as tf.Tensor2D) : inputIds;
      const m = L < T ? (tf.slice(mask, [0, 0], [B, L]) as tf.Tensor2D) : mask;
      const hs = this.encoder.forward(ids, m, { training: training && !this.frozenEncoder, seed, maskLength: T });
      const real = tf.expandDims(tf.cast(m, "float32"), 2);
      const features = tf.mul(
        tf.concat(
          this.layers.map((l) => hs[l]),
          2,
        ),
        real,
      ) as tf.Tensor3D;
      return L < T
        ? (tf.pad(features, [
            [0, 0],
            [0, T - L],
            [0, 0],
          ]) as tf.Tensor3D)
        : features;
    });
  }

  /**
   * Association logits [b, seqLen, numClasses] (POS ids [b, seqLen] when the head has a POS embedding); `length`,
   * the batch's longest row, is how far the encoder runs (see `features`).
   */
  logits(
    inputIds: tf.Tensor2D,
    mask: tf.Tensor2D,
    training: boolean,
    seed = 0,
    posIds?: tf.Tensor2D,
    length?: number,
  ): tf.Tensor3D {
    return tf.tidy(() =>
      this.head.logits(this.features(inputIds, mask, training, seed, length), training, seed, posIds),
    );
  }

  /** Weighted CE loss of a batch (see train/loss.ts for the reduction). */
  loss(batch: AlignedBatch, classWeights: tf.Tensor1D | undefined, training: boolean, seed = 0): tf.Scalar {
    this.head.checkShape([batch.batch, batch.seqLen], "batch rows");
    return tf.tidy(() => {
      const { ids, mask, pos } = this.inputs(batch);
      const labels = tf.tensor2d(batch.labels, [batch.batch, batch.seqLen], "int32");
      return weightedCrossEntropy(this.logits(ids, mask, training, seed, pos, longestRow(batch)), labels, classWeights);
    });
  }

  /** Arg-max class per position [batch * seqLen]. */
  predict(batch: AlignedBatch): Promise<Int32Array> {
    this.head.checkShape([batch.batch, batch.seqLen], "batch rows");
    return readInt32Of(() => {
      const { ids, mask, pos } = this.inputs(batch);
      return tf.argMax(this.logits(ids, mask, false, 0, pos, longestRow(batch)), -1);
    });
  }

  private inputs(batch: AlignedBatch): { ids: tf.Tensor2D; mask: tf.Tensor2D; pos?: tf.Tensor2D } {
    return {
      ids: tf.tensor2d(batch.inputIds, [batch.batch, batch.seqLen], "int32"),
      mask: tf.tensor2d(batch.attentionMask, [batch.batch, batch.seqLen], "int32"),
      pos:
        this.head.posEmbeddingSize > 0
          ? tf.tensor2d(stackPosIds(batch), [batch.batch, batch.seqLen], "int32")
          : undefined,
    };
  }

  parameterCount(): RelationParameterCount {
    const h = this.head.parameterCount();
    let encoder = 0;
    for (const v of this.encoder.variables.values()) encoder += v.size;
    return { ...h, encoder, total: encoder + h.head, trainable: h.head + (this.frozenEncoder ? 0 : encoder) };
  }

  /** Frees the head's weights (the encoder belongs to the caller, as in TokenClassifier). */
  dispose(): void {
    this.head.dispose();
  }
}

/** The longest real row of a batch, from its attention mask (what the encoder must read). */
export function longestRow(batch: AlignedBatch): number {
  let longest = 1;
  for (let b = 0; b < batch.batch; b++) {
    let n = 0;
    const at = b * batch.seqLen;
    for (let t = 0; t < batch.seqLen; t++) n += batch.attentionMask[at + t];
    if (n > longest) longest = n;
  }
  return longest;
}

/** The POS ids of a batch, row-major [batch, seqLen], from its PosAlignedSequences. */
export function stackPosIds(batch: AlignedBatch): Int32Array {
  const out = new Int32Array(batch.batch * batch.seqLen);
  batch.sequences.forEach((s, b) => {
    const ids = (s as Partial<PosAlignedSequence>).posIds;
    if (!ids)
      throw new AdeflowError(
        `relation model with a POS embedding: sequence ${b} of the batch has no posIds (tag the rows first, see pos/align.ts)`,
      );
    if (ids.length !== batch.seqLen)
      throw new AdeflowError(`relation model: sequence ${b} has ${ids.length} POS ids for ${batch.seqLen} positions`);
    out.set(ids, b * batch.seqLen);
  });
  return out;
}
