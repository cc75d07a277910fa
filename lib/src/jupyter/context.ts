import * as fs from "node:fs";
import * as path from "node:path";
import { resultsDir, repoRoot } from "../paths";
import { setting } from "../settings";
import { startRunFolder } from "../io/run-folder";

/**
 * The results folder of one notebook (`results/<name>/`), emptied for a new run (see `startRunFolder`): a
 * notebook calls this once, at its start. Finished ablation runs (`runs/`) stay.
 */
export function notebookResultsDir(name: string): string {
  return startRunFolder(path.join(resultsDir(), name));
}

/**
 * The study's pipeline's reference sample, when this clone sits beside the workplace's `shared/` folder
 * (`ADEFLOW_REFERENCE_SAMPLE` overrides). Users without it get `undefined` and the notebook says so.
 */
export function referenceSampleFile(): string | undefined {
  const file =
    setting("ADEFLOW_REFERENCE_SAMPLE") ??
    path.join(repoRoot(), "..", "shared", "reference", "seed-pipeline-sample.json");
  return fs.existsSync(file) ? file : undefined;
}
