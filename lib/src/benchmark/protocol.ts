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
import { loadBert, type LoadedBert } from "../bert/checkpoint";
import type { AlignedSequence } from "../bert/tokenizer";
import { goldWordTags, predictionOnTokens, reachableByWords, sentenceText, type MappedPrediction, type SentenceText, type UnmappedReason } from "./align";
import { hasOverlap, loadBenchmark, type BenchmarkDataset, type BenchmarkSentence } from "./dataset";
import { planFold, type FoldPlan } from "./folds";
import { writePredictions } from "./predictions-file";
import { scoreBenchmark, type BenchmarkScores } from "./score";
import { studyRows, type StudyRows } from "./study-rows";
import { writeJsonAtomic } from "../io";
import { saveTable } from "../viz/table";
import type { Entity } from "../metrics/entity";
import { tokenScores, type TokenScores } from "../metrics/token";
import { NER_LABEL_ID, NER_LABELS } from "../pipeline/rows";
import { meanStd } from "../stats/ttest";
import { VariableSnapshot } from "../train/snapshot";
import { maskPredictedEntities, readRelations, type MaskedForRe } from "../experiment/e2e/chain";
import { fitStudy, predictSequences, type EpochRecord } from "../train/fit";
import { taskModelDir } from "../experiment/shared/model-store";
import { createNerModel } from "../experiment/ner/task";
import { encodeNerRows, wordTagsFromPieces } from "../experiment/ner/data";
import { firstPieceLabels, scoredPositions } from "../experiment/shared/pieces";
import { currentProfile, describeProfile, type Profile } from "../experiment/shared/profile";
import { createReModel } from "../experiment/re/task";
import { encodeReRows, RE_CLASSES } from "../experiment/re/data";

/** The published figures this protocol is compared with (F1 in %, macro over types, as the papers give them). */
export const PUBLISHED_BENCHMARK = [
  {
    system: "SpERT",
    source: "Eberts & Ulges, Span-based Joint Entity and Relation Extraction with Transformer Pre-training, ECAI 2020, arXiv:1909.07755, Table 1",
    encoder: "bert-base-cased",
    overlap: "these files as published (overlapping entities included)",
    ner_macro_f1: 89.28,
    re_macro_f1: 78.84,
  },
  {
    system: "PFN",
    source: 'Yan et al., "A Partition Filter Network for Joint Entity and Relation Extraction", EMNLP 2021',
    encoder: "bert-base-cased",
    overlap: "overlapping triples removed",
    ner_macro_f1: 89.6,
    re_macro_f1: 80.0,
  },
] as const;

/** The settings each fold trains with: the profile's, with the benchmark's epoch counts where it sets them. */
export function benchmarkRunProfile(profile: Profile): Profile {
  return { ...profile, epochs: profile.benchmark.epochs ?? profile.epochs, finalEpochs: profile.benchmark.finalEpochs ?? profile.finalEpochs };
}

export interface BenchmarkSetup {
  profile: Profile;
  backend: BackendInfo;
  bert: LoadedBert;
  data: BenchmarkDataset;
}

export async function prepareBenchmark(profile: Profile = currentProfile(), options: { spertDir?: string } = {}): Promise<BenchmarkSetup> {
  const data = loadBenchmark(options.spertDir); // first: a missing or changed file fails before a model is loaded
  const backend = await initBackend();
  const bert = await loadBert(profile.model);
  return { profile, backend, bert, data };
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
}

interface ChainInput {
  gold: BenchmarkSentence;
  text: SentenceText;
  words: string[];
  nerSequence: AlignedSequence;
}

function fingerprintOf(setup: BenchmarkSetup, plan: FoldPlan): string {
  const { benchmark, ablation, ...training } = benchmarkRunProfile(setup.profile);
  const ids = createHash("sha256").update(JSON.stringify([plan.train, plan.val, plan.test])).digest("hex").slice(0, 16);
  return JSON.stringify({ training, model: setup.bert.contentHash, fold: plan.fold, ids, validationFraction: benchmark.validationFraction });
}

const foldFile = (outDir: string, fold: number) => path.join(outDir, "folds", `fold-${fold}.json`);

