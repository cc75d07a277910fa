/**
 * The optimizer, the trainer and the study's epoch loop (validation loss, final epoch on train + validation).
 *
 * @example
 *   const weights = ade.training.computeClassWeights(train.map((s) => s.labels), 5);
 *   const fit = ade.training.fitStudy(model, train, val, { profile, numClasses: 5, log: console.log });
 *   const predictions = ade.training.predictSequences(model, test, profile);
 */
export * from "../train";
export { computeClassWeights, sequenceClassWeights, weightedCrossEntropy } from "../bert/loss";
