/**
 * The study's metric: token-level precision, recall and F1 over non-ignored positions, with scikit-learn's
 * definitions (`precision_recall_fscore_support`, labels = the sorted union of classes in truth and
 * prediction, `zero_division` -> 0: a class never predicted has precision 0, a class never true has
 * recall 0; F1 is 0 when precision + recall is 0; macro = unweighted mean over those classes).
 */
export interface ClassScores {
  label: number;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  predicted: number;
}

export interface TokenScores {
  perClass: ClassScores[];
  macro: { precision: number; recall: number; f1: number };
  micro: { precision: number; recall: number; f1: number };
  /** Positions scored (label != ignoreIndex). */
  positions: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1 = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));
const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export function tokenScores(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, ignoreIndex = -100): TokenScores {
  if (yTrue.length !== yPred.length)
    throw new RangeError(`truth has ${yTrue.length} positions, prediction ${yPred.length}`);
  const tp = new Map<number, number>();
  const support = new Map<number, number>();
  const predicted = new Map<number, number>();
  const bump = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  let positions = 0;
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    if (t === ignoreIndex) continue;
    const p = yPred[i];
    positions++;
    bump(support, t);
    bump(predicted, p);
    if (t === p) {
      bump(tp, t);
      correct++;
    }
  }
  const labels = [...new Set([...support.keys(), ...predicted.keys()])].sort((a, b) => a - b);
  const perClass = labels.map((label) => {
    const precision = ratio(tp.get(label) ?? 0, predicted.get(label) ?? 0);
    const recall = ratio(tp.get(label) ?? 0, support.get(label) ?? 0);
    return {
      label,
      precision,
      recall,
      f1: f1(precision, recall),
      support: support.get(label) ?? 0,
      predicted: predicted.get(label) ?? 0,
    };
  });
  const microP = ratio(correct, positions);
  return {
    perClass,
    macro: {
      precision: mean(perClass.map((c) => c.precision)),
      recall: mean(perClass.map((c) => c.recall)),
      f1: mean(perClass.map((c) => c.f1)),
    },
    micro: { precision: microP, recall: microP, f1: microP },
    positions,
  };
}

/** Confusion matrix over `nClasses`, rows = true class; `normalize: "true"` divides each row by its sum. */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
  normalize?: "true",
  ignoreIndex = -100,
): number[][] {
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === ignoreIndex) continue;
    const t = yTrue[i];
    const p = yPred[i];
    if (t < 0 || t >= nClasses || p < 0 || p >= nClasses)
      throw new RangeError(`label out of range at position ${i}: true ${t}, predicted ${p}`);
    m[t][p]++;
  }
  if (normalize === "true")
    return m.map((row) =>
      row.map((x) =>
        ratio(
          x,
          row.reduce((a, b) => a + b, 0),
        ),
      ),
    );
  return m;
}
