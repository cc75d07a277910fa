import { relationScores, type Prf, type Relation } from "../../metrics/entity";
import { tokenScores, type TokenScores } from "../../metrics/token";
import type { StudyPipelineOutput } from "../../pipeline/study-pipeline";
import { goldRelations } from "./chain";
import { encodeReWords } from "../../re/mask-ids";
import { nerWordsAndTags } from "../ner/data";
import type { AdePredictor } from "./predictor";

export interface EndToEndEvaluation {
  /** The field's measure: a predicted pair counts when both spans are exact and they are paired. */
  relation: Prf;
  /** The study's measure of its final model: RE labels position by position against the gold RE row. */
  token: TokenScores;
  rows: number;
  /** Gold pairs whose entity never occurs as whole words (cannot be matched by any prediction). */
  unlocatableGoldPairs: number;
  examples: { row: number; words: string[]; gold: Relation[]; predicted: Relation[] }[];
}

/** Chain NER and RE on the given rows of a split's frames (the study's, or the leak-free one's) and score the relations read off. */
export async function evaluateEndToEnd(
  predictor: AdePredictor,
  pipeline: Pick<StudyPipelineOutput, "ner" | "re">,
  rows: readonly number[],
): Promise<EndToEndEvaluation> {
  const gold: Relation[][] = [];
  const predicted: Relation[][] = [];
  const yTrue: number[] = [];
  const yPred: number[] = [];
  let unlocatable = 0;
  const examples: EndToEndEvaluation["examples"] = [];
  const wordsOf = rows.map((row) => nerWordsAndTags(pipeline.ner[row]).words);
  // every row at once, in batches: what each row gives alone (predictManyWords)
  const outs = await predictor.predictManyWords(wordsOf);
  for (const [i, row] of rows.entries()) {
    const ner = pipeline.ner[row];
    const words = wordsOf[i];
    const out = outs[i];
    const g = goldRelations(words, ner.drug, ner.effect);
    unlocatable += g.unlocatable;
    gold.push(g.relations);
    predicted.push(out.relations);
    examples.push({ row, words, gold: g.relations, predicted: out.relations });
    // as the study's test_final: the RE logits on the chained input against the gold RE labels, position-wise
    const re = pipeline.re[row];
    const goldSeq = encodeReWords(
      predictor.re.bert.tokenizer,
      re.maskedText.split(" "),
      re.annotatedText,
      predictor.maxLength,
    );
    for (let k = 0; k < goldSeq.labels.length; k++) {
      if (goldSeq.labels[k] === -100) continue;
      yTrue.push(goldSeq.labels[k]);
      yPred.push(out.rePieces[k]);
    }
  }
  return {
    relation: relationScores(gold, predicted),
    token: tokenScores(yTrue, yPred),
    rows: rows.length,
    unlocatableGoldPairs: unlocatable,
    examples,
  };
}
