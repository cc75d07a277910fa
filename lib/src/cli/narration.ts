/**
 * What `adeflow reproduce` (and so `npm start`) says around the notebooks: before the long work, what will run and
 * how long it should take here (`prefaceLines`); one line as each notebook starts and as it ends, with the time
 * elapsed and the time left, the estimate corrected by what the finished notebooks took (`RunNarrator`); after
 * the last one, or after a failure, the results table, the time per notebook and the next step (`summaryLines`).
 * Only text: the command prints it (stderr) and the notebooks' own output goes between.
 */
import {
  formatDuration,
  formatEstimate,
  remainingSeconds,
  type Finished,
  type NotebookEstimate,
} from "../experiment/plan/estimate";
import type { NotebookWork } from "../experiment/plan/workload";

const LABEL_WIDTH = "notebooks".length;

/** One line of the preface: a label ("profile", "model", "backend", ...) and what it says. */
export const prefaceLine = (label: string, text: string): string => `  ${label.padEnd(LABEL_WIDTH)}  ${text}`;

/** "about 41 min on this machine: 01 10 s, 02 5 s, ..., 08 12 min", or why there is none. */
export function estimateLine(
  estimates: readonly (NotebookEstimate | undefined)[],
  stems: readonly string[],
  why?: string,
): string {
  const per = stems.map((stem, i) => {
    const e = estimates[i];
    return `${stem.slice(0, 2)} ${e ? formatEstimate(e.seconds).replace(/^about /, "") : "?"}`;
  });
  if (estimates.some((e) => !e)) return `none for the notebooks that train${why ? ` (${why})` : ""}; ${per.join(", ")}`;
  const total = estimates.reduce((sum, e) => sum + e!.seconds, 0);
  return `${formatEstimate(total)} on this machine${stems.length > 1 ? `: ${per.join(", ")}` : ""}`;
}

export interface NotebookOutcome extends Finished {
  /** The error's first line, for a notebook that failed. */
  failed?: string;
}

/** Tracks the run's clock and the finished notebooks; makes the lines printed around each notebook. */
export class RunNarrator {
  readonly finished: NotebookOutcome[] = [];
  private readonly started: number;

  constructor(
    readonly stems: readonly string[],
    readonly work: readonly NotebookWork[],
    readonly estimates: readonly (NotebookEstimate | undefined)[],
    private readonly now: () => number = () => Date.now(),
  ) {
    this.started = now();
  }

  /** Seconds since the run started. */
  elapsed(): number {
    return (this.now() - this.started) / 1000;
  }

  /** "about 12 min left", from the estimate corrected by the finished notebooks, or "time left unknown". */
  private left(): string {
    const left = remainingSeconds(
      this.estimates,
      this.finished.filter((f) => !f.failed),
    );
    if (left === undefined) return "time left unknown (no estimate)";
    return left < 1 ? "nothing left" : `${formatEstimate(left)} left`;
  }

  private position(i: number): string {
    return `[${i + 1}/${this.stems.length}] ${this.stems[i]}`;
  }

  /** The line before notebook `i` runs. */
  starting(i: number): string {
    const e = this.estimates[i];
    const what = this.work[i]?.summary;
    return `${this.position(i)}${what && what !== "no training" ? `: ${what}` : ""}; ${e ? `estimate ${formatEstimate(e.seconds)}` : "no estimate"} (${formatDuration(this.elapsed())} elapsed, ${this.left()})`;
  }

  /** Records notebook `i` as finished in `seconds` and returns its line (naming its executed copy when given). */
  done(i: number, seconds: number, executedCopy?: string): string {
    this.finished.push({ notebook: this.stems[i], seconds });
    const e = this.estimates[i];
    const copy = executedCopy ? ` -> ${executedCopy}` : "";
    return `${this.position(i)} done in ${formatDuration(seconds)}${e ? ` (estimated ${formatEstimate(e.seconds)})` : ""}${copy}; ${formatDuration(this.elapsed())} elapsed, ${this.left()}`;
  }

  /** Records notebook `i` as failed after `seconds`. */
  failed(i: number, seconds: number, error: string): void {
    this.finished.push({ notebook: this.stems[i], seconds, failed: error.split("\n")[0] });
  }

  /** The time per notebook as a Markdown table (the estimate beside each), notebooks not run included. */
  timesTable(): string {
    const rows = this.stems.map((stem, i) => {
      const f = this.finished.find((x) => x.notebook === stem);
      const e = this.estimates[i];
      const time = f ? (f.failed ? `failed after ${formatDuration(f.seconds)}` : formatDuration(f.seconds)) : "not run";
      return `| ${stem} | ${time} | ${e ? formatEstimate(e.seconds) : "-"} |`;
    });
    return ["| notebook | time | estimated |", "| --- | --- | --- |", ...rows].join("\n");
  }
}

/** After the run (or its failure): what finished, the results table, the time per notebook, the next step. */
export function summaryLines(
  narrator: RunNarrator,
  results: { table: string; dir: string },
  options: { failed: boolean },
): string[] {
  const ok = narrator.finished.filter((f) => !f.failed).length;
  const total = narrator.stems.length;
  const known = narrator.estimates.every((e) => e !== undefined);
  const estimated = known ? narrator.estimates.reduce((sum, e) => sum + e!.seconds, 0) : undefined;
  const head = options.failed
    ? `adeflow reproduce: stopped after ${ok} of ${total} notebook${total === 1 ? "" : "s"} (${formatDuration(narrator.elapsed())}); the error is below`
    : `adeflow reproduce: ${total} notebook${total === 1 ? "" : "s"} done in ${formatDuration(narrator.elapsed())}${estimated !== undefined ? ` (estimated ${formatEstimate(estimated)})` : ""}`;
  const next = options.failed
    ? "next: read the error below; the executed copy of the failed notebook, with its output, is in its results folder. `npm run lab` opens the notebooks to run it by hand"
    : "next: `npm run lab` opens the notebooks in JupyterLab with the project's kernel; `npx adeflow results` prints this table again";
  return [
    "",
    head,
    "",
    "test scores in results/, as `adeflow results` prints them (each row names the run that made it):",
    results.table,
    "",
    "time per notebook:",
    narrator.timesTable(),
    "",
    `results: ${results.dir}`,
    next,
  ];
}
