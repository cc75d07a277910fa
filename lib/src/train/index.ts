/**
 * Training mechanics of the study: AdamW (optim.ts), linear schedule with warm-up, global-norm
 * clipping, gradient accumulation, seeded dropout/shuffling and atomic checkpoints
 * (trainer.ts), balanced class weights and the count-normalised weighted CE (loss.ts), a
 * BERT token-classification head (token-classifier.ts). The study's epoch loop is experiment/fit.ts.
 */
export * from "./rng";
export * from "./loss";
export * from "./optim";
export * from "./trainer";
export * from "./token-classifier";
export * from "./smoke";
export * from "./snapshot";
export * from "./mlm";
