import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../src/paths";

/** The corpus copy the tests read: ADE_CORPUS_DIR, else ../shared/data/ade-corpus-v2 beside the clone (CI). */
export function testCorpusDir(): string {
  const dir = process.env.ADE_CORPUS_DIR ?? path.join(repoRoot(), "..", "shared", "data", "ade-corpus-v2");
  if (!fs.existsSync(path.join(dir, "DRUG-AE.rel"))) {
    throw new Error(`tests need the ADE corpus: set ADE_CORPUS_DIR (looked in ${dir})`);
  }
  return dir;
}

/** The exact output of the original pipeline that the shared reference sample holds. */
export function referenceSamplePath(): string {
  const file =
    process.env.ADEFLOW_REFERENCE_SAMPLE ??
    path.join(repoRoot(), "..", "shared", "reference", "seed-pipeline-sample.json");
  if (!fs.existsSync(file))
    throw new Error(`tests need the study's reference sample: set ADEFLOW_REFERENCE_SAMPLE (looked at ${file})`);
  return file;
}

export const fixture = (name: string): string => path.join(repoRoot(), "lib", "test", "fixtures", name);
export const readJson = <T = any>(file: string): T => JSON.parse(fs.readFileSync(file, "utf8")) as T;

/** Largest absolute elementwise difference (the arrays must have the same length). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
