import * as fs from "node:fs";
import * as path from "node:path";
import { setting } from "../settings";
import { sha256 } from "../corpus/locate";
import { AdeflowError, InputFileError } from "../errors";
import { repoRoot } from "../paths";

/**
 * The field's ADE benchmark: the 4,272 sentences of ADE Corpus V2 as SpERT (Eberts & Ulges, ECAI 2020) tokenised
 * them, and SpERT's ten folds. Entities are token spans (`end` exclusive) of type `Drug` or `Adverse-Effect`; a
 * relation's `head` is the effect, its `tail` the drug.
 */
export const ENTITY_TYPES = ["Adverse-Effect", "Drug"] as const;
export type BenchmarkEntityType = (typeof ENTITY_TYPES)[number];
export const RELATION_TYPE = "Adverse-Effect";

export interface BenchmarkEntity {
  type: BenchmarkEntityType;
  start: number;
  /** Exclusive, in tokens. */
  end: number;
}

export interface BenchmarkRelation {
  type: string;
  /** Index of the effect in `entities`. */
  head: number;
  /** Index of the drug in `entities`. */
  tail: number;
}

export interface BenchmarkSentence {
  tokens: string[];
  entities: BenchmarkEntity[];
  relations: BenchmarkRelation[];
  orig_id: number;
}

export interface BenchmarkDataset {
  dir: string;
  sentences: BenchmarkSentence[];
  /** Test sentences (orig_id) of each fold; a fold's training part is every other sentence. */
  folds: number[][];
}

/** The files as published (SpERT's split files, as copied into the PFN repository); a changed file is refused. */
export const BENCHMARK_FILES = {
  "ade_full.json": "5bc2355bcb3fa326d0749af0368e7b428b44a63fb8a1fb76ffeef14825e51384",
  "folds.json": "6c769d01089ae26ed3b81c1623e54523e0e804fb0dc7a540d4d5c2b13445e25c",
} as const;

export const SPERT_SOURCE =
  "SpERT's ADE split files ade_split_{0..9}_{train,test}.json (scripts/fetch_datasets.sh of https://github.com/lavis-nlp/spert; " +
  "also under data/ADE of https://github.com/Coopercoppers/PFN)";

/** `--spert-dir`, else `ADEFLOW_SPERT_DIR`, else `../shared/reference/spert-ade` beside the clone. */
export function benchmarkDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit
    ? path.resolve(explicit)
    : (setting("ADEFLOW_SPERT_DIR", env) ?? path.join(repoRoot(), "..", "shared", "reference", "spert-ade"));
}

function verifyFile(dir: string, name: keyof typeof BENCHMARK_FILES): Buffer {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    throw new AdeflowError(
      `${file}: missing benchmark file. Point ADEFLOW_SPERT_DIR (or --spert-dir) at a folder holding ade_full.json and folds.json, built from ${SPERT_SOURCE}; docs/benchmark.md says how.`,
    );
  }
  const data = fs.readFileSync(file);
  const actual = sha256(data);
  if (actual !== BENCHMARK_FILES[name]) {
    throw new AdeflowError(
      `${file}: SHA-256 checksum mismatch (expected ${BENCHMARK_FILES[name]}, found ${actual}); this is not the published benchmark file`,
    );
  }
  return data;
}

function parseJson(file: string, data: Buffer): unknown {
  try {
    return JSON.parse(data.toString("utf8"));
  } catch (err) {
    throw new InputFileError(file, undefined, `not valid JSON (${(err as Error).message})`);
  }
}

const isIndex = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/**
 * Checks one sentence in the benchmark's format and returns it typed; every problem names the file, the record
 * and the field. Used for the gold file and for prediction files alike.
 */
