import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeFileAtomic } from "../io";
import type { Figure } from "./figure";
import { chartHtml, plotlyScriptPath } from "./html";
import { setting } from "../settings";

/** Where Debian's Chromium lives; `ADEFLOW_CHROMIUM` overrides it. */
export const CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

export function findChromium(): string | undefined {
  const explicit = setting("ADEFLOW_CHROMIUM");
  if (explicit) return fs.existsSync(explicit) ? explicit : undefined;
  return CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p));
}

export interface SaveChartOptions {
  /**
   * Also write a PNG next to the HTML with headless Chromium: "auto" (default) when Chromium is installed and
   * the environment variable ADEFLOW_PNG is not "0"; false never; true requires it (missing Chromium is an error).
   */
  png?: boolean | "auto";
  /** PNG size in CSS pixels (default 1000 x 600). */
  width?: number;
  height?: number;
}

export interface SavedChart {
  html: string;
  png?: string;
  /** Why no PNG was written, when none was. */
  pngSkipped?: string;
}

/** The name of the plotly.js copy that the saved charts of one folder share. */
export const SHARED_PLOTLY = "plotly.min.js";

/** Put plotly.js beside the charts of `dir` once (again when it is missing or differs in size from the bundle). */
export function ensureSharedPlotly(dir: string): string {
  const target = path.join(dir, SHARED_PLOTLY);
  const source = plotlyScriptPath();
  const existing = fs.existsSync(target) ? fs.statSync(target).size : -1;
  if (existing !== fs.statSync(source).size) writeFileAtomic(target, fs.readFileSync(source));
  return target;
}

/**
 * Write the chart as an HTML page (atomically) that loads plotly.js from one copy in its folder
 * (`plotly.min.js`, written once), and a static PNG next to it when Chromium is there. `file` should end in
 * `.html`; the PNG takes the same name with `.png`. The page works offline and from any folder it is copied
 * to together with that one file.
 */
export function saveChart(fig: Figure, file: string, options: SaveChartOptions = {}): SavedChart {
  const html = path.resolve(file.endsWith(".html") ? file : `${file}.html`);
  ensureSharedPlotly(path.dirname(html));
  writeFileAtomic(html, chartHtml(fig, { plotlySrc: SHARED_PLOTLY }));
  const want = options.png ?? "auto";
  if (want === false) return { html, pngSkipped: "PNG not requested" };
  if (want === "auto" && setting("ADEFLOW_PNG") === "0") return { html, pngSkipped: "ADEFLOW_PNG=0" };
  const chromium = findChromium();
  if (!chromium) {
    const reason = `no Chromium at ${CHROMIUM_CANDIDATES.join(" or ")} (apt-get install chromium, or set ADEFLOW_CHROMIUM)`;
    if (want === true) throw new Error(`cannot write the PNG of ${html}: ${reason}`);
    return { html, pngSkipped: reason };
  }
  const png = html.replace(/\.html$/, ".png");
  const result = screenshot(chromium, html, png, options.width ?? 1000, options.height ?? 600);
  if (result !== undefined) {
    if (want === true) throw new Error(`cannot write the PNG of ${html}: ${result}`);
    return { html, pngSkipped: result };
  }
  return { html, png };
}

/** Chromium's own background traffic off (no update checks, sync or extensions): pages stay offline-clean. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--no-first-run",
  "--no-default-browser-check",
];

/** Headless Chromium screenshot of a local page, into a temporary file renamed into place. Returns an error text, or undefined. */
function screenshot(
  chromium: string,
  htmlFile: string,
  pngFile: string,
  width: number,
  height: number,
): string | undefined {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-chromium-"));
  const tmp = `${pngFile}.tmp-${process.pid}-${Date.now()}.png`;
  try {
    const run = spawnSync(
      chromium,
      [
        "--headless",
        ...CHROMIUM_ARGS,
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        `--screenshot=${tmp}`,
        `file://${htmlFile}#static`,
      ],
      { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] },
    );
    if (run.error) return `Chromium failed to run: ${run.error.message}`;
    if (!fs.existsSync(tmp) || fs.statSync(tmp).size === 0) {
      const tail = `${run.stderr ?? ""}`.trim().split("\n").slice(-3).join(" / ");
      return `Chromium wrote no screenshot (exit ${run.status}${tail ? `: ${tail}` : ""})`;
    }
    fs.renameSync(tmp, pngFile);
    return undefined;
  } finally {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
