/**
 * Scores: the study's token-level precision, recall and F1 (scikit-learn's), the field's entity-level strict
 * scores (seqeval's), and the paired t-test the ablation uses.
 *
 * @example
 *   ade.metrics.tokenScores([0, 1, 2], [0, 1, 1]).macro.f1;
 *   ade.metrics.entityScores([["B-Drug", "O"]], [["B-Drug", "O"]]).micro.f1;   // 1
 */
export * from "../metrics";
export * from "../stats";
