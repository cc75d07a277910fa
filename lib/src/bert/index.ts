/**
 * BERT for adeflow, in TensorFlow.js.
 *
 *   const bert = await loadBert("bert-base-cased" | "/path/to/folder");  // checkpoint.ts
 *   const seq = bert.tokenizer.encodeWords(words, labels, 128);         // tokenizer.ts
 *   const hs = bert.encoder.forward(ids, mask, { training, seed });     // encoder.ts: 13 states for bert-base
 *   new FeatureExtractor(bert, { layers: [11, 10, 9, 8] }).extract(texts) // features.ts: cached frozen features
 *
 * Checked against an independent PyTorch implementation (scripts/torch_reference.py):
 * lib/test/bert-torch.test.ts. The tiny test checkpoint comes from tiny.ts
 * (scripts/make-tiny-checkpoint.js).
 */
export * from "./config";
export * from "./safetensors";
export * from "./weights";
export * from "./encoder";
export * from "./tokenizer";
export * from "./wordpiece";
export * from "./wordpiece-trainer";
export * from "./checkpoint";
export * from "./tiny";
export * from "./features";
