import * as path from "node:path";
import { locateCorpus } from "../corpus/locate";
import { AdeflowError } from "../errors";
import { currentProfile } from "../experiment/shared/profile";
import { runNotebooksInBrowser } from "../jupyter/browser-run";
import { notebooksForFlag } from "./jupyter-commands";
import { cellProblems } from "../jupyter/expectations";
import { resultsDir } from "../paths";
import { kernelEnvironment } from "../settings";
import { CORPUS_DIR_FLAG } from "./data";
import { numberFlag, profileFlag, profileFlagSpec, type Command } from "./command";

/** The top of each notebook, which is what the README's pictures are for; a whole notebook can be 5,000 px. */
const SCREENSHOT_MAX_HEIGHT = 2400;

export const screenshotsCommand: Command = {
  path: ["screenshots"],
  summary: "run the notebooks in headless Chromium through JupyterLab and save the top of each as a JPEG",
  flags: {
    out: { type: "string", value: "DIR", description: "where the PNGs go (default results/screenshots)" },
    only: { type: "string", value: "NAME", description: "one notebook: its number, name or file name" },
    profile: profileFlagSpec("the profile the notebooks run (default ADEFLOW_PROFILE)"),
    timeout: { type: "string", value: "SECONDS", description: "per notebook (default 3600)" },
    executed: {
      type: "boolean",
      description: "show the executed copies of the last run in results/ without running them (seconds, not an hour)",
    },
    "corpus-dir": CORPUS_DIR_FLAG,
  },
  async run(flags) {
    const notebooks = notebooksForFlag(flags.values.get("only"));
    const out = path.resolve(flags.values.get("out") ?? path.join(resultsDir(), "screenshots"));
    const profile = profileFlag(flags);
    const timeout = numberFlag(flags, "timeout", 3600, { min: 1 });
    const executed = flags.switches.has("executed");
    // fail before starting Jupyter and Chromium when the corpus is not there; the kernel reads the folder checked
    const corpusDir = executed ? undefined : (await locateCorpus({ corpusDir: flags.values.get("corpus-dir") })).dir;
    const env = kernelEnvironment({ ADEFLOW_PROFILE: profile, ...(corpusDir ? { ADE_CORPUS_DIR: corpusDir } : {}) });
    currentProfile(env); // an unknown profile fails here, not in the first training cell
    const run = await runNotebooksInBrowser({
      notebooks,
      screenshotsDir: out,
      screenshotMaxHeight: SCREENSHOT_MAX_HEIGHT,
      env,
      timeoutSeconds: timeout,
      executed,
    });
    const problems = run.runs.flatMap((r) =>
      r.failure
        ? [r.failure]
        : [
            ...cellProblems(r.notebook, r.expectations, r.cells),
            ...r.pageErrors.map((e) => `${r.notebook}: page error ${e}`),
          ],
    );
    problems.push(...run.blockedRequests.map((url) => `request to ${url} blocked (only loopback is allowed)`));
    console.error(`${run.runs.filter((r) => r.screenshot).length} screenshots in ${out} (${run.seconds.toFixed(0)} s)`);
    if (problems.length)
      throw new AdeflowError(`the notebooks do not look right in the browser:\n  ${problems.join("\n  ")}`);
  },
};
