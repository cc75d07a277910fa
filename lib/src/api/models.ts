/**
 * BERT in TensorFlow.js, its task heads, the relation model, the POS tagger, and the backend they run on.
 *
 * @example
 *   const backend = await ade.models.initBackend();           // the fastest that loads; ADEFLOW_BACKEND forces one
 *   const bert = await ade.models.loadBert("bert-base-cased");  // a hub id or a local Hugging Face folder
 *   const seq = bert.tokenizer.encodeWords(["Ototoxicity", "from", "azithromycin"], [3, 0, 1], 128);
 *   const ner = new ade.models.TokenClassifier(bert.encoder, 5, 0);
 */
export * from "../backend";
export * from "../bert";
export * from "../re";
export * from "../pos";
export { readSafetensors, parseSafetensors, serializeSafetensors, type TensorMap } from "../io/safetensors";
