import * as fs from "node:fs";
import { DEFAULT_CHART_HEIGHT, type Figure } from "./figure";

/**
 * HTML for plotly figures, with plotly.js taken from the project's own node_modules (never a CDN: the
 * notebooks and the saved charts must work offline).
 */

let plotlyCache: string | undefined;

/** Path of plotly.min.js inside node_modules (package `plotly.js-dist-min`). */
export function plotlyScriptPath(): string {
  return require.resolve("plotly.js-dist-min");
}

/** The plotly.js bundle, made safe to sit inside an inline `<script>` element (read once per process). */
export function plotlySource(): string {
  if (plotlyCache === undefined) plotlyCache = inlineScriptSafe(fs.readFileSync(plotlyScriptPath(), "utf8"));
  return plotlyCache;
}

/** Escape the one sequence that would end an inline script early; `<\/script` means the same inside JS strings. */
export function inlineScriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, "<\\/$1");
}

/** JSON to embed in a script: `<`, `>`, `&` and the JS line separators escaped, so data cannot break out. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** plotly's per-chart configuration: no plotly logo, no link to the plotly cloud, resizes with the page. */
export const PLOTLY_CONFIG = { responsive: true, displaylogo: false, showLink: false } as const;

export interface ChartHtmlOptions {
  /** Page title; defaults to the figure's title. */
  title?: string;
  /** Fill the browser window (default true): the saved page and its PNG then have the window's size. */
  fullWindow?: boolean;
  /**
   * Load plotly.js from this relative address (a copy beside the page, shared by every chart of its folder)
   * instead of inlining the 4.8 MB bundle into each page. Still offline: the copy is a local file.
   */
  plotlySrc?: string;
}

const figureTitle = (fig: Figure): string => fig.layout.title?.text ?? "chart";

/** An HTML page: plotly.js inlined once (or from a local copy, `plotlySrc`), then the figure in one div. No network. */
export function chartHtml(fig: Figure, options: ChartHtmlOptions = {}): string {
  const title = options.title ?? figureTitle(fig);
  const fullWindow = options.fullWindow ?? true;
  const size = fullWindow
    ? "width:100vw;height:100vh;"
    : `width:100%;height:${fig.layout.height ?? DEFAULT_CHART_HEIGHT}px;`;
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    "<style>html,body{margin:0;padding:0;background:#fff;}</style>",
    options.plotlySrc
      ? `<script src="${escapeHtml(options.plotlySrc)}"></script>`
      : `<script>${plotlySource()}</script>`,
    "</head>",
    "<body>",
    `<div id="chart" style="${size}"></div>`,
    // Full window: plotly's own autosize keeps 450 px of height, so the page passes the div's size, and
    // follows the window when it is resized. `#static` (the PNG screenshot) hides the plotly toolbar.
    `<script>(function(){var fig=${jsonForScript(fig)},el=document.getElementById("chart"),full=${fullWindow};` +
      `var config=Object.assign({},${jsonForScript(PLOTLY_CONFIG)},location.hash==="#static"?{displayModeBar:false}:{});` +
      `function size(){return full?{width:fig.layout.width||el.clientWidth,height:fig.layout.height||el.clientHeight}:{};}` +
      `window.Plotly.newPlot(el,fig.data,Object.assign({},fig.layout,size()),config);` +
      `if(full)window.addEventListener("resize",function(){window.Plotly.relayout(el,size());});})();</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** The plotly.js bundle as one `<script>` element, for a notebook page that has no plotly yet. */
export function plotlyLoaderHtml(): string {
  return `<script>${plotlySource()}</script>`;
}

export interface ChartDivOptions {
  /** Element id; must be unique in the page (the notebook layer numbers its charts). */
  id: string;
  /** Shown in the div when plotly.js is not in the page (e.g. a static viewer): where else to see the chart. */
  fallback?: string;
}

/**
 * A chart as a small HTML fragment: one div and a script that draws into it with the page's `window.Plotly`
 * (waiting up to about 5 s for it to appear). Without plotly, the div keeps an explanatory note.
 */
export function chartDivHtml(fig: Figure, options: ChartDivOptions): string {
  const height = fig.layout.height ?? DEFAULT_CHART_HEIGHT;
  const note =
    "Interactive chart: it needs JavaScript and plotly.js, which the first chart of a kernel session loads into the page." +
    (options.fallback ? ` ${options.fallback}` : "");
  const missing =
    "plotly.js is not loaded in this page, so this chart cannot be drawn. Call resetChartSession() and run the cell again " +
    "(the next chart then carries plotly.js)" +
    (options.fallback ? `, or ${options.fallback}` : ".");
  const id = jsonForScript(options.id);
  return (
    `<div id="${escapeHtml(options.id)}" class="adeflow-chart" style="width:100%;min-height:${height}px;">` +
    `<p style="color:#666;font-style:italic;">${escapeHtml(note)}</p></div>\n` +
    `<script>(function(){var id=${id},fig=${jsonForScript(fig)},tries=0;` +
    `function draw(){var el=document.getElementById(id);if(!el)return;` +
    `if(window.Plotly){el.innerHTML="";window.Plotly.newPlot(el,fig.data,fig.layout,${jsonForScript(PLOTLY_CONFIG)});return;}` +
    `if(++tries<50){setTimeout(draw,100);return;}` +
    `el.textContent=${jsonForScript(missing)};}draw();})();</script>`
  );
}
