import * as path from "node:path";
import { locateCorpus } from "../corpus/locate";
import { AdeflowError } from "../errors";
import { currentProfile } from "../experiment/shared/profile";
import { runNotebooksInBrowser } from "../jupyter/browser-run";
import { selectNotebooks } from "../jupyter/execute";
import { cellProblems } from "../jupyter/expectations";
import { resultsDir } from "../paths";
import type { Command } from "./command";

export const screenshotsCommand: Command = {
  path: ["screenshots"],
  summary: "run the notebooks in headless Chromium through a Jupyter server and save a full-page PNG of each",
  usage: "adeflow screenshots [--out DIR] [--only NAME] [--profile full|quick|smoke] [--timeout SECONDS]",
  async run(flags) {
    const notebooks = selectNotebooks(flags.values.get("only"));
    const out = path.resolve(flags.values.get("out") ?? path.join(resultsDir(), "screenshots"));
    const env: NodeJS.ProcessEnv = { ...process.env };
    const profile = flags.values.get("profile");
    if (profile) env.ADEFLOW_PROFILE = profile;
    currentProfile(env); // an unknown profile fails here, not in the first training cell
    const timeout = Number(flags.values.get("timeout") ?? 3600);
    if (!(timeout > 0)) throw new AdeflowError(`--timeout ${flags.values.get("timeout")}: expected a number of seconds`);
    // fail before starting Jupyter and Chromium when the corpus is not there
    await locateCorpus({ corpusDir: flags.values.get("corpus-dir") });
    if (flags.values.has("corpus-dir")) env.ADE_CORPUS_DIR = path.resolve(flags.values.get("corpus-dir")!);
    const run = await runNotebooksInBrowser({ notebooks, screenshotsDir: out, env, timeoutSeconds: timeout });
    const problems = run.runs.flatMap((r) => (r.failure ? [r.failure] : [...cellProblems(r.notebook, r.expectations, r.cells), ...r.pageErrors.map((e) => `${r.notebook}: page error ${e}`)]));
    problems.push(...run.blockedRequests.map((url) => `request to ${url} blocked (only loopback is allowed)`));
    console.error(`${run.runs.filter((r) => r.screenshot).length} screenshots in ${out} (${run.seconds.toFixed(0)} s)`);
    if (problems.length) throw new AdeflowError(`the notebooks do not look right in the browser:\n  ${problems.join("\n  ")}`);
  },
};
