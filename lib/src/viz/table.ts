import type { DataFrame, Series } from "danfojs-node";
import * as path from "node:path";
import { writeFileAtomic } from "../io";
import { escapeHtml } from "./html";

/**
 * Tables: a danfojs DataFrame (or Series, or plain row objects) rendered as HTML for the notebook and saved
 * as CSV and Markdown. danfojs is only a type here (duck-typed at run time), so loading the library does
 * not load danfojs and TensorFlow.js; notebooks import `danfojs-node` themselves.
 */

export type Cell = string | number | boolean | null | undefined;
export type TableLike = DataFrame | Series | readonly Record<string, unknown>[];

export interface TableData {
  columns: string[];
  rows: Cell[][];
}

export interface ToTableOptions {
  /**
   * Put the frame's index in a first column named so. Default: only when the index is not 0..n-1
   * (a Series from `valueCounts()` keeps its keys; a frame built from rows drops its row numbers).
   */
  index?: string | boolean;
  /** New names for the columns after the index (e.g. a Series' column "0"); missing ones keep theirs. */
  columns?: string[];
}

const toCell = (v: unknown): Cell =>
  v === null || v === undefined || typeof v === "string" || typeof v === "number" || typeof v === "boolean"
    ? v
    : String(v);

const isDefaultIndex = (index: readonly (string | number)[]): boolean => index.every((v, i) => v === i);

interface NdLike {
  columns: string[];
  index: (string | number)[];
  values: unknown[] | unknown[][];
  $isSeries?: boolean;
}

/** Columns and rows of a danfojs DataFrame or Series, or of plain records (columns in first-seen key order). */
export function toTableData(table: TableLike, options: ToTableOptions = {}): TableData {
  if (Array.isArray(table)) {
    const records = table as readonly Record<string, unknown>[];
    const columns: string[] = [];
    const seen = new Set<string>();
    for (const r of records) {
      for (const k of Object.keys(r)) {
        if (!seen.has(k)) {
          seen.add(k);
          columns.push(k);
        }
      }
    }
    const named = columns.map((c, i) => options.columns?.[i] ?? c);
    return { columns: named, rows: records.map((r) => columns.map((c) => toCell(r[c]))) };
  }
  const nd = table as unknown as NdLike;
  if (!Array.isArray(nd.index) || !Array.isArray(nd.values))
    throw new TypeError("showTable/saveTable: expected a danfojs DataFrame or Series, or an array of records");
  const series = nd.$isSeries === true;
  const values2d: unknown[][] = series ? (nd.values as unknown[]).map((v) => [v]) : (nd.values as unknown[][]);
  const columns = series ? [String(nd.columns?.[0] ?? "value")] : nd.columns.map(String);
  const withIndex = options.index === undefined ? !isDefaultIndex(nd.index) : options.index !== false;
  const indexName = typeof options.index === "string" ? options.index : "";
  const named = columns.map((c, i) => options.columns?.[i] ?? c);
  return {
    columns: withIndex ? [indexName, ...named] : named,
    rows: values2d.map((row, i) => (withIndex ? [toCell(nd.index[i]), ...row.map(toCell)] : row.map(toCell))),
  };
}

/** How a cell reads in HTML and Markdown: floats rounded to `digits`, integers grouped as is, empty for null. */
export function formatCell(v: Cell, digits = 3): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "";
    if (Number.isInteger(v)) return String(v);
    // small values (learning rates, p-values) keep their significant digits instead of rounding to 0
    if (Math.abs(v) < 10 ** -digits) return v.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, "e");
    return String(Number(v.toFixed(digits)));
  }
  return String(v);
}

/** RFC 4180 CSV: a field with a comma, quote, CR/LF or edge spaces is quoted and its quotes doubled. Numbers are written in full. */
export function csvField(v: Cell): string {
  if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) return "";
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(t: TableData): string {
  return [t.columns, ...t.rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** A Markdown (GFM) table cell: `|` and backslashes escaped, line breaks as `<br>`. Quotes need no escaping. */
export function markdownCell(s: string): string {
  return s
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/\r\n|\r|\n/g, "<br>");
}

const isNumericColumn = (t: TableData, c: number): boolean =>
  t.rows.length > 0 && t.rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === "number");

export function toMarkdown(t: TableData, digits = 3): string {
  const header = `| ${t.columns.map(markdownCell).join(" | ")} |`;
  const rule = `|${t.columns.map((_, c) => (isNumericColumn(t, c) ? " ---: " : " --- ")).join("|")}|`;
  const body = t.rows.map((r) => `| ${r.map((v) => markdownCell(formatCell(v, digits))).join(" | ")} |`);
  return [header, rule, ...body].join("\n") + "\n";
}

export interface TableHtmlOptions {
  /** Caption above the table. */
  caption?: string;
  /** Rows shown (default 50); a note says how many more there are. */
  maxRows?: number;
  digits?: number;
}

export function tableHtml(t: TableData, options: TableHtmlOptions = {}): string {
  const maxRows = options.maxRows ?? 50;
  const digits = options.digits ?? 3;
  const numeric = t.columns.map((_, c) => isNumericColumn(t, c));
  const cellStyle = (c: number) =>
    `padding:2px 8px;border-bottom:1px solid #ddd;text-align:${numeric[c] ? "right" : "left"};vertical-align:top;`;
  const head = t.columns
    .map((name, c) => `<th style="${cellStyle(c)}border-bottom:2px solid #999;">${escapeHtml(name)}</th>`)
    .join("");
  const body = t.rows
    .slice(0, maxRows)
    .map(
      (r) =>
        `<tr>${r.map((v, c) => `<td style="${cellStyle(c)}">${escapeHtml(formatCell(v, digits))}</td>`).join("")}</tr>`,
    )
    .join("\n");
  const more =
    t.rows.length > maxRows
      ? `<p style="color:#666;">… ${t.rows.length - maxRows} more rows (${t.rows.length} in all)</p>`
      : "";
  const caption = options.caption
    ? `<caption style="caption-side:top;text-align:left;font-weight:bold;padding:4px 0;">${escapeHtml(options.caption)}</caption>`
    : "";
  return (
    `<table class="adeflow-table" style="border-collapse:collapse;font-size:13px;">${caption}` +
    `<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>${more}`
  );
}

export interface SavedTable {
  csv: string;
  markdown: string;
}

/** Write `<base>.csv` and `<base>.md` atomically (a `.csv` or `.md` suffix on `baseFile` is dropped). */
export function saveTable(
  table: TableLike,
  baseFile: string,
  options: ToTableOptions & { digits?: number } = {},
): SavedTable {
  const base = baseFile.replace(/\.(csv|md)$/i, "");
  const data = toTableData(table, options);
  const csv = `${base}.csv`;
  const markdown = `${base}.md`;
  writeFileAtomic(csv, toCsv(data));
  writeFileAtomic(markdown, toMarkdown(data, options.digits));
  return { csv: path.resolve(csv), markdown: path.resolve(markdown) };
}
