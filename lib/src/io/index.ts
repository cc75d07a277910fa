/**
 * File formats and safe writing in one place: atomic writes of text, JSON and JSON Lines (atomic.ts), and
 * safetensors, the weight format of Hugging Face checkpoints (safetensors.ts), and whole folders replaced at once
 * (folder.ts).
 */
export * from "./atomic";
export * from "./safetensors";
export * from "./run-folder";
export * from "./folder";
