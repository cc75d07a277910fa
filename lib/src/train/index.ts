/**
 * Training: AdamW (optim.ts), the linear schedule, global-norm clipping, gradient accumulation, seeded
 * shuffling and atomic checkpoints (trainer.ts), the study's class weights (class-weights.ts), the study's epoch
 * loop with its validation loss and final epoch on train + validation (fit.ts), and weight snapshots
 * (snapshot.ts). The models it trains and their loss live in bert/ and re/.
 */
export * from "./optim";
export * from "./trainer";
export * from "./class-weights";
export * from "./fit";
export * from "./snapshot";