function readFinishedFold(file: string, fingerprint: string): FoldResult | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { fingerprint?: string; result?: FoldResult };
    return saved.fingerprint === fingerprint && saved.result && fs.existsSync(saved.result.predictions_file) ? { ...saved.result, reused: true } : undefined;
  } catch {
    return undefined; // unreadable: run the fold again, the file will be replaced
  }
}

/** One fold: train NER and RE on its training sentences, run the chain on its test sentences, map, score, write. */
export function runBenchmarkFold(setup: BenchmarkSetup, fold: number, snapshot: VariableSnapshot, options: BenchmarkOptions): FoldResult {
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
  const trainRows = studyRows(pick(plan.train), { augment: true, seed: plan.seed });
  const valRows = studyRows(pick(plan.val), { augment: false, seed: plan.seed });
  log(`fold ${fold}: ${plan.train.length} training sentences (${trainRows.counts.rows} rows + ${trainRows.counts.concatenations} concatenations), ${plan.val.length} validation (${valRows.counts.rows} rows), ${plan.test.length} test sentences`);
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  const tokenizer = bert.tokenizer;
  const checkpoints = path.join(taskModelDir(profile.name, profile.model, "benchmark"), `fold-${fold}`);

  // the test sentences as the study's words
  const inputs: ChainInput[] = pick(plan.test).map((gold) => {
    const text = sentenceText(gold.tokens);
    const words = text.words.map((w) => w.text);
    return { gold, text, words, nerSequence: tokenizer.encodeWords(words, undefined, profile.maxLength) };
  });

  // NER, from the pretrained encoder
  snapshot.restore();
  const ner = createNerModel({ bert, profile });
  let nerFit;
  let tags: (typeof NER_LABELS)[number][][];
  let studyToken: TokenScores;
  let predictionSeconds = 0;
  try {
    const nerTrain = encodeNerRows(trainRows.ner, all(trainRows.ner.length), tokenizer, profile.maxLength);
    const nerVal = encodeNerRows(valRows.ner, all(valRows.ner.length), tokenizer, profile.maxLength);
    nerFit = fitStudy(ner, nerTrain.map((e) => e.sequence), nerVal.map((e) => e.sequence), { profile, numClasses: NER_LABELS.length, log: (l) => log(`  NER ${l}`), progress, checkpointDir: path.join(checkpoints, "ner") });
    const t0 = Date.now();
    const pieces = predictSequences(ner, inputs.map((i) => i.nerSequence), profile, { log, progress, label: `fold ${fold} NER on test sentences` });
    predictionSeconds += (Date.now() - t0) / 1000;
    tags = inputs.map((inp, i) => wordTagsFromPieces(inp.nerSequence, pieces[i], inp.words.length));
    // the study's metric on these predictions: gold tags over the same words, compared sub-token by sub-token
    const goldSeqs = inputs.map((inp) => tokenizer.encodeWords(inp.words, goldWordTags(inp.text, inp.gold).map((t) => NER_LABEL_ID[t]), profile.maxLength));
    const { yTrue, yPred } = scoredPositions(goldSeqs, pieces);
    studyToken = tokenScores(yTrue, yPred);
  } finally {
    ner.dispose();
  }

  // RE, from the pretrained encoder again, on the NER-masked test sentences
  const masked: MaskedForRe[] = inputs.map((inp, i) => maskPredictedEntities(inp.words, tags[i]));
  snapshot.restore();
  const re = createReModel({ bert, profile });
  let reFit;
  let mapped: MappedPrediction[];
  const truncated = new Set<number>();
  try {
    const reTrain = encodeReRows(trainRows.re, all(trainRows.re.length), tokenizer, profile.maxLength);
    const reVal = encodeReRows(valRows.re, all(valRows.re.length), tokenizer, profile.maxLength);
    reFit = fitStudy(re, reTrain.map((e) => e.sequence), reVal.map((e) => e.sequence), { profile, numClasses: RE_CLASSES, log: (l) => log(`  RE ${l}`), progress, checkpointDir: path.join(checkpoints, "re") });
    const reSeqs = masked.map((m) => tokenizer.encodeWords(m.words, undefined, profile.maxLength));
    const t0 = Date.now();
    const rePieces = predictSequences(re, reSeqs, profile, { log, progress, label: `fold ${fold} RE on test sentences` });
    predictionSeconds += (Date.now() - t0) / 1000;
    mapped = inputs.map((inp, i) => {
      if (inp.nerSequence.truncated || reSeqs[i].truncated) truncated.add(i);
      const relations = readRelations(masked[i], firstPieceLabels(reSeqs[i], rePieces[i], masked[i].words.length));
      const entities = masked[i].entityAt.filter((e): e is Entity => e !== undefined);
      return predictionOnTokens(inp.gold, inp.text, entities, relations);
    });
  } finally {
    re.dispose();
    snapshot.restore(); // leave the encoder as loaded
  }

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
    sentences: { train: plan.train.length, val: plan.val.length, test: plan.test.length, available_train: plan.available.train, available_test: plan.available.test },
    rows: { train: trainRows.counts, val: valRows.counts },
    scores: scoreBenchmark(gold, predicted),
    study_token: { ...studyToken.macro, positions: studyToken.positions },
    mapping: {
      sentences: inputs.length,
      truncatedSentences: truncated.size,
      predictedEntities: mapped.reduce((s, m) => s + m.sentence.entities.length + m.unmapped.length, 0),
      unmapped,
      lostRelations: mapped.reduce((s, m) => s + m.lostRelations, 0),
      goldEntities: gold.reduce((s, g) => s + g.entities.length, 0),
      goldEntitiesUnreachable: inputs.reduce((s, inp) => s + inp.gold.entities.filter((e) => !reachableByWords(inp.text, e)).length, 0),
    },
    history: { ner: nerFit.history, re: reFit.history },
    seconds: { ner_training: nerFit.seconds, re_training: reFit.seconds, prediction: predictionSeconds, total: (Date.now() - started) / 1000 },
    predictions_file: predictionsFile,
    reused: false,
  };
  writeJsonAtomic(file, { fingerprint, run: describeProfile(profile), result });
  // the fold's results are written: its training checkpoints are no longer needed
  fs.rmSync(checkpoints, { recursive: true, force: true });
  log(`fold ${fold}: NER macro F1 ${result.scores.all.ner.macro.f1.toFixed(4)}, RE strict macro F1 ${result.scores.all.relationStrict.macro.f1.toFixed(4)} (${result.seconds.total.toFixed(1)} s)`);
  return result;
}

