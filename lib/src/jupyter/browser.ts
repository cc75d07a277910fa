import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { AdeflowError } from "../errors";
import type { CellExpectation } from "./expectations";
import type { JupyterUi } from "./server";

/**
 * Driving one notebook page the way a person does: open it, run every cell from the menu, wait until the
 * kernel is done, then read what the page shows under each cell (prompts, errors, charts, tables,
 * highlights). JupyterLab 4 and Notebook 7 share the front end, so one driver serves both; only the page of
 * a notebook and the side panels differ.
 */

/** What the page shows under one code cell. */
export interface CellView {
  /** The number in the prompt (`[7]:`), or null when the cell never ran (e.g. after an earlier error). */
  executionCount: number | null;
  /** Text of error outputs (tracebacks). */
  errors: string[];
  /** Text written to stderr; tslab reports TypeScript compile errors there. */
  stderr: string;
  /** Text written to stdout (`console.log`). */
  stdout: string;
  charts: ChartView[];
  tables: number;
  /** Highlighted entities (`mark.adeflow-entity`) in extraction outputs. */
  highlights: number;
}

/** One plotly chart as drawn: its SVG and how many data marks (bars, lines, heatmap images) it holds. */
export interface ChartView {
  svg: boolean;
  traces: number;
  marks: number;
  /** The chart's "plotly.js is not loaded" note, when it gave up drawing. */
  note?: string;
}

const SELECTORS = {
  codeCell: ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell",
  prompt: ".jp-InputPrompt",
  error: '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]',
  stderr: '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
  stdout: '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]',
};
type Selectors = typeof SELECTORS;

/** Runs in the page (so it may use nothing from this module): the notebook toolbar's kernel indicator. */
function kernelIndicatorIdle(): boolean {
  const indicator = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator");
  return indicator ? indicator.getAttribute("data-status") === "idle" : false;
}

/** The page says idle, and so does the server, with this page connected to the kernel. */
async function kernelIdle(page: Page, serverIdle: () => Promise<boolean>): Promise<boolean> {
  return (await page.evaluate(kernelIndicatorIdle)) && (await serverIdle());
}

/** Until the notebook is rendered and its kernel has started, is connected and idle (twice in a row). */
async function waitReady(page: Page, serverIdle: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  await page.waitForSelector(`${SELECTORS.codeCell}`, { timeout: timeoutMs });
  const deadline = Date.now() + timeoutMs;
  // the indicator shows "idle" for a moment before the kernel's connection is up; running cells then would
  // open the kernel chooser instead
  for (let idle = 0; idle < 2;) {
    if (Date.now() > deadline) throw new Error("the kernel did not become idle");
    await new Promise((r) => setTimeout(r, 500));
    idle = (await kernelIdle(page, serverIdle)) ? idle + 1 : 0;
  }
}

/** Click a menu bar entry, then an item of the menu it opens (the text up to any trailing ellipsis). */
async function menu(page: Page, title: string, item: string): Promise<void> {
  await page.click(
    `#jp-MainMenu .lm-MenuBar-itemLabel:text-is("${title}"), #jp-menu-panel .lm-MenuBar-itemLabel:text-is("${title}")`,
  );
  await page.click(`.lm-Menu-content .lm-Menu-itemLabel:text-matches("^${item}(…|\\.\\.\\.)?$")`);
}

/** Run → Run All Cells. */
export async function runAllCells(page: Page): Promise<void> {
  await menu(page, "Run", "Run All Cells");
}

/** Kernel → Restart Kernel and Run All Cells…, confirmed in its dialog. */
export async function restartAndRunAll(page: Page): Promise<void> {
  await menu(page, "Kernel", "Restart Kernel and Run All Cells");
  await page.click(".jp-Dialog .jp-Dialog-button.jp-mod-accept");
}

/**
 * Show the whole notebook for a screenshot: side panels closed (JupyterLab opens the file browser), the
 * window as tall as the notebook, so the notebook panel holds every cell without scrolling.
 */
