/**
 * The tensors of an exported model, by the names PyTorch modules give them: the encoder as `bert.<name>` (the hub's
 * BertModel inside a task model), then the head. The NER head is `classifier.weight` [labels, hidden] and
 * `classifier.bias`, BertForTokenClassification's; the RE head keeps the PyTorch names and layouts it is built with
 * (`lstm.weight_ih_l0` [4H, in] ... `_reverse`, `dense.*`, `classifier.*` of nn.Linear: [out, in]). Values are the
 * model's float32 numbers, unchanged.
 */
import type * as tf from "@tensorflow/tfjs";
import type { TokenClassifier } from "../../bert/token-classifier";
import type { BertEncoder } from "../../bert/encoder";
import { hubName } from "../../bert/weights";
import type { TensorMap } from "../../io/safetensors";
import { readTensorMap } from "../../ops/read";
import type { RelationModel } from "../../re/model";

function encoderEntries(encoder: BertEncoder): [string, tf.Tensor][] {
  return [...encoder.variables].map(([k, v]) => [hubName(k), v]);
}

/** BertForTokenClassification's tensors: `bert.*`, `classifier.weight`, `classifier.bias`. */
export function nerHubTensors(model: TokenClassifier): Promise<TensorMap> {
  return readTensorMap([
    ...encoderEntries(model.encoder),
    ["classifier.weight", model.weight],
    ["classifier.bias", model.bias],
  ]);
}

/** The RE model's tensors: `bert.*` (every layer, even those above the hidden states it reads), then the head's. */
export function reHubTensors(model: RelationModel): Promise<TensorMap> {
  return readTensorMap([...encoderEntries(model.encoder), ...model.head.variables]);
}
