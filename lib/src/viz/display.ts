import * as path from "node:path";
import type { Figure } from "./figure";
import { chartDivHtml, plotlyLoaderHtml } from "./html";
import { saveChart, type SaveChartOptions } from "./save";
import {
  saveTable,
  tableHtml,
  toTableData,
  type SavedTable,
  type TableHtmlOptions,
  type TableLike,
  type ToTableOptions,
} from "./table";

/**
 * Inline display in a tslab notebook. The page has no internet, so plotly.js comes from node_modules: the
 * first chart of a kernel session carries the bundle (once); every chart is a small div drawn by it.
 */

export interface HtmlDisplay {
  html(s: string): void;
}

/** tslab's display, loaded on first use so that the library also loads outside a kernel. */
function tslabDisplay(): HtmlDisplay {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("tslab") as typeof import("tslab")).display;
}

let plotlyInjected = false;
let chartCounter = 0;
const sessionTag = Math.random().toString(36).slice(2, 8);

/** Forget that plotly.js was sent, so the next chart carries it again (after clearing outputs, or in a new page). */
export function resetChartSession(): void {
  plotlyInjected = false;
}

export interface ShowChartOptions extends SaveChartOptions {
  /** Save the chart too: HTML at this path (and a PNG beside it when Chromium is there). */
  save?: string;
  /** Where the output goes; defaults to tslab's display. */
  display?: HtmlDisplay;
}

/**
 * Draw a chart inline. The HTML sent is the chart's data plus a few lines of script; the plotly.js bundle is
 * sent only with the first chart of the session. With `save`, also writes the files and returns where.
 */
export function showChart(fig: Figure, options: ShowChartOptions = {}): void {
  const saved = options.save ? saveChart(fig, options.save, options) : undefined;
  const fallback = saved ? `A static copy is saved at ${path.basename(saved.png ?? saved.html)}.` : undefined;
  const id = `adeflow-chart-${sessionTag}-${++chartCounter}`;
  const html = (plotlyInjected ? "" : plotlyLoaderHtml() + "\n") + chartDivHtml(fig, { id, fallback });
  (options.display ?? tslabDisplay()).html(html + savedNote(saved ? [saved.html, saved.png] : []));
  plotlyInjected = true;
}

/** A one-line caption under a displayed table or chart naming the files it was saved to. */
function savedNote(files: (string | undefined)[]): string {
  const names = files.filter((f): f is string => !!f).map((f) => path.basename(f));
  return names.length ? `<p style="font-size:11px;color:#888;margin:2px 0;">saved: ${names.join(", ")}</p>` : "";
}

export interface ShowTableOptions extends TableHtmlOptions, ToTableOptions {
  /** Save the table too, as `<save>.csv` and `<save>.md`. */
  save?: string;
  display?: HtmlDisplay;
}

/** Render a danfojs DataFrame or Series (or an array of records) as an HTML table inline; optionally save it. */
export function showTable(table: TableLike, options: ShowTableOptions = {}): void {
  const data = toTableData(table, options);
  const saved: SavedTable | undefined = options.save ? saveTable(table, options.save, options) : undefined;
  (options.display ?? tslabDisplay()).html(
    tableHtml(data, options) + savedNote(saved ? [saved.csv, saved.markdown] : []),
  );
}

/** Show any HTML inline (for example `extractionHtml(...)`). */
export function showHtml(html: string, display: HtmlDisplay = tslabDisplay()): void {
  display.html(html);
}
