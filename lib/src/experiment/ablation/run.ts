/**
 * The study's abandoned experiment, rerun with evidence (notebook 07): the RE model with and without a learned
 * part-of-speech embedding concatenated to the BERT features before the BiLSTM, everything else identical,
 * trained on several seeds per arm.
 *
 * What varies with the seed: the head's initialisation, dropout masks and the batch order (the data split is the
 * study's, fixed by `profile.seed`, the same for every run). Both arms use the same seeds, in pairs, so their
 * difference can be tested pair by pair (ablation-report.ts). Every run starts from the same pretrained encoder
 * weights (a snapshot, restored before each run). A finished run is written to `runsDir` with a fingerprint of its
 * settings and read back instead of retrained when the notebook is run again, so a long `full` ablation can be
 * spread over several sessions; a run cut off mid-way resumes from its last epoch checkpoint.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readJsonFile, writeJsonAtomic } from "../../io";
import { posIdsForSequence } from "../../pos/align";
import { POS_VOCAB } from "../../pos/tags";
import { WordTagger, type TaggingCounts } from "../../pos/tagger";
import type { PosAlignedSequence } from "../../re/model";
import { VariableSnapshot } from "../../train/snapshot";
import { fitStudy, predictSequences, type EpochRecord } from "../../train/fit";
import { planSetupRuns, runIsolated, type RunPlan } from "../shared/isolated-runs";
import { taskModelDir } from "../shared/model-store";
import { currentProfile, type Profile } from "../shared/profile";
import { createReModel, evaluateRe, prepareRe, type ReSetup } from "../re/task";
import { RE_CLASSES, type ReExample } from "../re/data";

/** An RE example with its words' tags and, on its sequence, one POS id per sub-token. */
export interface PosTaggedExample extends ReExample {
  tags: string[];
  sequence: PosAlignedSequence;
}

export interface PosAblationSetup extends Omit<ReSetup, "train" | "val" | "test"> {
  train: PosTaggedExample[];
  val: PosTaggedExample[];
  test: PosTaggedExample[];
  /** What the tagger did over all three parts. */
  tagging: TaggingCounts;
}

/** Tags every word of every example in context and copies the tags to the sub-tokens, as the labels are. */
export function tagExamples(examples: readonly ReExample[], tagger: WordTagger): PosTaggedExample[] {
  return examples.map((ex) => {
    const { tags } = tagger.tagWords(ex.words);
    return { ...ex, tags, sequence: { ...ex.sequence, posIds: posIdsForSequence(ex.sequence, tags) } };
  });
}

/** The RE setup of notebook 05 with every row POS-tagged. */
export async function preparePosAblation(profile: Profile = currentProfile()): Promise<PosAblationSetup> {
  const re = await prepareRe(ablationDataProfile(profile));
  const tagger = new WordTagger();
  return {
    ...re,
    train: tagExamples(re.train, tagger),
    val: tagExamples(re.val, tagger),
    test: tagExamples(re.test, tagger),
    tagging: tagger.totals,
  };
}

export type AblationArm = "without POS" | "with POS";
export const ABLATION_ARMS: readonly AblationArm[] = ["without POS", "with POS"];

/** One trained and evaluated run: an arm on a seed. Field names are the results files' columns. */
export interface AblationRun {
  arm: AblationArm;
  seed: number;
  pos_embedding_size: number;
  /** The study's metric on the test rows: token-level macro F1 over the association classes. */
  test_token_f1: number;
  test_token_precision: number;
  test_token_recall: number;
  /** Relation-level strict F1 on the test rows (gold masks). */
  test_relation_f1: number;
  validation_token_f1: number;
  validation_relation_f1: number;
  parameters_total: number;
  parameters_trainable: number;
  parameters_head: number;
  /** Mean wall time of the main training epochs. */
  train_seconds_per_epoch: number;
  /** Wall time of one prediction pass over the test rows (an inference "epoch"). */
  inference_seconds_per_pass: number;
  inference_rows: number;
  history: EpochRecord[];
  /** True when read back from an earlier execution instead of trained now. */
  reused: boolean;
  /** Peak resident memory of the run's own process (isolated runs), MiB. */
  process_peak_rss_mb?: number;
  /** Wall time of the run's process from start to exit, preparation included (isolated runs), s. */
  process_seconds?: number;
}

export interface PosAblationOptions {
  /** Seeds run in each arm (default: profile.seed, profile.seed + 1, ... profile.ablation.seeds of them). */
  seeds?: number[];
  /** Width of the POS embedding of the "with POS" arm (default profile.ablation.posEmbeddingSize). */
  posEmbeddingSize?: number;
  /** Where finished runs are written and read back from (none: always train). */
  runsDir?: string;
  log?: (line: string) => void;
  /** "process" (default): each run in a fresh child process; "none": in this process, one after another. */
  isolation?: "process" | "none";
  /** Receives how many runs go at once, and why, before they start (isolated runs only). */
  onPlan?: (plan: RunPlan) => void;
}

