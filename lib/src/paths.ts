import * as path from "node:path";
import * as fs from "node:fs";
import { setting } from "./settings";

/**
 * The repository root: the folder whose package.json is named "adeflow". Found by walking up from this file,
 * so that the CLI, the tests and the notebooks (whose working folder is notebooks/) agree on data/ and results/.
 */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, "utf8")).name === "adeflow") return dir;
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

export const dataDir = (): string => path.join(repoRoot(), "data");
/** Where notebooks write their results; `ADEFLOW_RESULTS_DIR` redirects it (the tests use a temporary folder). */
export const resultsDir = (): string => setting("ADEFLOW_RESULTS_DIR") ?? path.join(repoRoot(), "results");
export const notebooksDir = (): string => path.join(repoRoot(), "notebooks");

/**
 * The project's tiny test checkpoint (a 2-layer, 32-wide BERT in the Hugging Face layout, made by
 * lib/test/support/tiny.ts): the model of the smoke profile, the benchmarks' small model and the tests'.
 */
export const tinyCheckpointDir = (): string => path.join(repoRoot(), "lib", "test", "fixtures", "tiny-bert");
/**
 * The corpus folder the tests and the tiny checkpoint's vocabulary read: `ADE_CORPUS_DIR`, else the
 * workplace's copy beside the clone (`../shared/data/ade-corpus-v2`, as on CI).
 */
export const sharedCorpusDir = (): string =>
  setting("ADE_CORPUS_DIR") ?? path.resolve(repoRoot(), "..", "shared", "data", "ade-corpus-v2");

/** The project's virtual environment (Jupyter, and PyTorch for the references); `ADEFLOW_VENV_DIR` moves it. */
export const projectVenvDir = (env: NodeJS.ProcessEnv = process.env): string =>
  setting("ADEFLOW_VENV_DIR", env) ?? path.join(repoRoot(), ".venv");

/** The interpreter of a virtual environment. */
export const venvPython = (dir: string): string =>
  process.platform === "win32" ? path.join(dir, "Scripts", "python.exe") : path.join(dir, "bin", "python");
