/**
 * BERT + linear token-classification head (dropout, then Linear(hidden -> numLabels) on the
 * last hidden state), as in BertForTokenClassification. Parameters are exposed as one
 * named map (`bert.<canonical>` and `classifier.weight/bias`) for the Trainer.
 */
import * as tf from "@tensorflow/tfjs";
import { readInt32Of } from "../ops/read";
import type { BertEncoder } from "./encoder";
import { linear } from "./encoder";
import type { AlignedBatch } from "./tokenizer";
import { weightedCrossEntropy } from "./loss";
import { Rng } from "../random/rng";
import { exampleDropout } from "../ops/example-dropout";

export class TokenClassifier {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    readonly encoder: BertEncoder,
    readonly numLabels: number,
    seed: number,
  ) {
    const H = encoder.config.hidden_size;
    const rng = new Rng(seed);
    const w = new Float32Array(numLabels * H);
    for (let i = 0; i < w.length; i++) w[i] = 0.02 * rng.normal();
    this.weight = tf.tidy(() => tf.variable(tf.tensor2d(w, [numLabels, H]), true));
    this.bias = tf.tidy(() => tf.variable(tf.zeros([numLabels]), true));
  }

  params(): Map<string, tf.Variable> {
    const m = new Map<string, tf.Variable>();
    for (const [k, v] of this.encoder.variables) m.set(`bert.${k}`, v);
    m.set("classifier.weight", this.weight);
    m.set("classifier.bias", this.bias);
    return m;
  }

  /** Head on the last hidden state: dropout (training only; masks drawn for `maskLength` positions) then Linear. */
  head(last: tf.Tensor3D, training: boolean, seed = 0, maskLength?: number): tf.Tensor3D {
    return tf.tidy(() => {
      let x: tf.Tensor = last;
      const rate = this.encoder.config.hidden_dropout_prob;
      if (training && rate > 0) x = exampleDropout(x, rate, seed, (s) => (s * 31 + 7) >>> 0, maskLength, [1]);
      return linear(x, this.weight, this.bias) as tf.Tensor3D;
    });
  }

  /** Logits [batch, seq, numLabels]; `maskLength` as in the encoder's ForwardOptions. */
  logits(inputIds: tf.Tensor2D, mask: tf.Tensor2D, training: boolean, seed = 0, maskLength?: number): tf.Tensor3D {
    return tf.tidy(() => {
      const hs = this.encoder.forward(inputIds, mask, { training, seed, maskLength });
      return this.head(hs[hs.length - 1], training, seed, maskLength);
    });
  }

  /** Weighted CE loss of a batch (see loss.ts for the reduction). */
  loss(batch: AlignedBatch, classWeights: tf.Tensor1D | undefined, training: boolean, seed = 0): tf.Scalar {
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [batch.batch, batch.seqLen], "int32");
      const mask = tf.tensor2d(batch.attentionMask, [batch.batch, batch.seqLen], "int32");
      const labels = tf.tensor2d(batch.labels, [batch.batch, batch.seqLen], "int32");
      return weightedCrossEntropy(this.logits(ids, mask, training, seed, batch.paddedLength), labels, classWeights);
    });
  }

  /** Arg-max label per position [batch * seq]. */
  predict(batch: AlignedBatch): Promise<Int32Array> {
    return readInt32Of(() => {
      const ids = tf.tensor2d(batch.inputIds, [batch.batch, batch.seqLen], "int32");
      const mask = tf.tensor2d(batch.attentionMask, [batch.batch, batch.seqLen], "int32");
      return tf.argMax(this.logits(ids, mask, false), -1);
    });
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}
