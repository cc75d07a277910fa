import { confusionMatrix, tokenScores, type TokenScores } from "../../metrics/token";
import { entityScores, type EntityScores } from "../../metrics/entity";
import { NER_LABELS, type NerLabel } from "../../pipeline/rows";
import { wordTagsFromPieces, type NerExample } from "./data";
import { scoredPositions } from "../shared/pieces";

export interface NerEvaluation {
  /** The study's metric: sub-token positions with a label. */
  token: TokenScores;
  /** The field's metric: whole words, seqeval entities. */
  entity: EntityScores;
  /** Row-normalized confusion matrix over the five labels (sub-token level). */
  confusion: number[][];
  /** Per example: gold and predicted word tags. */
  words: { row: number; words: string[]; gold: NerLabel[]; predicted: NerLabel[]; errors: number }[];
}

export function evaluateNer(examples: readonly NerExample[], predictions: readonly Int32Array[]): NerEvaluation {
  const { yTrue, yPred } = scoredPositions(
    examples.map((ex) => ex.sequence),
    predictions,
  );
  const words = examples.map((ex, i) => {
    const predicted = wordTagsFromPieces(ex.sequence, predictions[i], ex.words.length);
    return {
      row: ex.row,
      words: ex.words,
      gold: ex.tags,
      predicted,
      errors: predicted.filter((t, k) => t !== ex.tags[k]).length,
    };
  });
  return {
    token: tokenScores(yTrue, yPred),
    entity: entityScores(
      words.map((w) => w.gold),
      words.map((w) => w.predicted),
    ),
    confusion: confusionMatrix(yTrue, yPred, NER_LABELS.length, "true"),
    words,
  };
}
