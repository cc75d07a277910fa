/**
 * The results of the last run actually made, read back from `results/`: one table of the test scores with the
 * settings that produced them (date, profile, model, backend, seed), for the README and the terminal. Nothing
 * is typed by hand: a notebook that has not run has no row, and a row always carries its run's settings.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError } from "../../errors";
import { readJsonFile, writeFileAtomic } from "../../io";
import { markdownCell } from "../../viz/table";
import { baselineRowsOf, readAblationSummary, readMetricsFile, readRunSummary, type RunSummaryFile } from "./records";

export type LastRunRow = {
  notebook: string;
  score: string;
  value: string;
  reported: string;
  date: string;
  profile: string;
  model: string;
  backend: string;
  seed: string;
};

const modelName = (m: string) => path.basename(m.replace(/[\\/]+$/, ""));
const day = (iso: string) => iso.slice(0, 16).replace("T", " ");
const f3 = (x: number | null | undefined) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(3) : "-");

function settings(run: RunSummaryFile): Pick<LastRunRow, "date" | "profile" | "model" | "backend" | "seed"> {
  return {
    date: day(run.written_at),
    profile: run.profile,
    model: modelName(run.model),
    backend: run.backend,
    seed: String(run.seed),
  };
}

/**
 * The field's benchmark (notebook 08): its entity- and relation-level F1 over the folds run, as SpERT scores them
 * (the summary holds percentages; the table shows fractions like every other row). Token-level and no-overlap
 * variants stay in the notebook.
 */
function benchmarkRows(nb: string, file: string): LastRunRow[] {
  if (!fs.existsSync(file)) return [];
  const run = readRunSummary(file);
  if (!Array.isArray(run.summary)) throw new AdeflowError(`${file}: field "summary" must be an array`);
  return (run.summary as unknown[]).flatMap((row, i) => {
    const r = row as { measure?: unknown; folds?: unknown; mean?: unknown; sd?: unknown };
    if (typeof r?.measure !== "string" || typeof r.folds !== "number" || typeof r.mean !== "number")
      throw new AdeflowError(`${file}: field "summary[${i}]" is not a row of measure, folds and mean`);
    if (!/F1$/.test(r.measure) || /token|overlap/.test(r.measure)) return [];
    const sd = typeof r.sd === "number" ? ` ± ${f3(r.sd / 100)}` : "";
    return [
      {
        notebook: nb,
        // NER's entity-level F1 is strict too; RE names its matching (strict, boundaries) itself
        score: `SpERT's folds: ${r.measure}${/strict|boundaries/.test(r.measure) ? "" : " (strict)"}, over ${r.folds} fold${r.folds === 1 ? "" : "s"}`,
        value: `${f3(r.mean / 100)}${sd}`,
        reported: "-",
        ...settings(run),
      },
    ];
  });
}

/**
 * Test-split rows of every `<notebook>/metrics.json`, the ablation's means of `07-pos-ablation/summary.json` and the
 * benchmark's of `08-benchmark/summary.json`.
 */
export function collectLastRun(resultsDir: string): LastRunRow[] {
  if (!fs.existsSync(resultsDir)) return [];
  const rows: LastRunRow[] = [];
  for (const nb of fs.readdirSync(resultsDir).sort()) {
    const metrics = path.join(resultsDir, nb, "metrics.json");
    if (fs.existsSync(metrics)) {
      const run = readMetricsFile(metrics);
      for (const m of run.metrics) {
        if (m.split !== "test") continue;
        rows.push({
          notebook: nb,
          score: `${m.model} ${m.metric} F1`,
          value: f3(m.f1),
          reported: f3(m.reported_f1),
          ...settings(run),
        });
      }
    }
    if (nb.includes("benchmark")) rows.push(...benchmarkRows(nb, path.join(resultsDir, nb, "summary.json")));
    const ablation = path.join(resultsDir, nb, "summary.json");
    if (nb.includes("pos-ablation") && fs.existsSync(ablation)) {
      const run = readAblationSummary(ablation);
      for (const s of run.summary) {
        if (!/F1/.test(s.measure)) continue;
        rows.push({
          notebook: nb,
          score: `RE ${s.arm}: ${s.measure}, mean ± sd over ${s.n} seeds`,
          value: `${f3(s.mean)} ± ${f3(s.std)}`,
          reported: "-",
          ...settings(run),
          seed: s.seeds.replace(/ /g, ", "),
        });
      }
    }
  }
  return rows;
}

export function lastRunMarkdown(rows: readonly LastRunRow[]): string {
  if (rows.length === 0)
    return "_No run has written results yet: run `npm start` (or `adeflow reproduce`), then `adeflow results --readme`._";
  const cols: (keyof LastRunRow)[] = [
    "notebook",
    "score",
    "value",
    "reported",
    "date",
    "profile",
    "model",
    "backend",
    "seed",
  ];
  const line = (cells: string[]) => `| ${cells.map(markdownCell).join(" | ")} |`;
  const header = cols.map((c) => (c === "date" ? "date (UTC)" : c));
  return [line(header), line(cols.map(() => "---")), ...rows.map((r) => line(cols.map((c) => r[c])))].join("\n");
}

