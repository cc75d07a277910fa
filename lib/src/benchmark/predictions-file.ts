import * as fs from "node:fs";
import { AdeflowError, InputFileError } from "../errors";
import { writeJsonAtomic } from "../io";
import { checkSentence, type BenchmarkDataset, type BenchmarkSentence } from "./dataset";

/**
 * Predictions in the benchmark's own format (a JSON list of `tokens`, `entities`, `relations`, with `orig_id`),
 * which is also what SpERT writes with `--store_predictions`; any system's output in that format can be scored
 * against the gold folds.
 */
export function writePredictions(file: string, sentences: readonly BenchmarkSentence[]): void {
  writeJsonAtomic(file, sentences);
}

export function readPredictions(file: string): BenchmarkSentence[] {
  if (!fs.existsSync(file)) throw new AdeflowError(`${file}: no such predictions file`);
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new InputFileError(file, undefined, `not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(value))
    throw new InputFileError(file, undefined, "must be a list of sentences (tokens, entities, relations)");
  return value.map((v, i) => checkSentence(v, file, i));
}

/**
 * Each predicted sentence next to its gold sentence: by `orig_id` when every record has one, else by position in
 * the fold's test order (SpERT's prediction files keep the order of its test file and carry no id). The tokens
 * must be the gold sentence's own, or no span could be compared.
 */
export function pairWithGold(
  file: string,
  predicted: readonly BenchmarkSentence[],
  data: BenchmarkDataset,
  fold?: number,
): { gold: BenchmarkSentence[]; predicted: BenchmarkSentence[] } {
  const withIds = predicted.every((p) => p.orig_id !== undefined);
  let gold: BenchmarkSentence[];
  if (withIds) {
    gold = predicted.map((p, i) => {
      const g = data.sentences[p.orig_id];
      if (!g)
        throw new InputFileError(
          file,
          undefined,
          `record ${i}, orig_id: ${p.orig_id} is not a benchmark sentence (0..${data.sentences.length - 1})`,
        );
      if (fold !== undefined && !data.folds[fold].includes(p.orig_id))
        throw new InputFileError(
          file,
          undefined,
          `record ${i}, orig_id: sentence ${p.orig_id} is not in test fold ${fold}`,
        );
      return g;
    });
    const ids = new Set<number>();
    predicted.forEach((p, i) => {
      if (ids.has(p.orig_id))
        throw new InputFileError(file, undefined, `record ${i}, orig_id: sentence ${p.orig_id} is predicted twice`);
      ids.add(p.orig_id);
    });
  } else {
    if (fold === undefined)
      throw new AdeflowError(
        `${file}: records without orig_id are matched to a fold's test sentences by position; say which fold (--fold K)`,
      );
    const ids = data.folds[fold];
    if (!ids)
      throw new AdeflowError(`fold ${fold} does not exist: the benchmark has folds 0..${data.folds.length - 1}`);
    if (ids.length !== predicted.length)
      throw new InputFileError(
        file,
        undefined,
        `${predicted.length} records, but test fold ${fold} has ${ids.length} sentences`,
      );
    gold = ids.map((id) => data.sentences[id]);
  }
  gold.forEach((g, i) => {
    const p = predicted[i];
    if (p.tokens.length !== g.tokens.length || p.tokens.some((t, k) => t !== g.tokens[k])) {
      throw new InputFileError(
        file,
        undefined,
        `record ${i}, tokens: not the tokens of benchmark sentence ${g.orig_id} (${JSON.stringify(g.tokens.slice(0, 6).join(" "))}...)`,
      );
    }
  });
  return { gold, predicted: [...predicted] };
}
