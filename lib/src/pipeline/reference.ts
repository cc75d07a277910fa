import * as fs from "node:fs";
import { InputFileError } from "../errors";
import type { StudyPipelineOutput } from "./study-pipeline";

/** The counts the original pipeline printed (the study's README and its reference run), to hold ours against. */
export const ORIGINAL_COUNTS = {
  relations: 6821,
  afterDedup: 6632,
  uniqueSentencesAfterDedup: 4271,
  afterDropAmbiguous: 6507,
  concatenationsPerK: 2148,
  nerRows: 12951,
  reRows: 12951,
  split: { train: 10360, val: 1295, test: 1296 },
} as const;

export interface ReferenceComparison {
  file: string;
  rowsCompared: number;
  mismatches: {
    frame: "ner" | "re" | "split";
    row: number | string;
    field: string;
    ours: unknown;
    original: unknown;
  }[];
}

/**
 * Compare our rows with a sample of the original pipeline's exact output (the JSON layout of
 * `seed-pipeline-sample.json`: `ner_rows`, `re_rows` and `split_head`), field by field.
 */
export function compareWithReferenceSample(out: StudyPipelineOutput, file: string): ReferenceComparison {
  let sample: any;
  try {
    sample = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new InputFileError(file, undefined, `cannot read the reference sample: ${(err as Error).message}`);
  }
  for (const field of ["ner_rows", "re_rows", "split_head"]) {
    if (typeof sample?.[field] !== "object") throw new InputFileError(file, undefined, `field "${field}" is missing`);
  }
  const result: ReferenceComparison = { file, rowsCompared: 0, mismatches: [] };
  const check = (
    frame: "ner" | "re" | "split",
    row: number | string,
    field: string,
    ours: unknown,
    original: unknown,
  ) => {
    if (JSON.stringify(ours) !== JSON.stringify(original))
      result.mismatches.push({ frame, row, field, ours, original });
  };
  for (const group of Object.values(sample.ner_rows) as any[][]) {
    for (const r of group) {
      const mine = out.ner[r.row];
      result.rowsCompared++;
      for (const f of ["text", "drug", "effect", "iob"] as const) check("ner", r.row, f, mine?.[f], r[f]);
    }
  }
  for (const group of Object.values(sample.re_rows) as any[][]) {
    for (const r of group) {
      const mine = out.re[r.row];
      result.rowsCompared++;
      check("re", r.row, "masked_text", mine?.maskedText, r.masked_text);
      check("re", r.row, "annotated_text", mine?.annotatedText, r.annotated_text);
    }
  }
  for (const part of ["train", "val", "test"] as const) {
    const head: number[] = sample.split_head[part];
    check("split", part, "head", out.split[part].slice(0, head.length), head);
  }
  return result;
}