/**
 * The profile whose RE rows the ablation reads: its own row counts where the profile sets them (its runs are many),
 * notebook 05's RE rows otherwise.
 */
export function ablationDataProfile(profile: Profile): Profile {
  const rows = profile.ablation.maxRows;
  return rows ? { ...profile, re: { ...profile.re, maxRows: rows } } : profile;
}

/** The settings one ablation run trains with: the profile's, on `seed`, with the ablation's epoch counts. */
export function ablationRunProfile(profile: Profile, seed: number): Profile {
  return {
    ...profile,
    seed,
    epochs: profile.ablation.epochs ?? profile.epochs,
    finalEpochs: profile.ablation.finalEpochs ?? profile.finalEpochs,
  };
}

/** Where a run's per-epoch checkpoints live until its results are written. */
export function ablationCheckpointDir(
  profile: Profile,
  arm: AblationArm,
  seed: number,
  posEmbeddingSize = profile.ablation.posEmbeddingSize,
): string {
  // the POS arm's width is in the folder name: a checkpoint of another width cannot be resumed into this model
  const run = arm === "with POS" ? `${slug(arm, seed)}-pos${posEmbeddingSize}` : slug(arm, seed);
  return path.join(taskModelDir(profile.name, profile.model, "pos-ablation"), run, "checkpoints");
}

export const ablationSeeds = (profile: Profile, n = profile.ablation.seeds): number[] =>
  Array.from({ length: n }, (_, k) => profile.seed + k);

const slug = (arm: AblationArm, seed: number) => `${arm.replace(/\s+/g, "-").toLowerCase()}-seed${seed}`;

/** What a finished run's results depend on: a saved run is reused only while this is unchanged. */
export function ablationRunFingerprint(
  setup: PosAblationSetup,
  arm: AblationArm,
  seed: number,
  posEmbeddingSize: number,
): string {
  // the plain arm does not depend on the POS width: changing it must not retrain that arm
  const width = arm === "with POS" ? posEmbeddingSize : 0;
  // nor on the number of seeds, nor on the benchmark's settings (runs saved before those existed stay valid)
  const { ablation, benchmark, ...training } = ablationRunProfile(setup.profile, seed);
  // the run's seed replaces the profile's in `training`; the profile's also chose the data split, so it is kept
  return JSON.stringify({
    profile: training,
    splitSeed: setup.profile.seed,
    model: setup.bert.contentHash,
    arm,
    seed,
    posEmbeddingSize: width,
    rows: [setup.train.length, setup.val.length, setup.test.length],
  });
}

function readFinishedRun(file: string, fingerprint: string, log: (line: string) => void): AblationRun | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const saved = readJsonFile<{ fingerprint?: string; run?: AblationRun }>(file, "finished ablation run");
    return saved.fingerprint === fingerprint && saved.run ? { ...saved.run, reused: true } : undefined;
  } catch (err) {
    // unreadable (torn, or from an older layout): train again, it will be replaced
    log(`${(err as Error).message}; training this run again`);
    return undefined;
  }
}

/** Trains and evaluates one arm on one seed, from the pretrained encoder weights. */
export async function runAblationArm(
  setup: PosAblationSetup,
  arm: AblationArm,
  seed: number,
  posEmbeddingSize: number,
  log: (line: string) => void = () => {},
): Promise<AblationRun> {
  const profile = ablationRunProfile(setup.profile, seed);
  const pos = arm === "with POS" ? { embeddingSize: posEmbeddingSize, vocabSize: POS_VOCAB.length } : undefined;
  const model = createReModel({ bert: setup.bert, profile }, pos);
  try {
    // kept until the run's results are written (runPosAblation): a crash while evaluating then resumes
    // with the trained weights instead of training again
    const fit = await fitStudy(
      model,
      setup.train.map((e) => e.sequence),
      setup.val.map((e) => e.sequence),
      {
        profile,
        numClasses: RE_CLASSES,
        log,
        checkpointDir: ablationCheckpointDir(profile, arm, seed, posEmbeddingSize),
      },
    );
    const t0 = performance.now();
    const testPredictions = await predictSequences(
      model,
      setup.test.map((e) => e.sequence),
      profile,
      { log, label: "test rows" },
    );
    const inferenceSeconds = (performance.now() - t0) / 1000;
    const test = evaluateRe(setup.test, testPredictions);
    const val = evaluateRe(
      setup.val,
      await predictSequences(
        model,
        setup.val.map((e) => e.sequence),
        profile,
        { log, label: "validation rows" },
      ),
    );
    const counts = model.parameterCount();
    const mainEpochs = fit.history.filter((h) => h.phase === "train");
    return {
      arm,
      seed,
      pos_embedding_size: pos ? posEmbeddingSize : 0,
      test_token_f1: test.token.macro.f1,
      test_token_precision: test.token.macro.precision,
      test_token_recall: test.token.macro.recall,
      test_relation_f1: test.relation.f1,
      validation_token_f1: val.token.macro.f1,
      validation_relation_f1: val.relation.f1,
      parameters_total: counts.total,
      parameters_trainable: counts.trainable,
      parameters_head: counts.head,
      train_seconds_per_epoch: mainEpochs.reduce((s, h) => s + h.seconds, 0) / Math.max(1, mainEpochs.length),
      inference_seconds_per_pass: inferenceSeconds,
      inference_rows: setup.test.length,
      history: fit.history,
      reused: false,
    };
  } finally {
    model.dispose();
  }
}