/** Every fold of the profile (or those asked for), from the same pretrained weights. */
export function runBenchmark(setup: BenchmarkSetup, options: BenchmarkOptions): FoldResult[] {
  const folds = options.folds ?? setup.profile.benchmark.folds;
  const snapshot = new VariableSnapshot(setup.bert.encoder.variables);
  try {
    return folds.map((k) => runBenchmarkFold(setup, k, snapshot, options));
  } finally {
    snapshot.dispose();
  }
}

/** One measure of every fold, by name, for the summary and the per-fold chart. */
export const BENCHMARK_MEASURES: { measure: string; of: (r: FoldResult) => number }[] = [
  { measure: "NER macro F1", of: (r) => r.scores.all.ner.macro.f1 },
  { measure: "NER micro F1", of: (r) => r.scores.all.ner.micro.f1 },
  { measure: "RE strict macro F1", of: (r) => r.scores.all.relationStrict.macro.f1 },
  { measure: "RE boundaries macro F1", of: (r) => r.scores.all.relationBoundaries.macro.f1 },
  { measure: "NER macro F1, no overlap", of: (r) => r.scores.withoutOverlap.ner.macro.f1 },
  { measure: "RE strict macro F1, no overlap", of: (r) => r.scores.withoutOverlap.relationStrict.macro.f1 },
  { measure: "NER token macro F1 (study)", of: (r) => r.study_token.f1 },
];

