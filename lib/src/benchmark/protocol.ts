/**
 * The field's protocol on the study's models (notebook 08, `adeflow benchmark run`): for each of SpERT's folds,
 * the study's NER and RE models trained exactly as in notebooks 04 and 05 on the fold's training sentences
 * (turned into the study's rows, augmented among themselves only), with a validation part drawn from those
 * training sentences; then the chain of notebook 06 on every test sentence, its entities mapped back onto the
 * benchmark's tokens, scored as SpERT scores, and written in the benchmark's format.
 *
 * The two models are trained one after the other on one encoder: NER first (its predictions on the test
 * sentences are kept), then the encoder is reset to its pretrained weights and RE is trained and run on the
 * NER-masked test sentences. The chain is the one AdePredictor runs (maskPredictedEntities, readRelations),
 * batched, so two fine-tuned encoders never have to be in memory at once.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { initBackend, type BackendInfo } from "../backend";
import { describeModelSource, type LoadedBert } from "../bert/checkpoint";
import type { AlignedSequence } from "../bert/tokenizer";
import {
  goldWordTags,
  predictionOnTokens,
  reachableByWords,
  sentenceText,
  type MappedPrediction,
  type SentenceText,
  type UnmappedReason,
} from "./align";
import { loadBenchmark, type BenchmarkDataset, type BenchmarkSentence } from "./dataset";
import { planFold, type FoldPlan } from "./folds";
import { writePredictions } from "./predictions-file";
import { scoreBenchmark, type BenchmarkScores } from "./score";
import { studyRows, type StudyRows } from "./study-rows";
import { writeJsonAtomic } from "../io";
import type { Entity } from "../metrics/entity";
import { tokenScores, type TokenScores } from "../metrics/token";
import { NER_LABEL_ID, NER_LABELS } from "../pipeline/rows";
import { VariableSnapshot } from "../train/snapshot";
import { maskPredictedEntities, readRelations, type MaskedForRe } from "../experiment/e2e/chain";
import { fitStudy, predictSequences, type EpochRecord } from "../train/fit";
import { taskModelDir } from "../experiment/shared/model-store";
import { createNerModel } from "../experiment/ner/task";
import { encodeNerRows, wordTagsFromPieces } from "../experiment/ner/data";
import { firstPieceLabels, scoredPositions } from "../experiment/shared/pieces";
import { currentProfile, describeProfile, type Profile } from "../experiment/shared/profile";
import { loadProfileBert } from "../experiment/shared/task";
import { planSetupRuns, runIsolated, type RunPlan } from "../experiment/shared/isolated-runs";
import type { LocalBert } from "../experiment/shared/local-bert";
import { createReModel } from "../experiment/re/task";
import { encodeReWords } from "../re/mask-ids";
import { encodeReRows, RE_CLASSES } from "../experiment/re/data";

/** The settings each fold trains with: the profile's, with the benchmark's epoch counts where it sets them. */
export function benchmarkRunProfile(profile: Profile): Profile {
  return {
    ...profile,
    epochs: profile.benchmark.epochs ?? profile.epochs,
    finalEpochs: profile.benchmark.finalEpochs ?? profile.finalEpochs,
  };
}

export interface BenchmarkSetup {
  profile: Profile;
  backend: BackendInfo;
  bert: LoadedBert;
  data: BenchmarkDataset;
  /** A local profile's corpus-made BERT (where it came from). */
  localBert?: LocalBert;
}

export async function prepareBenchmark(
  profile: Profile = currentProfile(),
  options: { spertDir?: string } = {},
): Promise<BenchmarkSetup> {
  const data = loadBenchmark(options.spertDir); // first: a missing or changed file fails before a model is loaded
  const backend = await initBackend();
  // a local profile's BERT comes from the corpus: with the random initialisation (the profile's default) it
  // has seen no sentence; pretrained, it has seen ADE-NEG's and the study's training sentences, which may hold
  // a fold's test sentences (text only, no labels)
  const { bert, localBert } = await loadProfileBert(profile);
  return { profile, backend, bert, data, localBert };
}

