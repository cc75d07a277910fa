/**
 * Trained models as Hugging Face folders and back: the export (export.ts) with its config (hf-config.ts), tensors
 * (hf-tensors.ts), model card (card.ts, with the run's scores from run-scores.ts) and the guard on its target
 * (guard.ts); exported folders read back for prediction and fine-tuning (import.ts). docs/export.md says what is
 * written and how it was checked in Python transformers.
 */
export * from "./hf-config";
export * from "./hf-tensors";
export * from "./guard";
export * from "./run-scores";
export * from "./card";
export * from "./export";
export * from "./import";