/** What the parent sends a run's process (arm-process.ts). */
export interface AblationJob {
  profile: Profile;
  arm: AblationArm;
  seed: number;
  posEmbeddingSize: number;
  /** The parent's fingerprint of the run: the child checks that it prepared the same rows and model. */
  fingerprint: string;
}

/** The compiled module each isolated run starts from. */
const ARM_PROCESS = path.join(__dirname, "arm-process.js");

/**
 * Both arms on every seed, in pairs (seed s without POS, then seed s with POS, so both members of a pair see
 * the machine in the same state). Returns the runs in that order.
 *
 * By default (`isolation: "process"`) each run trains in a fresh child process, so its WebAssembly heap (which
 * never shrinks) is returned when it ends and the whole ablation finishes in one kernel; runs train side by
 * side, one thread each, within free memory (`planIsolatedRuns` says how many and why, and `onPlan` receives it). `"none"`
 * trains in this process, one run after the other, from a snapshot of the encoder's weights.
 */
export async function runPosAblation(
  setup: PosAblationSetup,
  options: PosAblationOptions = {},
): Promise<AblationRun[]> {
  const seeds = options.seeds ?? ablationSeeds(setup.profile);
  const size = options.posEmbeddingSize ?? setup.profile.ablation.posEmbeddingSize;
  const log = options.log ?? (() => {});
  const planned = seeds.flatMap((seed) => ABLATION_ARMS.map((arm) => ({ arm, seed })));
  const runs: (AblationRun | undefined)[] = new Array(planned.length);
  const pending: { index: number; arm: AblationArm; seed: number; fingerprint: string; file?: string }[] = [];
  planned.forEach(({ arm, seed }, index) => {
    const fingerprint = ablationRunFingerprint(setup, arm, seed, size);
    const file = options.runsDir && path.join(options.runsDir, `${slug(arm, seed)}.json`);
    const done = file ? readFinishedRun(file, fingerprint, log) : undefined;
    if (done) {
      log(`${arm}, seed ${seed}: finished earlier, read back from ${file}`);
      runs[index] = done;
    } else pending.push({ index, arm, seed, fingerprint, file: file || undefined });
  });
  const finish = (p: (typeof pending)[number], run: AblationRun) => {
    log(
      `${p.arm}, seed ${p.seed}: test token F1 ${run.test_token_f1.toFixed(4)}, relation F1 ${run.test_relation_f1.toFixed(4)}`,
    );
    if (p.file) {
      writeJsonAtomic(p.file, { fingerprint: p.fingerprint, run });
      // the results are safe: the checkpoint (a copy of the whole model) is no longer needed
      fs.rmSync(ablationCheckpointDir(setup.profile, p.arm, p.seed, size), { recursive: true, force: true });
    }
    runs[p.index] = run;
  };
  if (pending.length === 0) return runs as AblationRun[];
  if ((options.isolation ?? "process") === "process") {
    const plan = planSetupRuns(setup, pending.length, "runs", log, options.onPlan);
    const jobs = pending.map((p) => ({
      label: `${p.arm}, seed ${p.seed}`,
      message: { profile: setup.profile, arm: p.arm, seed: p.seed, posEmbeddingSize: size, fingerprint: p.fingerprint },
    }));
    await runIsolated<AblationJob, AblationRun>(ARM_PROCESS, jobs, {
      plan,
      backend: setup.backend.name,
      log,
      onDone: (job, outcome) =>
        finish(pending[job], {
          ...outcome.value,
          process_peak_rss_mb: outcome.peakRssMb,
          process_seconds: outcome.seconds,
        }),
    });
    return runs as AblationRun[];
  }
  const snapshot = await VariableSnapshot.take(setup.bert.encoder.variables);
  try {
    for (const p of pending) {
      log(`${p.arm}, seed ${p.seed}: training`);
      snapshot.restore();
      finish(p, await runAblationArm(setup, p.arm, p.seed, size, (line) => log(`  ${line}`)));
    }
  } finally {
    snapshot.restore(); // leave the encoder as it was loaded
    snapshot.dispose();
  }
  return runs as AblationRun[];
}
