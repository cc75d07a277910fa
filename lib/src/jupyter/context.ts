import * as fs from "node:fs";
import * as path from "node:path";
import { resultsDir, repoRoot } from "../paths";

/** The results folder of one notebook (`results/<name>/`), created on first use. */
export function notebookResultsDir(name: string): string {
  const dir = path.join(resultsDir(), name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The study's pipeline's reference sample, when this clone sits beside the workplace's `shared/` folder
 * (`ADEFLOW_REFERENCE_SAMPLE` overrides). Users without it get `undefined` and the notebook says so.
 */
export function referenceSampleFile(): string | undefined {
  const file = process.env.ADEFLOW_REFERENCE_SAMPLE ?? path.join(repoRoot(), "..", "shared", "reference", "seed-pipeline-sample.json");
  return fs.existsSync(file) ? file : undefined;
}
