/**
 * What `adeflow reproduce` works out before the notebooks run, printed line by line as it is known: the profile,
 * the model and where it comes from, the backend and its threads (from the probe's process, which also times a
 * few training steps), the notebooks, the estimate per notebook and where results go.
 */
import * as path from "node:path";
import { AdeflowError } from "../errors";
import { estimateRun, type NotebookEstimate } from "../experiment/plan/estimate";
import { describeModelOrigin, shortPath } from "../experiment/plan/model-origin";
import { probeRun, type ProbeResult } from "../experiment/plan/probe";
import { hasWork, runWork, type NotebookWork } from "../experiment/plan/workload";
import { planIsolatedRuns } from "../experiment/shared/isolated-runs";
import { modelsDir } from "../experiment/shared/model-store";
import { currentProfile, LOCAL_MODEL, type Profile } from "../experiment/shared/profile";
import { resultsDir } from "../paths";
import { estimateLine, prefaceLine } from "./narration";

export interface ReproducePlan {
  stems: string[];
  profile: Profile;
  work: NotebookWork[];
  estimates: (NotebookEstimate | undefined)[];
}

const s3 = (x: number) => x.toFixed(x < 0.1 ? 3 : 2);

/** "tensorflow (@tensorflow/tfjs-node, TensorFlow 2.21.0, 2 CPU threads); fitStudy trains on 1 thread (...)". */
export function backendText(probe: ProbeResult): string {
  const short = probe.backend.description.replace(/^TensorFlow\.js backend: /, "").split(" — ")[0];
  const t = probe.threads;
  const threads = probe.measurement
    ? `; training on ${t.threads} thread${t.threads === 1 ? "" : "s"} of Node (${t.why})`
    : "";
  return `${short}${threads}${probe.batch.refitted ? `; ${probe.batch.refitted}` : ""}`;
}

/** "in 13 s: a NER micro-batch of 8 rows (71 positions on average) trains in 0.21 s, ..." */
export function measuredText(probe: ProbeResult): string {
  const m = probe.measurement;
  if (!m) return `nothing: ${probe.noMeasurement ?? "no speed was measured"}`;
  const b = probe.batch.batchSize;
  const { ner, re } = m.speeds;
  const note = probe.tokenizerNote ? `; ${probe.tokenizerNote}` : "";
  return (
    `in ${Math.round(m.seconds)} s, ${probe.architecture} with random weights: a NER micro-batch of ${b} rows ` +
    `(${Math.round(m.timed.ner.positions)} positions on average) trains in ${s3(ner.trainPerRow * b)} s, an RE one ` +
    `(${Math.round(m.timed.re.positions)} positions) in ${s3(re.trainPerRow * b)} s, an update in ${s3(ner.update)} s` +
    ` (NER) and ${s3(re.update)} s (RE)${note}`
  );
}

export interface PlanOptions {
  log: (line: string) => void;
  /** The probe (default: `probeRun` in a child process); tests pass a fake. */
  probe?: (env: NodeJS.ProcessEnv) => Promise<ProbeResult>;
}

/** Prints the preface for `notebooks` (paths) run with the kernels' environment `env`, and returns the plan. */
export async function planReproduce(
  notebooks: readonly string[],
  env: NodeJS.ProcessEnv,
  options: PlanOptions,
): Promise<ReproducePlan> {
  const { log } = options;
  const stems = notebooks.map((nb) => path.basename(nb, ".ipynb"));
  const profile = currentProfile(env);
  log(`adeflow reproduce: ${stems.length} notebook${stems.length === 1 ? "" : "s"}, profile ${profile.name}`);
  log(prefaceLine("profile", `${profile.name}: ${profile.description}`));
  const training = runWork(stems, profile).some(hasWork);
  // a missing local folder is named now, not at the first training notebook
  if (training && profile.model !== LOCAL_MODEL) log(prefaceLine("model", await describeModelOrigin(profile)));
  log(prefaceLine("notebooks", stems.join(", ")));
  let probe: ProbeResult | undefined;
  if (training) {
    log(
      prefaceLine(
        "measuring",
        "a few training steps of the profile's model on this machine (10-30 s; a minute or two for bert-base on WebAssembly) ...",
      ),
    );
    try {
      probe = await (options.probe ?? ((e) => probeRun(e)))(env);
    } catch (err) {
      if (!(err instanceof AdeflowError)) throw err;
      // runIsolated's words for a failed job, less what only matters with several
      const why = err.message.split("\n")[0].replace(/^1 of 1 run failed \(the others were saved\): measurement: /, "");
      log(prefaceLine("measured", `nothing: the measurement failed (${why})`));
    }
    if (profile.model === LOCAL_MODEL)
      log(prefaceLine("model", await describeModelOrigin(profile, probe?.localBertCached)));
    if (probe) {
      log(prefaceLine("backend", backendText(probe)));
      log(prefaceLine("measured", measuredText(probe)));
    }
  } else log(prefaceLine("backend", "not needed: these notebooks train and predict nothing"));
  // the micro-batches the kernels will train with on that backend (fitProfileToBackend, applied in the probe)
  const fitted: Profile = probe
    ? { ...profile, batchSize: probe.batch.batchSize, accumulationSteps: probe.batch.accumulationSteps }
    : profile;
  const parameters = probe?.measurement?.parameters;
  const backend = probe?.backend.name;
  const work = runWork(stems, fitted, {
    localBertCached: probe?.localBertCached,
    // the notebooks' own plan of how many runs (07) and folds (08) train side by side
    runsAtOnce:
      backend && parameters !== undefined
        ? (runs) => planIsolatedRuns({ runs, backend, parameters, rows: fitted.batchSize }).processes
        : undefined,
  });
  const estimates = estimateRun(work, probe?.measurement?.speeds);
  log(prefaceLine("estimate", estimateLine(estimates, stems, probe?.noMeasurement ?? "no measurement")));
  log(
    prefaceLine(
      "results",
      `${shortPath(resultsDir())}/<notebook>/ (executed notebooks, tables, charts, metrics.json)${training ? `; trained models in ${shortPath(modelsDir())}/` : ""}`,
    ),
  );
  return { stems, profile: fitted, work, estimates };
}
