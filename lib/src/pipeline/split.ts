import { LegacyRandomState } from "../random/mt19937";

/**
 * scikit-learn's `train_test_split(items, test_size=..., random_state=...)` with a float test size and
 * shuffling on: the sizes of `_validate_shuffle_split` and the permutation of `ShuffleSplit`, so that the
 * indices and their order equal what scikit-learn returns.
 */
export function trainTestSplit<T>(
  items: readonly T[],
  testSize: number,
  randomState: number,
): { train: T[]; test: T[] } {
  const n = items.length;
  if (!(testSize > 0 && testSize < 1)) throw new RangeError(`testSize must be a fraction in (0, 1), got ${testSize}`);
  const nTest = Math.ceil(testSize * n);
  const nTrain = Math.floor((1 - testSize) * n);
  if (nTrain === 0) throw new RangeError(`with ${n} items and testSize ${testSize} the training part would be empty`);
  const permutation = new LegacyRandomState(randomState).permutation(n);
  return {
    test: permutation.slice(0, nTest).map((i) => items[i]),
    train: permutation.slice(nTest, nTest + nTrain).map((i) => items[i]),
  };
}

export interface SplitIndices {
  train: number[];
  val: number[];
  test: number[];
}

/** The study's split of row indices: 80 % train, then the rest halved into validation and test. */
export function studySplit(nRows: number, randomState = 0): SplitIndices {
  const indices = Array.from({ length: nRows }, (_, i) => i);
  const first = trainTestSplit(indices, 0.2, randomState);
  const second = trainTestSplit(first.test, 0.5, randomState);
  return { train: first.train, val: second.train, test: second.test };
}

/** @deprecated Renamed `studySplit`; kept for one release. */
export const seedSplit = studySplit;