async function fitWholeNotebook(page: Page, width: number): Promise<void> {
  await page.evaluate(() => {
    for (const tab of Array.from(document.querySelectorAll(".jp-SideBar .lm-TabBar-tab.lm-mod-current")))
      (tab as HTMLElement).click();
  });
  const extra = await page.evaluate(() => {
    const scroller = document.querySelector(
      ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer",
    ) as HTMLElement | null;
    if (!scroller) return 0;
    scroller.scrollTop = 0; // running all cells scrolled to the last one
    return scroller.scrollHeight - scroller.clientHeight;
  });
  const viewport = page.viewportSize();
  await page.setViewportSize({ width, height: (viewport?.height ?? 900) + Math.max(0, extra) });
  // plotly's responsive charts redraw on resize
  await new Promise((r) => setTimeout(r, 800));
}

/** Read every code cell of the page (runs in the browser). */
async function readCells(page: Page, selectors: Selectors): Promise<(CellView & { running: boolean })[]> {
  return page.evaluate((sel) => {
    const text = (el: Element) => (el as HTMLElement).innerText ?? el.textContent ?? "";
    return Array.from(document.querySelectorAll(sel.codeCell)).map((cell) => {
      const prompt = cell.querySelector(sel.prompt);
      const inBrackets = /\[(.*?)\]/.exec(prompt ? text(prompt) : "")?.[1]?.trim() ?? "";
      const charts = Array.from(cell.querySelectorAll(".adeflow-chart")).map((div) => {
        const plot = div.classList.contains("js-plotly-plot") ? div : div.querySelector(".js-plotly-plot");
        const svg = plot?.querySelector("svg.main-svg") ?? null;
        // data marks (plotly draws each trace in a `.mlayer`): bar and line paths with a real outline,
        // heatmap images with pixels; axes and grid lines are not marks
        const marks = plot
          ? Array.from(plot.querySelectorAll(".mlayer .trace path, .mlayer .trace image, .mlayer .hm image")).filter(
              (m) => {
                const d = m.getAttribute("d") ?? m.getAttribute("href") ?? m.getAttribute("xlink:href") ?? "";
                return d.length > 4 && d !== "M0,0Z";
              },
            ).length
          : 0;
        return {
          svg: !!svg,
          traces: plot ? plot.querySelectorAll(".mlayer .trace, .mlayer .hm").length : 0,
          marks,
          note: plot ? undefined : text(div).trim().slice(0, 200),
        };
      });
      const prompted = inBrackets === "" || inBrackets === "*" ? null : Number(inBrackets);
      return {
        executionCount: prompted !== null && Number.isFinite(prompted) ? prompted : null,
        running: inBrackets === "*",
        errors: Array.from(cell.querySelectorAll(sel.error)).map((e) => text(e).trim().slice(0, 3000)),
        stderr: Array.from(cell.querySelectorAll(sel.stderr))
          .map((e) => text(e))
          .join("\n")
          .trim(),
        stdout: Array.from(cell.querySelectorAll(sel.stdout))
          .map((e) => text(e))
          .join("\n")
          .trim(),
        charts,
        tables: cell.querySelectorAll("table").length,
        highlights: cell.querySelectorAll(".adeflow-extraction mark.adeflow-entity").length,
      };
    });
  }, selectors);
}

export class BrowserNotebookError extends AdeflowError {
  constructor(message: string) {
    super(message);
    this.name = "BrowserNotebookError";
  }
}

export interface DriveOptions {
  ui: JupyterUi;
  /** The notebook's name, for messages. */
  name: string;
  /** Its code cells' expectations (for the number and first line of the cell a timeout stopped in). */
  expectations: CellExpectation[];
  timeoutMs: number;
  /** Whether the server reports this notebook's kernel idle with a page connected. */
  serverIdle: () => Promise<boolean>;
  /** After running all cells, Kernel → Restart Kernel and Run All Cells, and read the page again. */
  restartAndRunAll?: boolean;
  /** Run all cells (default); false shows the notebook as it was saved, outputs included. */
  run?: boolean;
  /** Write a screenshot of the notebook here: `.png`, or `.jpg` (a fraction of the size; quality 60). */
  screenshot?: string;
  /** Width of the window (default 1280); its height grows to the notebook's for the screenshot. */
  width?: number;
  /** Keep only the top of the notebook in the screenshot, this many pixels (default: all of it). */
  screenshotMaxHeight?: number;
}

