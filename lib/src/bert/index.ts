/**
 * BERT for adeflow, in TensorFlow.js.
 *
 *   const bert = await loadBert("bert-base-cased" | "/path/to/folder");  // checkpoint.ts
 *   const seq = bert.tokenizer.encodeWords(words, labels, 128);         // tokenizer.ts
 *   const hs = bert.encoder.forward(ids, mask, { training, seed });     // encoder.ts: 13 states for bert-base
 *   new FeatureExtractor(bert, { layers: [11, 10, 9, 8] }).extract(texts) // features.ts: cached frozen features
 *
 * Checked against an independent PyTorch implementation (scripts/torch_reference.py):
 * lib/test/bert-torch.test.ts. The tiny test checkpoint is made by lib/test/support/tiny.ts
 * (scripts/make-tiny-checkpoint.js). The task heads: token-classifier.ts (NER) and the loss both heads
 * share (loss.ts); the relation model is in re/.
 */
export * from "./config";
export * from "./weights";
export * from "./encoder";
export * from "./tokenizer";
export * from "./wordpiece";
export * from "./wordpiece-trainer";
export * from "./checkpoint";
export * from "./registry-mirror";
export * from "./features";
export * from "./loss";
export * from "./token-classifier";
