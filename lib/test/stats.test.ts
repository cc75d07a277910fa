import { test } from "node:test";
import assert from "node:assert/strict";
import { meanStd, pairedTTest, regularizedIncompleteBeta, studentTTwoSidedP } from "../src/stats/ttest";

// Reference values from SciPy 1.10: 2 * scipy.stats.t.sf(|t|, df), scipy.special.betainc(a, b, x),
// scipy.stats.ttest_rel(a, b).
const T_CASES: [number, number, number][] = [
  [2.0, 5, 0.10193947882985828],
  [0.5, 2, 0.6666666666666667],
  [4.303, 2, 0.04999252498521449],
  [-3.1, 7, 0.017322289425497517],
  [10, 1, 0.06345103486110712],
  [0, 3, 1],
  [1.5, 30, 0.14406592912864605],
];

test("Student's t two-sided p-values equal SciPy's", () => {
  for (const [t, df, p] of T_CASES)
    assert.ok(Math.abs(studentTTwoSidedP(t, df) - p) < 1e-10, `t=${t} df=${df}: ${studentTTwoSidedP(t, df)} vs ${p}`);
  assert.equal(studentTTwoSidedP(Infinity, 3), 0);
  assert.ok(Number.isNaN(studentTTwoSidedP(1, 0)));
});

test("the regularized incomplete beta function equals SciPy's betainc", () => {
  for (const [x, a, b, v] of [
    [0.3, 2, 3, 0.3483],
    [0.9, 0.5, 0.5, 0.7951672353008662],
    [0.01, 10, 0.5, 1.7700349655285743e-21],
  ]) {
    assert.ok(Math.abs(regularizedIncompleteBeta(x, a, b) - v) <= 1e-10 * Math.max(1, v), `${x},${a},${b}`);
  }
});

test("paired t-test equals scipy.stats.ttest_rel; edge cases are explicit", () => {
  const r = pairedTTest([0.5, 0.6, 0.55], [0.52, 0.65, 0.56]);
  assert.ok(Math.abs(r.t - 2.2188007849009166) < 1e-9, `t ${r.t}`); // b - a: the sign is ours, SciPy's a - b
  assert.ok(Math.abs(r.p - 0.15672595728843214) < 1e-9, `p ${r.p}`);
  assert.equal(r.df, 2);
  assert.ok(Number.isNaN(pairedTTest([1], [2]).p), "one pair: no test");
  const same = pairedTTest([1, 2, 3], [2, 3, 4]);
  assert.deepEqual([same.t, same.p], [Infinity, 0], "a constant non-zero difference");
  assert.equal(pairedTTest([1, 2], [1, 2]).p, 1, "no difference at all");
  assert.throws(() => pairedTTest([1, 2], [1]), /2 values against 1/);
});

test("mean and sample standard deviation (ddof = 1)", () => {
  assert.deepEqual(meanStd([1, 2, 3, 4]), { n: 4, mean: 2.5, std: Math.sqrt(5 / 3) });
  assert.ok(Number.isNaN(meanStd([1]).std));
  assert.ok(Number.isNaN(meanStd([]).mean));
});