export function checkSentence(
  value: unknown,
  file: string,
  at: number,
  options: { relationTypes?: readonly string[] } = {},
): BenchmarkSentence {
  const where = (field: string) => `record ${at}, ${field}`;
  const fail = (field: string, problem: string): never => {
    throw new InputFileError(file, undefined, `${where(field)}: ${problem}`);
  };
  if (typeof value !== "object" || value === null) fail("(record)", "not an object");
  const s = value as Record<string, unknown>;
  if (!Array.isArray(s.tokens) || !s.tokens.every((t) => typeof t === "string"))
    fail("tokens", "must be a list of strings");
  const tokens = s.tokens as string[];
  if (!Array.isArray(s.entities)) fail("entities", "must be a list");
  const entities = (s.entities as unknown[]).map((e, i) => {
    const o = e as Record<string, unknown>;
    if (typeof o !== "object" || o === null) fail(`entities[${i}]`, "not an object");
    if (!ENTITY_TYPES.includes(o.type as BenchmarkEntityType))
      fail(`entities[${i}].type`, `${JSON.stringify(o.type)} is not one of ${ENTITY_TYPES.join(", ")}`);
    if (
      !isIndex(o.start) ||
      !isIndex(o.end) ||
      (o.start as number) >= (o.end as number) ||
      (o.end as number) > tokens.length
    ) {
      fail(
        `entities[${i}]`,
        `start ${JSON.stringify(o.start)} / end ${JSON.stringify(o.end)} is not a token span of a ${tokens.length}-token sentence (end exclusive)`,
      );
    }
    return { type: o.type as BenchmarkEntityType, start: o.start as number, end: o.end as number };
  });
  if (!Array.isArray(s.relations)) fail("relations", "must be a list");
  const relations = (s.relations as unknown[]).map((r, i) => {
    const o = r as Record<string, unknown>;
    if (typeof o !== "object" || o === null) fail(`relations[${i}]`, "not an object");
    if (typeof o.type !== "string" || (options.relationTypes && !options.relationTypes.includes(o.type)))
      fail(`relations[${i}].type`, `${JSON.stringify(o.type)} is not ${RELATION_TYPE}`);
    for (const k of ["head", "tail"] as const) {
      if (!isIndex(o[k]) || (o[k] as number) >= entities.length)
        fail(`relations[${i}].${k}`, `${JSON.stringify(o[k])} is not an index into the ${entities.length} entities`);
    }
    return { type: o.type as string, head: o.head as number, tail: o.tail as number };
  });
  if (s.orig_id !== undefined && !isIndex(s.orig_id))
    fail("orig_id", `${JSON.stringify(s.orig_id)} is not a sentence index`);
  return { tokens, entities, relations, orig_id: s.orig_id as number };
}

/** Reads and checks both files: checksums, every record, and that the folds are disjoint and cover every sentence. */
export function loadBenchmark(explicitDir?: string): BenchmarkDataset {
  const dir = benchmarkDir(explicitDir);
  const fullFile = path.join(dir, "ade_full.json");
  const foldsFile = path.join(dir, "folds.json");
  const full = parseJson(fullFile, verifyFile(dir, "ade_full.json"));
  if (!Array.isArray(full)) throw new InputFileError(fullFile, undefined, "must be a list of sentences");
  const sentences = full.map((v, i) => {
    const s = checkSentence(v, fullFile, i, { relationTypes: [RELATION_TYPE] });
    if (s.orig_id !== i)
      throw new InputFileError(fullFile, undefined, `record ${i}, orig_id: ${s.orig_id} but it is record ${i}`);
    return s;
  });
  const foldsJson = parseJson(foldsFile, verifyFile(dir, "folds.json")) as { folds?: unknown };
  if (!Array.isArray(foldsJson.folds) || !foldsJson.folds.every((f) => Array.isArray(f) && f.every(isIndex))) {
    throw new InputFileError(foldsFile, undefined, "folds: must be a list of lists of sentence indices");
  }
  const folds = foldsJson.folds as number[][];
  const owner = new Map<number, number>();
  folds.forEach((fold, k) => {
    for (const id of fold) {
      if (id >= sentences.length)
        throw new InputFileError(
          foldsFile,
          undefined,
          `folds[${k}]: sentence ${id} does not exist (${sentences.length} sentences)`,
        );
      if (owner.has(id))
        throw new InputFileError(
          foldsFile,
          undefined,
          `folds[${k}]: sentence ${id} is already in fold ${owner.get(id)}`,
        );
      owner.set(id, k);
    }
  });
  if (owner.size !== sentences.length)
    throw new InputFileError(
      foldsFile,
      undefined,
      `the folds cover ${owner.size} of the ${sentences.length} sentences`,
    );
  return { dir, sentences, folds };
}

/** The indices of a sentence's entities that share a token with another of its entities. */
export function overlappingEntities(s: Pick<BenchmarkSentence, "entities">): Set<number> {
  const out = new Set<number>();
  s.entities.forEach((a, i) =>
    s.entities.forEach((b, j) => {
      if (i < j && a.start < b.end && b.start < a.end) {
        out.add(i);
        out.add(j);
      }
    }),
  );
  return out;
}

export const hasOverlap = (s: Pick<BenchmarkSentence, "entities">): boolean => overlappingEntities(s).size > 0;
