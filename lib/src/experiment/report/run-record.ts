import * as path from "node:path";
import { saveTable } from "../../viz/table";
import type { BackendInfo } from "../../backend";
import { describeAdapter } from "../../webgpu";
import { describeModelSource, type LoadedBert } from "../../bert/checkpoint";
import { describeProfile, type Profile } from "../shared/profile";
import { writeMetricsFile, type MetricRow, type RunRecord } from "./records";

export type { MetricRow } from "./records";

/** Precision, recall and F1 of any score object, for a metric row. */
export const scoresOf = (s: { precision: number; recall: number; f1: number }) => ({
  precision: s.precision,
  recall: s.recall,
  f1: s.f1,
});

/**
 * A notebook's metrics written for programs (JSON, `MetricsFile`) and for people (Markdown, CSV), each row next
 * to the study's reported figure where there is one, with the record of the run that produced them, so a result
 * file is never separated from how it was made. Fields of `run` beyond the record (a history, counts) are kept.
 */
export function writeMetrics(
  dir: string,
  name: string,
  rows: MetricRow[],
  run: RunRecord & Record<string, unknown>,
): { json: string; csv: string; markdown: string } {
  const json = path.join(dir, `${name}.json`);
  writeMetricsFile(json, run, rows);
  const saved = saveTable(
    rows.map((r) => ({ ...r, reported_f1: r.reported_f1 ?? "" })),
    path.join(dir, name),
  );
  return { json, ...saved };
}

/** How a result was made (all of `RunRecord` but the notebook's name): written next to every result of the run. */
export function runRecord(
  setup: { profile: Profile; backend: BackendInfo; bert: Pick<LoadedBert, "model" | "contentHash"> },
  seconds: number,
): Omit<RunRecord, "notebook"> {
  return {
    ...describeProfile(setup.profile),
    model_dir: setup.bert.model.dir,
    model_hash: setup.bert.contentHash.slice(0, 16),
    model_source: describeModelSource(setup.bert.model),
    backend: setup.backend.name,
    ...(setup.backend.adapter ? { adapter: describeAdapter(setup.backend.adapter) } : {}),
    seconds: Number(seconds.toFixed(1)),
  };
}
