/**
 * The study's data pipeline, ported literally: rows and labels (rows.ts), cleaning, deduplication and the
 * ambiguity filter (clean.ts, preprocess.ts), IOB tags over Treebank tokens (iob.ts), RE masks (mask.ts), the
 * concatenation augmentation (augment.ts), the split (split.ts), all of it in one call (study-pipeline.ts);
 * the leakage it causes (leakage.ts), corrected variants (variants.ts), and the reference sample (reference.ts).
 */
export * from "./rows";
export * from "./clean";
export * from "./preprocess";
export * from "./iob";
export * from "./mask";
export * from "./augment";
export * from "./split";
export * from "./study-pipeline";
export * from "./leakage";
export * from "./variants";
export * from "./reference";