export interface DrivenNotebook {
  cells: CellView[];
  /** The page after the first run, when `restartAndRunAll` ran all cells a second time. */
  beforeRestart?: CellView[];
  seconds: number;
  screenshot?: string;
}

const describeCell = (e: CellExpectation | undefined, n: number) =>
  `code cell ${n}${e ? ` (\`${e.firstLine.slice(0, 80)}\`)` : ""}`;

/**
 * Wait until, twice in a row, no prompt shows `*` and the kernel is idle (a queued cell also shows `*`; after
 * an error the kernel drops the queued cells, which keep a blank prompt), then return what the page shows.
 */
async function settle(page: Page, options: DriveOptions, deadline: number): Promise<CellView[]> {
  let settled = 0;
  let cells: (CellView & { running: boolean })[] = [];
  while (settled < 2) {
    await new Promise((r) => setTimeout(r, 500));
    cells = await readCells(page, SELECTORS);
    const busy = cells.some((c) => c.running) || !(await kernelIdle(page, options.serverIdle));
    settled = busy ? 0 : settled + 1;
    if (busy && Date.now() > deadline) {
      const at = cells.findIndex((c) => c.running);
      const where = at >= 0 ? describeCell(options.expectations[at], at + 1) : "the kernel (busy, no cell running)";
      throw new BrowserNotebookError(
        `${options.name}: still running ${options.timeoutMs / 1000} s after Run All, in ${where}`,
      );
    }
  }
  return cells.map(({ running: _running, ...view }) => view);
}

/**
 * Open `url`, run all cells, wait until no cell is running and the kernel is idle, read the page, and take the
 * screenshot. A timeout names the notebook and the cell still running.
 */
export async function driveNotebook(page: Page, url: string, options: DriveOptions): Promise<DrivenNotebook> {
  const started = Date.now();
  await page.goto(url, { waitUntil: "domcontentloaded", timeout: options.timeoutMs });
  try {
    await waitReady(page, options.serverIdle, options.timeoutMs);
  } catch (err) {
    throw new BrowserNotebookError(
      `${options.name}: the page or its kernel did not become ready within ${options.timeoutMs / 1000} s (${(err as Error).message.split("\n")[0]})`,
    );
  }
  // the time limit is for running the cells: a kernel that is slow to start on a busy machine is not a hang
  if (options.run !== false) await runAllCells(page);
  let cells = await settle(page, options, Date.now() + options.timeoutMs);
  let beforeRestart: CellView[] | undefined;
  if (options.restartAndRunAll && options.run !== false) {
    beforeRestart = cells;
    await restartAndRunAll(page);
    // the page must first leave idle (restarting, then busy), or the old outputs would count as the new run
    await page.waitForFunction(
      (sel) => {
        const indicator = document.querySelector(
          ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator",
        );
        return (
          indicator?.getAttribute("data-status") !== "idle" ||
          Array.from(document.querySelectorAll(sel)).some((p) => (p.textContent ?? "").includes("*"))
        );
      },
      `${SELECTORS.codeCell} ${SELECTORS.prompt}`,
      { timeout: 30_000, polling: 50 },
    );
    cells = await settle(page, options, Date.now() + options.timeoutMs);
  }
  const seconds = (Date.now() - started) / 1000;
  let screenshot: string | undefined;
  if (options.screenshot) {
    await fitWholeNotebook(page, options.width ?? 1280);
    fs.mkdirSync(path.dirname(options.screenshot), { recursive: true });
    // written beside the target and renamed, so a half-written image never replaces a good one
    const jpeg = /\.jpe?g$/i.test(options.screenshot);
    const tmp = `${options.screenshot}.tmp-${process.pid}${jpeg ? ".jpg" : ".png"}`;
    const box = await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first().boundingBox();
    if (!box) throw new BrowserNotebookError(`${options.name}: the notebook is not on the page, no screenshot`);
    const clip = { ...box, height: Math.min(box.height, options.screenshotMaxHeight ?? Infinity) };
    await page.screenshot({ path: tmp, clip, type: jpeg ? "jpeg" : "png", ...(jpeg ? { quality: 60 } : {}) });
    fs.renameSync(tmp, options.screenshot);
    screenshot = options.screenshot;
  }
  return { cells, beforeRestart, seconds, screenshot };
}
