/** Small descriptive statistics, exact and deterministic, so that tests can pin every number. */

export interface NumberSummary {
  count: number;
  mean: number;
  min: number;
  /** Quantiles with linear interpolation between order statistics (NumPy's and pandas' default). */
  q25: number;
  median: number;
  q75: number;
  q90: number;
  max: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(values: readonly number[]): NumberSummary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    count: n,
    mean: n ? sorted.reduce((s, v) => s + v, 0) / n : NaN,
    min: n ? sorted[0] : NaN,
    q25: quantile(sorted, 0.25),
    median: quantile(sorted, 0.5),
    q75: quantile(sorted, 0.75),
    q90: quantile(sorted, 0.9),
    max: n ? sorted[n - 1] : NaN,
  };
}

export function countBy<T, K>(items: Iterable<T>, key: (item: T) => K): Map<K, number> {
  const counts = new Map<K, number>();
  for (const item of items) {
    const k = key(item);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

export interface ValueCount {
  value: number;
  count: number;
}

/** How many times each integer value occurs, by increasing value, with the gaps filled by zero counts. */
export function integerHistogram(values: readonly number[]): ValueCount[] {
  if (values.length === 0) return [];
  const counts = countBy(values, (v) => v);
  const min = Math.min(...counts.keys());
  const max = Math.max(...counts.keys());
  const out: ValueCount[] = [];
  for (let v = min; v <= max; v++) out.push({ value: v, count: counts.get(v) ?? 0 });
  return out;
}

export interface KeyCount {
  key: string;
  count: number;
}

/** Counts sorted by decreasing count, ties by key (code-point order), so rankings are reproducible. */
export function rankCounts(counts: ReadonlyMap<string, number>): KeyCount[] {
  return [...counts]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Share with a fixed number of decimals (0.1234 -> 0.123), for tables and JSON summaries. */
export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));
