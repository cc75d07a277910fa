/**
 * The scores a trained model reached, for its model card, read from the run's result files (`metrics.json`, and the
 * baselines table in `summary.json`), never typed by hand. They are used only when they are this model's: the
 * same profile, seed and base model (by content hash), written in the run that saved the model (metrics before
 * the save, the summary after it). Otherwise the card says why there are none.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../../paths";
import {
  baselineRowsOf,
  readMetricsFile,
  readRunSummary,
  type BaselineRow,
  type MetricRow,
  type RunRecord,
} from "../report/records";

export type { BaselineRow };
import type { StoredModelInfo } from "../shared/model-store";

export interface RunScores {
  /** The model's own scores (validation and test), when found for this model. */
  metrics?: MetricRow[];
  /** The model beside its baseline on both splits, when found for this model's run. */
  baselines?: BaselineRow[];
  /** Where the scores came from, or why there are none. */
  notes: string[];
}

/** A results file as a card shows it: relative to the project when inside it (a card travels, a path does not). */
export function shownPath(file: string): string {
  const rel = path.relative(repoRoot(), file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file.split(path.sep).slice(-2).join("/");
}

const profileOf = (info: StoredModelInfo) => info.profile as Partial<RunRecord>;

/** Why a result file is not this model's run, or undefined when it is. */
function otherRun(run: RunRecord, info: StoredModelInfo): string | undefined {
  const profile = profileOf(info);
  const hash = info.baseModelHash?.slice(0, 16);
  if (run.profile !== profile.profile) return `profile ${run.profile}, the model's is ${profile.profile}`;
  if (run.seed !== profile.seed) return `seed ${run.seed}, the model's is ${profile.seed}`;
  if (hash !== undefined && run.model_hash !== hash)
    return `base model ${run.model_hash}, the model's is ${hash} (by content hash)`;
  return undefined;
}

/** The scores of the run that trained `info`'s model, from `<resultsDir>/<notebook>/`. */
export function readRunScores(resultsDir: string, notebook: string, info: StoredModelInfo): RunScores {
  const dir = path.join(resultsDir, notebook);
  const metricsFile = path.join(dir, "metrics.json");
  const summaryFile = path.join(dir, "summary.json");
  const [metricsShown, summaryShown] = [shownPath(metricsFile), shownPath(summaryFile)];
  const savedAt = typeof info.saved_at === "string" ? Date.parse(info.saved_at) : NaN;
  const notes: string[] = [];
  const out: RunScores = { notes };
  if (!fs.existsSync(metricsFile)) notes.push(`No scores were found: ${metricsShown} does not exist.`);
  else if (info.split !== undefined && info.split !== "study")
    notes.push(
      `${metricsShown} scores the model of the study's split; this one was trained on the ${info.split} split.`,
    );
  else {
    const metrics = readMetricsFile(metricsFile);
    const other = otherRun(metrics, info);
    if (other) notes.push(`The scores in ${metricsShown} are of another run (${other}), so none are shown.`);
    else if (Date.parse(metrics.written_at) > savedAt)
      notes.push(
        `The scores in ${metricsShown} were written after this model was saved (a later run), so none are shown.`,
      );
    else {
      out.metrics = metrics.metrics;
      notes.push(`Scores from ${metricsShown} (written ${metrics.written_at}).`);
    }
  }
  if (!fs.existsSync(summaryFile)) notes.push(`No baselines were found: ${summaryShown} does not exist.`);
  else {
    const summary = readRunSummary(summaryFile);
    const other = otherRun(summary, info);
    if (other) notes.push(`The baselines in ${summaryShown} are of another run (${other}), so none are shown.`);
    else if (!(Date.parse(summary.written_at) >= savedAt))
      notes.push(
        `The baselines in ${summaryShown} were written before this model was saved (an earlier run), so none are shown.`,
      );
    else if (summary.baselines === undefined) notes.push(`${summaryShown} has no baselines.`);
    else {
      out.baselines = baselineRowsOf(summary.baselines, summaryFile);
      notes.push(`Baselines from ${summaryShown}.`);
    }
  }
  return out;
}
