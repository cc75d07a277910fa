/**
 * The benchmark's report: mean and sd over the folds run, this run beside the published table, the folds' sizes,
 * and the files that keep them next to the settings that made them.
 */
import * as path from "node:path";
import { meanStd } from "../stats/ttest";
import { saveTable } from "../viz/table";
import type { Profile } from "../experiment/shared/profile";
import { writeRunSummary } from "../experiment/report/records";
import { runRecord } from "../experiment/report/run-record";
import { hasOverlap, type BenchmarkDataset } from "./dataset";
import { benchmarkRunProfile, type BenchmarkSetup, type FoldResult } from "./protocol";

/** The published figures this protocol is compared with (F1 in %, macro over types, as the papers give them). */
export const PUBLISHED_BENCHMARK = [
  {
    system: "SpERT",
    source:
      "Eberts & Ulges, Span-based Joint Entity and Relation Extraction with Transformer Pre-training, ECAI 2020, arXiv:1909.07755, Table 1",
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

/** One measure of every fold, by name, for the summary and the per-fold chart. */
export const BENCHMARK_MEASURES: { measure: string; of: (r: FoldResult) => number; relations?: true }[] = [
  { measure: "NER macro F1", of: (r) => r.scores.all.ner.macro.f1 },
  { measure: "NER micro F1", of: (r) => r.scores.all.ner.micro.f1 },
  { measure: "RE strict macro F1", of: (r) => r.scores.all.relationStrict.macro.f1, relations: true },
  { measure: "RE boundaries macro F1", of: (r) => r.scores.all.relationBoundaries.macro.f1, relations: true },
  { measure: "NER macro F1, no overlap", of: (r) => r.scores.withoutOverlap.ner.macro.f1 },
  {
    measure: "RE strict macro F1, no overlap",
    of: (r) => r.scores.withoutOverlap.relationStrict.macro.f1,
    relations: true,
  },
  { measure: "NER token macro F1 (study)", of: (r) => r.study_token.f1 },
];

/** Whether a fold trained a relation model (folds written before the NER-only option did). */
export const foldHasRelations = (r: FoldResult): boolean => (r.tasks ?? "ner+re") === "ner+re";

/**
 * Mean and sample standard deviation over the folds run, in %, one row per measure. Relation measures count only
 * the folds that trained a relation model; with none, they are left out.
 */
export function summarizeBenchmark(
  results: readonly FoldResult[],
): { measure: string; folds: number; mean: number; sd: number; per_fold: string }[] {
  return BENCHMARK_MEASURES.flatMap(({ measure, of, relations }) => {
    const values = results.filter((r) => !relations || foldHasRelations(r)).map((r) => 100 * of(r));
    if (values.length === 0) return [];
    const { n, mean, std } = meanStd(values);
    return [{ measure, folds: n, mean, sd: std, per_fold: values.map((v) => v.toFixed(2)).join(" ") }];
  });
}

/** This run beside the published table: NER and RE macro F1 in %, each with its encoder and overlap setting. */
export function benchmarkComparison(
  results: readonly FoldResult[],
  profile: Pick<Profile, "name" | "model">,
): Record<string, string | number>[] {
  const ms = (of: (r: FoldResult) => number, relations = false) => {
    const counted = results.filter((r) => !relations || foldHasRelations(r));
    if (counted.length === 0) return "not trained (NER only)";
    const { mean, std } = meanStd(counted.map((r) => 100 * of(r)));
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
    re_macro_f1: ms((r) => r.scores[overlap].relationStrict.macro.f1, true),
    source: "measured here",
    protocol: differences.length
      ? `not the published protocol: ${differences.join(", ")}`
      : "the published protocol (10 folds, bert-base-cased)",
  });
  return [
    ...PUBLISHED_BENCHMARK.map((p) => ({
      system: p.system,
      encoder: p.encoder,
      overlap: p.overlap,
      ner_macro_f1: p.ner_macro_f1,
      re_macro_f1: p.re_macro_f1,
      source: p.source,
      protocol: "published (10 folds)",
    })),
    ours("all", "all sentences (overlapping entities included)"),
    ours("withoutOverlap", "sentences with overlapping entities left out"),
  ];
}

/** Sizes of SpERT's folds: test sentences, entities and relations, and how many sentences hold overlapping entities. */
export function foldSizes(data: BenchmarkDataset): {
  fold: number;
  test_sentences: number;
  train_sentences: number;
  entities: number;
  relations: number;
  sentences_with_overlap: number;
}[] {
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
export function writeBenchmarkResults(
  outDir: string,
  setup: BenchmarkSetup,
  results: readonly FoldResult[],
  seconds: number,
  madeBy = "08-benchmark",
): {
  summary: ReturnType<typeof summarizeBenchmark>;
  comparison: ReturnType<typeof benchmarkComparison>;
  file: string;
} {
  const summary = summarizeBenchmark(results);
  const comparison = benchmarkComparison(results, setup.profile);
  const file = path.join(outDir, "summary.json");
  const record = {
    notebook: madeBy,
    ...runRecord({ profile: benchmarkRunProfile(setup.profile), backend: setup.backend, bert: setup.bert }, seconds),
  };
  writeRunSummary(file, record, {
    benchmark_dir: setup.data.dir,
    folds_run: results.map((r) => r.fold),
    split_seeds: results.map((r) => r.split_seed),
    training_seed: setup.profile.seed,
    summary,
    comparison,
    folds: results.map(({ history, ...rest }) => rest),
  });
  saveTable(summary, path.join(outDir, "summary"));
  saveTable(comparison, path.join(outDir, "comparison"));
  return { summary, comparison, file };
}