/** Mean and sample standard deviation over the folds run, in %, one row per measure. */
export function summarizeBenchmark(results: readonly FoldResult[]): { measure: string; folds: number; mean: number; sd: number; per_fold: string }[] {
  return BENCHMARK_MEASURES.map(({ measure, of }) => {
    const values = results.map((r) => 100 * of(r));
    const { n, mean, std } = meanStd(values);
    return { measure, folds: n, mean, sd: std, per_fold: values.map((v) => v.toFixed(2)).join(" ") };
  });
}

/** This run beside the published table: NER and RE macro F1 in %, each with its encoder and overlap setting. */
export function benchmarkComparison(results: readonly FoldResult[], profile: Pick<Profile, "name" | "model">): Record<string, string | number>[] {
  const ms = (of: (r: FoldResult) => number) => {
    const { mean, std } = meanStd(results.map((r) => 100 * of(r)));
    return `${mean.toFixed(2)} ± ${Number.isNaN(std) ? "n/a" : std.toFixed(2)}`;
  };
  const differences = [
    ...(results.length < 10 ? [`${results.length} of 10 folds`] : []),
    ...(path.basename(profile.model) !== "bert-base-cased" ? [`encoder ${path.basename(profile.model)}`] : []),
  ];
  const ours = (overlap: "all" | "withoutOverlap", label: string) => ({
    system: `this run (${results.length} fold${results.length === 1 ? "" : "s"}, ${profile.name} profile)`,
    encoder: path.basename(profile.model),
    overlap: label,
    ner_macro_f1: ms((r) => r.scores[overlap].ner.macro.f1),
    re_macro_f1: ms((r) => r.scores[overlap].relationStrict.macro.f1),
    source: "measured here",
    protocol: differences.length ? `not the published protocol: ${differences.join(", ")}` : "the published protocol (10 folds, bert-base-cased)",
  });
  return [
    ...PUBLISHED_BENCHMARK.map((p) => ({ system: p.system, encoder: p.encoder, overlap: p.overlap, ner_macro_f1: p.ner_macro_f1, re_macro_f1: p.re_macro_f1, source: p.source, protocol: "published (10 folds)" })),
    ours("all", "all sentences (overlapping entities included)"),
    ours("withoutOverlap", "sentences with overlapping entities left out"),
  ];
}

/** Sizes of SpERT's folds: test sentences, entities and relations, and how many sentences hold overlapping entities. */
export function foldSizes(data: BenchmarkDataset): { fold: number; test_sentences: number; train_sentences: number; entities: number; relations: number; sentences_with_overlap: number }[] {
  return data.folds.map((ids, fold) => {
    const s = ids.map((id) => data.sentences[id]);
    return {
      fold,
      test_sentences: ids.length,
      train_sentences: data.sentences.length - ids.length,
      entities: s.reduce((a, x) => a + x.entities.length, 0),
      relations: s.reduce((a, x) => a + x.relations.length, 0),
      sentences_with_overlap: s.filter(hasOverlap).length,
    };
  });
}

/**
 * The run's summary next to how it was made: `summary.json` (profile, seeds, backend, model hash, per-fold
 * results, mean and sd, the comparison with the published table) and the same tables as CSV and Markdown.
 */
export function writeBenchmarkResults(outDir: string, setup: BenchmarkSetup, results: readonly FoldResult[], seconds: number): { summary: ReturnType<typeof summarizeBenchmark>; comparison: ReturnType<typeof benchmarkComparison>; file: string } {
  const summary = summarizeBenchmark(results);
  const comparison = benchmarkComparison(results, setup.profile);
  const file = path.join(outDir, "summary.json");
  writeJsonAtomic(file, {
    ...describeProfile(benchmarkRunProfile(setup.profile)),
    benchmark_dir: setup.data.dir,
    model_hash: setup.bert.contentHash.slice(0, 16),
    backend: setup.backend.name,
    seconds: Number(seconds.toFixed(1)),
    folds_run: results.map((r) => r.fold),
    split_seeds: results.map((r) => r.split_seed),
    training_seed: setup.profile.seed,
    summary,
    comparison,
    folds: results.map(({ history, ...rest }) => rest),
    written_at: new Date().toISOString(),
  });
  saveTable(summary, path.join(outDir, "summary"));
  saveTable(comparison, path.join(outDir, "comparison"));
  return { summary, comparison, file };
}
