import * as fs from "node:fs";
import * as path from "node:path";
import { resultsDir, repoRoot } from "../paths";
import { setting } from "../settings";

/** What outlives a run in a notebook's results folder: finished ablation runs, read back by the next run. */
export const KEPT_ACROSS_RUNS: readonly string[] = ["runs"];

/**
 * The results folder of one notebook (`results/<name>/`), emptied for a new run: a notebook calls this once, at
 * its start, so the folder holds one run only (no metrics, charts or PNGs of an earlier run beside this one's,
 * whether it fails or not). `KEPT_ACROSS_RUNS` stays.
 */
export function notebookResultsDir(name: string): string {
  const dir = path.join(resultsDir(), name);
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of fs.readdirSync(dir)) {
    if (!KEPT_ACROSS_RUNS.includes(entry)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
  return dir;
}

/**
 * The study's pipeline's reference sample, when this clone sits beside the workplace's `shared/` folder
 * (`ADEFLOW_REFERENCE_SAMPLE` overrides). Users without it get `undefined` and the notebook says so.
 */
export function referenceSampleFile(): string | undefined {
  const file = setting("ADEFLOW_REFERENCE_SAMPLE") ?? path.join(repoRoot(), "..", "shared", "reference", "seed-pipeline-sample.json");
  return fs.existsSync(file) ? file : undefined;
}