/** How the chain's predictions went back onto the benchmark's tokens. */
export interface MappingCounts {
  sentences: number;
  /** Sentences longer than the model's input: their last words were not read. */
  truncatedSentences: number;
  predictedEntities: number;
  unmapped: Record<UnmappedReason, number>;
  lostRelations: number;
  goldEntities: number;
  /** Gold entities that no run of the study's words covers exactly: no prediction can match them. */
  goldEntitiesUnreachable: number;
}

export interface FoldResult {
  fold: number;
  /** Seed of the fold's sample and validation part (profile seed + fold). */
  split_seed: number;
  /** Seed of the models' initialisation, dropout and batch order (the profile's). */
  training_seed: number;
  sentences: { train: number; val: number; test: number; available_train: number; available_test: number };
  rows: { train: StudyRows["counts"]; val: StudyRows["counts"] };
  scores: { all: BenchmarkScores; withoutOverlap: BenchmarkScores };
  /** The study's metric on the same NER predictions: token-level macro F1 over sub-tokens (5 classes, O included). */
  study_token: TokenScores["macro"] & { positions: number };
  mapping: MappingCounts;
  /** What was trained: NER and RE (the chain), or NER alone (then every relation score is 0 and not a result). */
  tasks?: "ner+re" | "ner";
  history: { ner: EpochRecord[]; re: EpochRecord[] };
  seconds: { ner_training: number; re_training: number; prediction: number; total: number };
  predictions_file: string;
  /** True when read back from an earlier execution with the same settings instead of run now. */
  reused: boolean;
}

export interface BenchmarkOptions {
  /** Folds to run (default: the profile's). */
  folds?: number[];
  /** Where per-fold predictions and scores go (and finished folds are read back from). */
  outDir: string;
  log?: (line: string) => void;
  progress?: "auto" | "redraw" | "lines" | false;
  /** "process" (default): each fold in a fresh child process; "none": in this process, one after another. */
  isolation?: "process" | "none";
  /** Receives how many folds go at once, and why, before they start (isolated folds only). */
  onPlan?: (plan: RunPlan) => void;
}

interface ChainInput {
  gold: BenchmarkSentence;
  text: SentenceText;
  words: string[];
  nerSequence: AlignedSequence;
}

function fingerprintOf(setup: BenchmarkSetup, plan: FoldPlan): string {
  const { benchmark, ablation, ...training } = benchmarkRunProfile(setup.profile);
  const ids = createHash("sha256")
    .update(JSON.stringify([plan.train, plan.val, plan.test]))
    .digest("hex")
    .slice(0, 16);
  return JSON.stringify({
    training,
    model: setup.bert.contentHash,
    fold: plan.fold,
    ids,
    validationFraction: benchmark.validationFraction,
  });
}

const foldFile = (outDir: string, fold: number) => path.join(outDir, "folds", `fold-${fold}.json`);

function readFinishedFold(file: string, fingerprint: string): FoldResult | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { fingerprint?: string; result?: FoldResult };
    return saved.fingerprint === fingerprint && saved.result && fs.existsSync(saved.result.predictions_file)
      ? { ...saved.result, reused: true }
      : undefined;
  } catch {
    return undefined; // unreadable: run the fold again, the file will be replaced
  }
}

interface TaskRun {
  log: (line: string) => void;
  progress: BenchmarkOptions["progress"];
  checkpointDir: string;
  /** The progress bar's label for the pass over the test sentences. */
  label: string;
}

const allRows = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * NER trained from the pretrained weights on the fold's rows, then run on the test sentences: word tags, and the
 * study's token-level metric on those predictions (gold tags over the same words, compared sub-token by sub-token).
 */
