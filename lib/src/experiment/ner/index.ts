/** Named entity recognition as the study ran it: rows to sub-token sequences (data.ts), the model and its storage (task.ts), token- and entity-level evaluation (evaluate.ts). */
export * from "./data";
export * from "./task";
export * from "./evaluate";
