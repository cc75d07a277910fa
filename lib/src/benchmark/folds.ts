import { AdeflowError } from "../errors";
import { LegacyRandomState } from "../random/mt19937";
import type { BenchmarkDataset } from "./dataset";

/**
 * The fold protocol: fold k tests on its own sentences and trains on every other sentence. The validation
 * sentences (for the validation loss) are drawn from the training part with a seeded permutation, never from
 * the test fold: several published systems select on the test fold, this one does not.
 */
export interface FoldPlan {
  fold: number;
  /** orig_ids, in the order used. */
  train: number[];
  val: number[];
  test: number[];
  /** Sizes before any cap of the profile. */
  available: { train: number; test: number };
  seed: number;
}

export interface FoldCaps {
  /** Training sentences used (validation included), a seeded sample; undefined = all. */
  trainSentences?: number;
  /** Test sentences scored, the first of the fold in its file order; undefined = all. */
  testSentences?: number;
  /** Share of the training sentences held out for the validation loss. */
  validationFraction: number;
}

export function planFold(
  data: Pick<BenchmarkDataset, "folds" | "sentences">,
  fold: number,
  caps: FoldCaps,
  seed: number,
): FoldPlan {
  if (!Number.isInteger(fold) || fold < 0 || fold >= data.folds.length)
    throw new AdeflowError(`fold ${fold} does not exist: the benchmark has folds 0..${data.folds.length - 1}`);
  const testSet = new Set(data.folds[fold]);
  const trainAll = data.sentences.map((s) => s.orig_id).filter((id) => !testSet.has(id));
  // one seeded order per fold, so each fold's sample and validation part are reproducible on their own
  const order = new LegacyRandomState(seed + fold).permutation(trainAll.length).map((i) => trainAll[i]);
  const used = order.slice(0, caps.trainSentences ?? order.length);
  const nVal = Math.max(1, Math.ceil(caps.validationFraction * used.length));
  return {
    fold,
    val: used.slice(0, nVal),
    train: used.slice(nVal),
    test: data.folds[fold].slice(0, caps.testSentences ?? data.folds[fold].length),
    available: { train: trainAll.length, test: data.folds[fold].length },
    seed: seed + fold,
  };
}