/** One split of one notebook: the trained model's strict F1 beside the best baseline's, on the same test rows. */
export type BaselineComparisonRow = {
  notebook: string;
  /** What the strict F1 counts. */
  scored: string;
  split: string;
  model: string;
  baseline: string;
  /** model - baseline, signed. */
  difference: string;
  profile: string;
  seed: string;
};

/** What each notebook's `strict_f1` counts. */
function scoredIn(notebook: string): string {
  if (/end-to-end/.test(notebook)) return "relations from raw text (NER -> RE)";
  if (/-re$/.test(notebook)) return "relations, gold entities (RE)";
  if (/-ner$/.test(notebook)) return "entities (NER)";
  return "strict F1";
}

/**
 * The model beside its baselines, from the `baselines` of every `<notebook>/summary.json` that has them (04, 05,
 * 06): per split, the trained system (its name says model) against the best of the others.
 */
export function collectBaselines(resultsDir: string): BaselineComparisonRow[] {
  if (!fs.existsSync(resultsDir)) return [];
  const rows: BaselineComparisonRow[] = [];
  for (const nb of fs.readdirSync(resultsDir).sort()) {
    const file = path.join(resultsDir, nb, "summary.json");
    if (!fs.existsSync(file)) continue;
    // notebooks 01-03 write summaries of another kind: only one with baselines must be a run's
    const raw = readJsonFile(file) as { baselines?: unknown } | null;
    if (raw?.baselines === undefined || nb.includes("pos-ablation")) continue;
    const run = readRunSummary(file);
    const table = baselineRowsOf(run.baselines, file);
    for (const split of [...new Set(table.map((r) => r.split))]) {
      const here = table.filter((r) => r.split === split);
      const model = here.find((r) => /model/.test(r.system));
      const others = here.filter((r) => r !== model).sort((a, b) => b.strict_f1 - a.strict_f1);
      if (!model || others.length === 0) continue;
      const diff = model.strict_f1 - others[0].strict_f1;
      rows.push({
        notebook: nb,
        scored: scoredIn(nb),
        split,
        model: f3(model.strict_f1),
        baseline: `${f3(others[0].strict_f1)} (${others[0].system})`,
        difference: `${diff >= 0 ? "+" : "-"}${f3(Math.abs(diff))}`,
        profile: run.profile,
        seed: String(run.seed),
      });
    }
  }
  return rows;
}

export function baselinesMarkdown(rows: readonly BaselineComparisonRow[]): string {
  const line = (cells: string[]) => `| ${cells.map(markdownCell).join(" | ")} |`;
  const head = ["notebook", "strict F1 of", "split", "model", "baseline", "model - baseline", "profile", "seed"];
  return [
    line(head),
    line(head.map(() => "---")),
    ...rows.map((r) => line([r.notebook, r.scored, r.split, r.model, r.baseline, r.difference, r.profile, r.seed])),
  ].join("\n");
}

/**
 * Everything `adeflow results` prints: the test scores, then (when any notebook has them) the models beside their
 * baselines on the same test rows.
 */
export function lastRunReport(resultsDir: string): string {
  const scores = lastRunMarkdown(collectLastRun(resultsDir));
  const baselines = collectBaselines(resultsDir);
  if (baselines.length === 0) return scores;
  return `${scores}\n\nBeside the baselines that learn only a list, on the same test rows (strict F1):\n\n${baselinesMarkdown(baselines)}`;
}

export const README_RESULTS_START = "<!-- adeflow:last-run:start -->";
export const README_RESULTS_END = "<!-- adeflow:last-run:end -->";

/** The README with the text between the two markers replaced; an error naming the file when a marker is missing. */
export function replaceReadmeSection(readme: string, body: string, file = "README.md"): string {
  const a = readme.indexOf(README_RESULTS_START);
  const b = readme.indexOf(README_RESULTS_END);
  if (a < 0 || b < a)
    throw new AdeflowError(
      `${file}: needs the markers ${README_RESULTS_START} and ${README_RESULTS_END}, in that order, around the results table`,
    );
  return readme.slice(0, a + README_RESULTS_START.length) + "\n" + body + "\n" + readme.slice(b);
}

/** Writes the tables into the README between its markers (atomically); returns them. */
export function writeLastRunIntoReadme(readmeFile: string, resultsDir: string): string {
  const table = lastRunReport(resultsDir);
  writeFileAtomic(readmeFile, replaceReadmeSection(fs.readFileSync(readmeFile, "utf8"), table, readmeFile));
  return table;
}