async function trainAndTagNer(
  setup: BenchmarkSetup,
  profile: Profile,
  snapshot: VariableSnapshot,
  rows: { train: StudyRows; val: StudyRows },
  inputs: readonly ChainInput[],
  run: TaskRun,
) {
  const { tokenizer } = setup.bert;
  snapshot.restore();
  const model = createNerModel({ bert: setup.bert, profile });
  try {
    const encode = (r: StudyRows) =>
      encodeNerRows(r.ner, allRows(r.ner.length), tokenizer, profile.maxLength).map((e) => e.sequence);
    const fit = await fitStudy(model, encode(rows.train), encode(rows.val), {
      profile,
      numClasses: NER_LABELS.length,
      log: run.log,
      progress: run.progress,
      checkpointDir: run.checkpointDir,
    });
    const t0 = Date.now();
    const pieces = await predictSequences(
      model,
      inputs.map((i) => i.nerSequence),
      profile,
      { log: run.log, progress: run.progress, label: run.label },
    );
    const predictionSeconds = (Date.now() - t0) / 1000;
    const tags = inputs.map((inp, i) => wordTagsFromPieces(inp.nerSequence, pieces[i], inp.words.length));
    const goldSeqs = inputs.map((inp) =>
      tokenizer.encodeWords(
        inp.words,
        goldWordTags(inp.text, inp.gold).map((t) => NER_LABEL_ID[t]),
        profile.maxLength,
      ),
    );
    const { yTrue, yPred } = scoredPositions(goldSeqs, pieces);
    return { fit, tags, studyToken: tokenScores(yTrue, yPred), predictionSeconds };
  } finally {
    model.dispose();
  }
}

/** RE trained from the pretrained weights again, then run on the NER-masked test sentences: relations over words. */
async function trainAndLinkRe(
  setup: BenchmarkSetup,
  profile: Profile,
  snapshot: VariableSnapshot,
  rows: { train: StudyRows; val: StudyRows },
  masked: readonly MaskedForRe[],
  run: TaskRun,
) {
  const { tokenizer } = setup.bert;
  snapshot.restore();
  const model = createReModel({ bert: setup.bert, profile });
  try {
    const encode = (r: StudyRows) =>
      encodeReRows(r.re, allRows(r.re.length), tokenizer, profile.maxLength).map((e) => e.sequence);
    const fit = await fitStudy(model, encode(rows.train), encode(rows.val), {
      profile,
      numClasses: RE_CLASSES,
      log: run.log,
      progress: run.progress,
      checkpointDir: run.checkpointDir,
    });
    const sequences = masked.map((m) => encodeReWords(tokenizer, m.words, undefined, profile.maxLength));
    const t0 = Date.now();
    const pieces = await predictSequences(model, sequences, profile, {
      log: run.log,
      progress: run.progress,
      label: run.label,
    });
    const predictionSeconds = (Date.now() - t0) / 1000;
    const relations = masked.map((m, i) => readRelations(m, firstPieceLabels(sequences[i], pieces[i], m.words.length)));
    return { fit, relations, truncated: sequences.map((s) => s.truncated), predictionSeconds };
  } finally {
    model.dispose();
    snapshot.restore(); // leave the encoder as loaded
  }
}

/** A fold's relations where no relation model is trained: none, in the shape the chain's results take. */
function noRelations(masked: readonly MaskedForRe[]): {
  fit?: { history: EpochRecord[]; seconds: number };
  relations: ReturnType<typeof readRelations>[];
  truncated: boolean[];
  predictionSeconds: number;
} {
  return { relations: masked.map(() => []), truncated: masked.map(() => false), predictionSeconds: 0 };
}

