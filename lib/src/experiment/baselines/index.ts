/** Baselines that learn only a list (baselines.ts) and the notebooks' tables of them beside the models, on the study's and the leak-free split (comparison.ts). */
export * from "./baselines";
export * from "./comparison";
