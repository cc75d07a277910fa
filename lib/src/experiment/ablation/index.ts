/** The POS-embedding ablation: paired runs of both arms over seeds (run.ts), their summary, paired tests and conclusion (report.ts), and charts (figures.ts). */
export * from "./run";
export * from "./report";
export * from "./figures";
