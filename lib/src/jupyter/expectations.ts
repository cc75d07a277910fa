import * as fs from "node:fs";
import { AdeflowError } from "../errors";

/**
 * What a reader should see under each code cell of a notebook, read from the cell's own source: a call of
 * `showChart` draws a chart, `showTable` a table, `extractionHtml` the highlighted prediction. Deriving it
 * from the source (instead of a list kept in a test) keeps the browser check right when a notebook changes
 * or a new one is added.
 */
export interface CellExpectation {
  /** 1-based number among the notebook's code cells (what error messages name). */
  codeCell: number;
  /** The source's first non-blank line, for messages. */
  firstLine: string;
  source: string;
  charts: number;
  tables: number;
  highlights: boolean;
}

const count = (source: string, pattern: RegExp): number => (source.match(pattern) ?? []).length;

/** Comments are not calls: `// ade.showChart(...)` must not raise an expectation. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

export function cellExpectation(source: string, codeCell: number): CellExpectation {
  const code = stripComments(source);
  return {
    codeCell,
    firstLine:
      source
        .split("\n")
        .find((l) => l.trim())
        ?.trim() ?? "",
    source,
    charts: count(code, /\bshowChart\s*\(/g),
    tables: count(code, /\bshowTable\s*\(/g),
    highlights: /\bextractionHtml\s*\(/.test(code),
  };
}

/** One expectation per code cell of an `.ipynb` file, in order. */
export function notebookExpectations(file: string): CellExpectation[] {
  let nb: { cells?: { cell_type: string; source: string | string[] }[] };
  try {
    nb = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new AdeflowError(`${file}: not a readable notebook (${(err as Error).message})`);
  }
  return (nb.cells ?? [])
    .filter((c) => c.cell_type === "code")
    .map((c, i) => cellExpectation([c.source].flat().join(""), i + 1));
}

/** What the page showed under one code cell (see `CellView` in browser.ts; only what is checked here). */
export interface ShownCell {
  executionCount: number | null;
  errors: string[];
  stderr: string;
  charts: { svg: boolean; marks: number; note?: string }[];
  tables: number;
  highlights: number;
}

/**
 * tslab writes both kinds of failure to stderr rather than as an error output: an exception as its stack
 * (`Error: boom`), a TypeScript compile error as `LINE:COLUMN - message` (`1:7 - Type 'string' is not
 * assignable to type 'number'.`), which has no "error" in it.
 */
const STDERR_ERROR = /error|^\d+:\d+ - /im;

/**
 * Everything a reader would object to, one line each, naming the notebook and the cell: a cell that did not
 * run, an error or an error on stderr (tslab's compile errors), a chart without SVG or without data, a
 * missing table or highlight. An empty list means the notebook looks right.
 */
export function cellProblems(notebook: string, expected: CellExpectation[], shown: ShownCell[]): string[] {
  if (shown.length !== expected.length) {
    return [`${notebook}: the page shows ${shown.length} code cells, the file has ${expected.length}`];
  }
  const problems: string[] = [];
  expected.forEach((e, i) => {
    const s = shown[i];
    const at = `${notebook} code cell ${e.codeCell} (\`${e.firstLine.slice(0, 80)}\`)`;
    if (s.executionCount === null) problems.push(`${at}: did not run (no execution count)`);
    for (const err of s.errors) problems.push(`${at}: error output: ${err.slice(0, 500)}`);
    if (STDERR_ERROR.test(s.stderr)) problems.push(`${at}: error on stderr: ${s.stderr.slice(0, 500)}`);
    if (s.charts.length < e.charts) problems.push(`${at}: ${e.charts} chart(s) expected, ${s.charts.length} shown`);
    s.charts.forEach((c, k) => {
      if (!c.svg) problems.push(`${at}: chart ${k + 1} not drawn${c.note ? ` (${c.note})` : ""}`);
      else if (c.marks === 0) problems.push(`${at}: chart ${k + 1} is drawn without any data`);
    });
    if (s.tables < e.tables) problems.push(`${at}: ${e.tables} table(s) expected, ${s.tables} shown`);
    if (e.highlights && s.highlights === 0) problems.push(`${at}: no highlighted entity in the prediction`);
  });
  return problems;
}
