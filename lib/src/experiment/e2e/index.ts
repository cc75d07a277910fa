/** NER then RE on raw text: masking predicted entities and reading relations (chain.ts), scoring the chain on the test split (evaluate.ts), and the predictor notebooks and `adeflow predict` use (predictor.ts). */
export * from "./chain";
export * from "./evaluate";
export * from "./predictor";