/** One fold: train NER and RE on its training sentences, run the chain on its test sentences, map, score, write. */
export async function runBenchmarkFold(
  setup: BenchmarkSetup,
  fold: number,
  snapshot: VariableSnapshot,
  options: BenchmarkOptions,
): Promise<FoldResult> {
  const { bert, data } = setup;
  const profile = benchmarkRunProfile(setup.profile);
  const log = options.log ?? (() => {});
  const progress = options.progress;
  const started = Date.now();
  const plan = planFold(data, fold, profile.benchmark, profile.seed);
  const fingerprint = fingerprintOf(setup, plan);
  const file = foldFile(options.outDir, fold);
  const done = readFinishedFold(file, fingerprint);
  if (done) {
    log(`fold ${fold}: finished earlier, read back from ${file}`);
    return done;
  }
  const pick = (ids: number[]) => ids.map((id) => data.sentences[id]);
  const trainRows = studyRows(pick(plan.train), { augment: profile.benchmark.augment ?? true, seed: plan.seed });
  const valRows = studyRows(pick(plan.val), { augment: false, seed: plan.seed });
  log(
    `fold ${fold}: ${plan.train.length} training sentences (${trainRows.counts.rows} rows + ${trainRows.counts.concatenations} concatenations), ${plan.val.length} validation (${valRows.counts.rows} rows), ${plan.test.length} test sentences`,
  );
  const tokenizer = bert.tokenizer;
  const checkpoints = path.join(taskModelDir(profile.name, profile.model, "benchmark"), `fold-${fold}`);

  // the test sentences as the study's words
  const inputs: ChainInput[] = pick(plan.test).map((gold) => {
    const text = sentenceText(gold.tokens);
    const words = text.words.map((w) => w.text);
    return { gold, text, words, nerSequence: tokenizer.encodeWords(words, undefined, profile.maxLength) };
  });

  const trainingLog = (task: string) => (line: string) => log(`  ${task} ${line}`);
  const ner = await trainAndTagNer(setup, profile, snapshot, { train: trainRows, val: valRows }, inputs, {
    log: trainingLog("NER"),
    progress,
    checkpointDir: path.join(checkpoints, "ner"),
    label: `fold ${fold} NER on test sentences`,
  });
  const masked: MaskedForRe[] = inputs.map((inp, i) => maskPredictedEntities(inp.words, ner.tags[i]));
  const withRe = (profile.benchmark.tasks ?? "ner+re") === "ner+re";
  const re = withRe
    ? await trainAndLinkRe(setup, profile, snapshot, { train: trainRows, val: valRows }, masked, {
        log: trainingLog("RE"),
        progress,
        checkpointDir: path.join(checkpoints, "re"),
        label: `fold ${fold} RE on test sentences`,
      })
    : noRelations(masked);
  const mapped: MappedPrediction[] = inputs.map((inp, i) => {
    const entities = masked[i].entityAt.filter((e): e is Entity => e !== undefined);
    return predictionOnTokens(inp.gold, inp.text, entities, re.relations[i]);
  });
  const truncated = inputs.filter((inp, i) => inp.nerSequence.truncated || re.truncated[i]).length;

  const predicted = mapped.map((m) => m.sentence);
  const gold = inputs.map((i) => i.gold);
  const predictionsFile = path.join(options.outDir, "folds", `fold-${fold}.predictions.json`);
  writePredictions(predictionsFile, predicted);
  const unmapped: Record<UnmappedReason, number> = { "starts inside a token": 0, "ends inside a token": 0 };
  for (const m of mapped) for (const u of m.unmapped) unmapped[u.reason]++;
  const result: FoldResult = {
    fold,
    split_seed: plan.seed,
    training_seed: profile.seed,
    sentences: {
      train: plan.train.length,
      val: plan.val.length,
      test: plan.test.length,
      available_train: plan.available.train,
      available_test: plan.available.test,
    },
    rows: { train: trainRows.counts, val: valRows.counts },
    scores: scoreBenchmark(gold, predicted),
    study_token: { ...ner.studyToken.macro, positions: ner.studyToken.positions },
    mapping: {
      sentences: inputs.length,
      truncatedSentences: truncated,
      predictedEntities: mapped.reduce((s, m) => s + m.sentence.entities.length + m.unmapped.length, 0),
      unmapped,
      lostRelations: mapped.reduce((s, m) => s + m.lostRelations, 0),
      goldEntities: gold.reduce((s, g) => s + g.entities.length, 0),
      goldEntitiesUnreachable: inputs.reduce(
        (s, inp) => s + inp.gold.entities.filter((e) => !reachableByWords(inp.text, e)).length,
        0,
      ),
    },
    tasks: withRe ? "ner+re" : "ner",
    history: { ner: ner.fit.history, re: re.fit?.history ?? [] },
    seconds: {
      ner_training: ner.fit.seconds,
      re_training: re.fit?.seconds ?? 0,
      prediction: ner.predictionSeconds + re.predictionSeconds,
      total: (Date.now() - started) / 1000,
    },
    predictions_file: predictionsFile,
    reused: false,
  };
  const run = {
    ...describeProfile(profile),
    model_hash: bert.contentHash.slice(0, 16),
    model_source: describeModelSource(bert.model),
  };
  writeJsonAtomic(file, { fingerprint, run, result });
  // the fold's results are written: its training checkpoints are no longer needed
  fs.rmSync(checkpoints, { recursive: true, force: true });
  log(
    `fold ${fold}: NER macro F1 ${result.scores.all.ner.macro.f1.toFixed(4)}, ${withRe ? `RE strict macro F1 ${result.scores.all.relationStrict.macro.f1.toFixed(4)}` : "no RE model (NER only)"} (${result.seconds.total.toFixed(1)} s)`,
  );
  return result;
}

