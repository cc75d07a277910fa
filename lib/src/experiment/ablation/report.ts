/**
 * The ablation's numbers turned into tables and a conclusion. Nothing here is written in advance: every
 * sentence of the conclusion is chosen by the measured differences and their paired t-tests.
 */
import { meanStd, pairedTTest, type PairedTTest } from "../../stats/ttest";
import type { AblationArm, AblationRun } from "./run";
import { PROFILES, type Profile } from "../shared/profile";

/** The measures compared, each a numeric field of AblationRun, with the label the tables and charts use. */
export const ABLATION_MEASURES = [
  { field: "test_token_f1", label: "token macro F1 (study)", kind: "score" },
  { field: "test_relation_f1", label: "relation strict F1", kind: "score" },
  { field: "train_seconds_per_epoch", label: "training s / epoch", kind: "cost" },
  { field: "inference_seconds_per_pass", label: "inference s / test pass", kind: "cost" },
  { field: "parameters_total", label: "parameters", kind: "cost" },
] as const;
export type AblationMeasure = (typeof ABLATION_MEASURES)[number];

/** The runs as table rows (the per-epoch history left out; it stays in the JSON). */
export function ablationRunRows(runs: readonly AblationRun[]): Omit<AblationRun, "history">[] {
  return runs.map(({ history, ...row }) => row);
}

export type ArmSummaryRow = {
  arm: AblationArm;
  measure: string;
  mean: number;
  std: number;
  n: number;
  seeds: string;
};

export function summarizeAblation(runs: readonly AblationRun[]): ArmSummaryRow[] {
  const arms = [...new Set(runs.map((r) => r.arm))];
  return ABLATION_MEASURES.flatMap((m) =>
    arms.map((arm) => {
      const mine = runs.filter((r) => r.arm === arm);
      const { n, mean, std } = meanStd(mine.map((r) => r[m.field]));
      return { arm, measure: m.label, mean, std, n, seeds: mine.map((r) => r.seed).join(" ") };
    }),
  );
}

export type Verdict = "higher" | "lower" | "within the seed-to-seed spread" | "undetermined (fewer than 2 seeds)";

export type ComparisonRow = {
  measure: string;
  without_pos: number;
  with_pos: number;
  /** Mean over seeds of (with POS - without POS). */
  mean_difference: number;
  /** Standard deviation of that difference across seeds: the seed-to-seed spread of the effect. */
  std_difference: number;
  seeds: number;
  t: number;
  p: number;
  verdict: Verdict;
};

/** Runs of both arms on the same seed, in seed order (a seed missing from one arm is left out). */
export function pairBySeed(runs: readonly AblationRun[]): { seed: number; without: AblationRun; with: AblationRun }[] {
  const find = (arm: AblationArm, seed: number) => runs.find((r) => r.arm === arm && r.seed === seed);
  return [...new Set(runs.map((r) => r.seed))]
    .sort((a, b) => a - b)
    .flatMap((seed) => {
      const a = find("without POS", seed);
      const b = find("with POS", seed);
      return a && b ? [{ seed, without: a, with: b }] : [];
    });
}

export function verdictOf(test: PairedTTest, alpha: number): Verdict {
  if (test.n < 2 || Number.isNaN(test.p)) return "undetermined (fewer than 2 seeds)";
  if (test.p < alpha) return test.meanDifference > 0 ? "higher" : "lower";
  return "within the seed-to-seed spread";
}

/** Paired t-test of every measure, with POS against without, over the seeds both arms ran. */
export function compareArms(runs: readonly AblationRun[], alpha = 0.05): ComparisonRow[] {
  const pairs = pairBySeed(runs);
  return ABLATION_MEASURES.map((m) => {
    const a = pairs.map((p) => p.without[m.field]);
    const b = pairs.map((p) => p.with[m.field]);
    const test = pairedTTest(a, b);
    return {
      measure: m.label,
      without_pos: meanStd(a).mean,
      with_pos: meanStd(b).mean,
      mean_difference: test.meanDifference,
      std_difference: test.stdDifference,
      seeds: test.n,
      t: test.t,
      p: test.p,
      verdict: verdictOf(test, alpha),
    };
  });
}

