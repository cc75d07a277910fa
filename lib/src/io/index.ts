/**
 * File formats and safe writing in one place: atomic writes of text, JSON and JSON Lines (atomic.ts), and
 * safetensors, the weight format of Hugging Face checkpoints (safetensors.ts).
 */
export * from "./atomic";
export * from "./safetensors";
