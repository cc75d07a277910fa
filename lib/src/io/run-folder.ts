import * as fs from "node:fs";
import * as path from "node:path";

/**
 * What outlives a run in a notebook's results folder: finished ablation runs (07's `runs/`) and benchmark folds
 * (08's `folds/`), each with the fingerprint of what made it, read back by the next run with the same settings.
 */
export const KEPT_ACROSS_RUNS: readonly string[] = ["runs", "folds"];

/**
 * Create `dir`, or empty it of an earlier run's files, so that it holds one run only: no metrics, charts or
 * PNGs of an earlier run beside this one's, whether this one fails or not. Entries named in `keep` stay.
 */
export function startRunFolder(dir: string, keep: readonly string[] = KEPT_ACROSS_RUNS): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of fs.readdirSync(dir)) {
    if (!keep.includes(entry)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
  return dir;
}