export interface AblationConclusion {
  /** One sentence per finding, in reading order. */
  sentences: string[];
  /** Whether this run bears out the study ("lower scores, higher cost"): undefined when it cannot tell. */
  supportsStudy: boolean | undefined;
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const signed = (x: number, digits = 3) => (x > 0 ? "+" : "") + fmt(x, digits);
const pText = (p: number) => (Number.isNaN(p) ? "no test possible" : p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`);

/** The notebook's conclusion, computed from the comparison (alpha: the test's level, 0.05). */
export function ablationConclusion(
  comparison: readonly ComparisonRow[],
  profile: Pick<Profile, "name" | "model" | "maxRows" | "ablation" | "re">,
  alpha = 0.05,
): AblationConclusion {
  const row = (label: string) => {
    const r = comparison.find((c) => c.measure === label);
    if (!r) throw new RangeError(`ablation conclusion: no comparison row for ${label}`);
    return r;
  };
  const sentences: string[] = [];
  const seeds = row("token macro F1 (study)").seeds;
  // the rows the arms trained on: the ablation's own, else the RE task's, else the profile's
  const trainRows = (profile.ablation.maxRows ?? profile.re?.maxRows ?? profile.maxRows).train ?? "all";
  sentences.push(
    `Both arms were trained on the same ${seeds} seed${seeds === 1 ? "" : "s"} (profile ${profile.name}, model ${profile.model}, ${trainRows} training rows); differences are with POS minus without, tested pair by pair (paired t-test, level ${alpha}).`,
  );
  for (const label of ["token macro F1 (study)", "relation strict F1"]) {
    const r = row(label);
    const where =
      r.verdict === "higher" || r.verdict === "lower"
        ? `POS embeddings made it ${r.verdict}, by more than the seed-to-seed spread`
        : r.verdict === "within the seed-to-seed spread"
          ? "the difference is within the seed-to-seed spread: no evidence that POS embeddings change it"
          : "one seed gives no spread to compare with, so no conclusion";
    sentences.push(
      `${label}: ${fmt(r.without_pos)} without, ${fmt(r.with_pos)} with POS; difference ${signed(r.mean_difference)} (sd across seeds ${fmt(r.std_difference)}, ${pText(r.p)}): ${where}.`,
    );
  }
  const params = row("parameters");
  const train = row("training s / epoch");
  const infer = row("inference s / test pass");
  const ratio = (r: ComparisonRow) => (r.without_pos > 0 ? r.with_pos / r.without_pos : NaN);
  sentences.push(
    `Cost: ${signed(params.mean_difference, 0)} parameters (${signed((100 * params.mean_difference) / params.without_pos, 3)} %); training time per epoch x${fmt(ratio(train), 2)} (${train.verdict}, ${pText(train.p)}); inference time per pass x${fmt(ratio(infer), 2)} (${infer.verdict}, ${pText(infer.p)}).`,
  );
  const scores = [row("token macro F1 (study)"), row("relation strict F1")];
  let supportsStudy: boolean | undefined;
  if (scores.some((r) => r.verdict.startsWith("undetermined"))) supportsStudy = undefined;
  else if (scores.some((r) => r.verdict === "lower")) supportsStudy = true;
  else if (scores.some((r) => r.verdict === "higher")) supportsStudy = false;
  else supportsStudy = undefined;
  sentences.push(
    supportsStudy === true
      ? "This bears out the study's report that POS embeddings lowered the scores."
      : supportsStudy === false
        ? "This contradicts the study's report that POS embeddings lowered the scores."
        : "The study reported lower scores with POS embeddings; this run can neither confirm nor refute it.",
  );
  if (profile.name !== "full") {
    sentences.push(
      `Caveat: this is the ${profile.name} profile, not the study's settings; ${profile.name === "smoke" ? "its tiny generated checkpoint has random weights, so these numbers test the mechanics only" : "a few hundred rows and one epoch are too little to settle the study's question"}. Run with ADEFLOW_PROFILE=full (${PROFILES.full().ablation.seeds} seeds per arm) on a GPU for that.`,
    );
  }
  return { sentences, supportsStudy };
}