/** What the parent sends a fold's process (fold-process.ts). */
export interface BenchmarkFoldJob {
  profile: Profile;
  spertDir: string;
  fold: number;
  outDir: string;
  /** The model the parent loaded: the child checks that it loaded the same. */
  modelHash: string;
}

/** The compiled module each isolated fold starts from. */
const FOLD_PROCESS = path.join(__dirname, "fold-process.js");

/** A fold finished by an earlier execution with the same settings, or undefined. */
export function finishedFold(setup: BenchmarkSetup, fold: number, outDir: string): FoldResult | undefined {
  const plan = planFold(setup.data, fold, setup.profile.benchmark, setup.profile.seed);
  return readFinishedFold(foldFile(outDir, fold), fingerprintOf(setup, plan));
}

/**
 * Every fold of the profile (or those asked for), from the same pretrained weights. By default
 * (`isolation: "process"`) each fold trains in a fresh child process, several side by side, one thread each,
 * within free memory (see planIsolatedRuns; `onPlan` receives the choice); `"none"` runs them here, one after another.
 */
export async function runBenchmark(setup: BenchmarkSetup, options: BenchmarkOptions): Promise<FoldResult[]> {
  const folds = options.folds ?? setup.profile.benchmark.folds;
  const log = options.log ?? (() => {});
  if ((options.isolation ?? "process") === "process") {
    const results = new Map<number, FoldResult>();
    const pending: number[] = [];
    for (const k of folds) {
      const done = finishedFold(setup, k, options.outDir);
      if (done) {
        log(`fold ${k}: finished earlier, read back from ${foldFile(options.outDir, k)}`);
        results.set(k, done);
      } else pending.push(k);
    }
    if (pending.length) {
      const plan = planSetupRuns(setup, pending.length, "folds", log, options.onPlan);
      const outcomes = await runIsolated<BenchmarkFoldJob, FoldResult>(
        FOLD_PROCESS,
        pending.map((fold) => ({
          label: `fold ${fold}`,
          message: {
            profile: setup.profile,
            spertDir: setup.data.dir,
            fold,
            outDir: options.outDir,
            modelHash: setup.bert.contentHash,
          },
        })),
        { plan, backend: setup.backend.name, log },
      );
      pending.forEach((k, i) => results.set(k, outcomes[i].value));
    }
    return folds.map((k) => results.get(k) as FoldResult);
  }
  const snapshot = await VariableSnapshot.take(setup.bert.encoder.variables);
  try {
    const results: FoldResult[] = [];
    for (const k of folds) results.push(await runBenchmarkFold(setup, k, snapshot, options));
    return results;
  } finally {
    snapshot.dispose();
  }
}
