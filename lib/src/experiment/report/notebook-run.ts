/**
 * The first and the last cell of every training notebook, in one place: `openRun` says what is about to run
 * (profile and its settings, backend, results folder, start time) and `closeRun` writes the run's typed summary
 * and says where everything went and how long it took. Notebooks 04, 05 and 07 used to repeat both by hand.
 *
 * @example
 *   const run = await ade.experiments.openRun("04-ner");
 *   const setup = await ade.experiments.prepareNer(run.profile);
 *   // ... train, evaluate ...
 *   ade.experiments.closeRun(run, setup, { metrics: rows });
 */
import * as path from "node:path";
import { initBackend, type BackendInfo } from "../../backend";
import type { LoadedBert } from "../../bert/checkpoint";
import { resultsDir } from "../../paths";
import { startRunFolder } from "../../io/run-folder";
import { showTable, type HtmlDisplay } from "../../viz/display";
import { currentProfile, describeProfile, type Profile } from "../shared/profile";
import { writeRunSummary, type RunSummaryFile } from "./records";
import { runRecord } from "./run-record";

export interface NotebookRun {
  notebook: string;
  profile: Profile;
  backend: BackendInfo;
  /** `<results>/<notebook>/`, created, or emptied of an earlier run's files. */
  results: string;
  startedAt: Date;
}

export interface OpenRunOptions {
  /** Default: `currentProfile()` (ADEFLOW_PROFILE, ADEFLOW_MODEL). */
  profile?: Profile;
  /** Where lines go (default console.log) and where the settings table is shown (default: the notebook). */
  log?: (line: string) => void;
  display?: HtmlDisplay;
}

export async function openRun(notebook: string, options: OpenRunOptions = {}): Promise<NotebookRun> {
  const log = options.log ?? ((line: string) => console.log(line));
  const profile = options.profile ?? currentProfile();
  const backend = await initBackend();
  // one run per folder: an earlier run's files go now (finished ablation runs stay)
  const results = startRunFolder(path.join(resultsDir(), notebook));
  const startedAt = new Date();
  log(`${notebook}, profile ${profile.name}: ${profile.description}`);
  showTable(
    Object.entries(describeProfile(profile)).map(([setting, value]) => ({ setting, value })),
    { display: options.display },
  );
  log(`backend: ${backend.description}\nresults: ${results}\nstarted: ${startedAt.toISOString()}`);
  return { notebook, profile, backend, results, startedAt };
}

/** Writes `<results>/summary.json` (the run's record plus `extra`) and prints where the results are. */
export function closeRun(
  run: NotebookRun,
  made: { bert: Pick<LoadedBert, "model" | "contentHash"> },
  extra: Record<string, unknown> = {},
  log: (line: string) => void = (line) => console.log(line),
): RunSummaryFile {
  const seconds = (Date.now() - run.startedAt.getTime()) / 1000;
  const record = {
    notebook: run.notebook,
    ...runRecord({ profile: run.profile, backend: run.backend, bert: made.bert }, seconds),
  };
  const file = path.join(run.results, "summary.json");
  const summary = writeRunSummary(file, record, extra);
  log(
    `${run.notebook} done in ${record.seconds} s (profile ${run.profile.name}, backend ${run.backend.name}, seed ${run.profile.seed}); results in ${run.results}`,
  );
  return summary;
}
