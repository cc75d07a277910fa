import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { AdeflowError } from "../errors";
import type { CellExpectation } from "./expectations";
import type { JupyterUi } from "./server";

/**
 * Driving one notebook page the way a person does: open it, run every cell, wait until the kernel is done,
 * then read what the page shows under each cell (prompts, errors, charts, tables, highlights). What differs
 * between JupyterLab and the classic Notebook is kept in a small driver per UI; the reading is shared.
 */

/** What the page shows under one code cell. */
export interface CellView {
  /** The number in the prompt (`In [7]`), or null when the cell never ran (e.g. after an earlier error). */
  executionCount: number | null;
  /** Text of error outputs (tracebacks). */
  errors: string[];
  /** Text written to stderr; tslab reports TypeScript compile errors there. */
  stderr: string;
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

interface UiDriver {
  selectors: { codeCell: string; prompt: string; error: string; stderr: string };
  /** Until the notebook is rendered and its kernel is started and idle. */
  waitReady(page: Page, timeoutMs: number): Promise<void>;
  runAll(page: Page): Promise<void>;
  /** Whether the kernel reports itself idle (the prompts alone can lag a reply). */
  kernelIdle(page: Page): Promise<boolean>;
  /** Make the whole notebook part of the page's height, so a full-page screenshot shows every cell. */
  unclipForScreenshot(page: Page): Promise<void>;
}

const classic: UiDriver = {
  selectors: {
    codeCell: "#notebook-container .cell.code_cell",
    prompt: ".input_prompt",
    error: ".output_error",
    stderr: ".output_stderr",
  },
  async waitReady(page, timeoutMs) {
    await page.waitForFunction(
      () => {
        const w = window as any;
        const kernel = w.Jupyter?.notebook?.kernel;
        return !!kernel && kernel.is_connected() && !!document.querySelector("#kernel_indicator_icon.kernel_idle_icon");
      },
      undefined,
      { timeout: timeoutMs, polling: 250 },
    );
  },
  async runAll(page) {
    // Kernel -> Restart & Run All needs a confirmation click; on a kernel started for this page, running
    // all cells is the same thing. Autosave off: the page must never write outputs into the notebook file.
    await page.evaluate(() => {
      const nb = (window as any).Jupyter.notebook;
      nb.set_autosave_interval(0);
      nb.execute_all_cells();
    });
  },
  kernelIdle: (page) => page.evaluate(() => !!document.querySelector("#kernel_indicator_icon.kernel_idle_icon")),
  async unclipForScreenshot(page) {
    // The classic page scrolls inside #site with a fixed height; let the document grow instead.
    await page.addStyleTag({
      content:
        "html,body{height:auto!important;overflow:visible!important}" +
        "#site{height:auto!important;overflow:visible!important;display:block!important}" +
        "#header{position:static!important}",
    });
  },
};

/** JupyterLab 3/4. Not exercised where only the classic Notebook is installed (see the README). */
const lab: UiDriver = {
  selectors: {
    codeCell: ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell",
    prompt: ".jp-InputPrompt",
    error: '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]',
    stderr: '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
  },
  async waitReady(page, timeoutMs) {
    await page.waitForSelector(".jp-NotebookPanel .jp-Notebook .jp-Cell", { timeout: timeoutMs });
    await page.waitForFunction(labKernelIdle, undefined, { timeout: timeoutMs, polling: 250 }).catch(async () => {
      // older Labs have no execution indicator: fall back to the kernel name being shown
      await page.waitForSelector(".jp-KernelName", { timeout: timeoutMs });
    });
  },
  async runAll(page) {
    await page.click('#jp-MainMenu .lm-MenuBar-itemLabel:text-is("Run"), #jp-MainMenu .p-MenuBar-itemLabel:text-is("Run")');
    await page.click('.lm-Menu-itemLabel:text-is("Run All Cells"), .p-Menu-itemLabel:text-is("Run All Cells")');
  },
  kernelIdle: (page) => page.evaluate(labKernelIdle),
  async unclipForScreenshot(page) {
    await page.addStyleTag({
      content:
        "html,body,#main,.jp-LabShell,.lm-DockPanel,.jp-NotebookPanel,.jp-WindowedPanel-outer,.jp-Notebook{" +
        "height:auto!important;overflow:visible!important;position:static!important;contain:none!important}" +
        ".jp-Cell{content-visibility:visible!important}",
    });
  },
};

/** Runs in the page (so it may use nothing from this module): JupyterLab's toolbar execution indicator. */
function labKernelIdle(): boolean {
  const indicator = document.querySelector(".jp-Notebook-ExecutionIndicator");
  return indicator ? indicator.getAttribute("data-status") === "idle" : false;
}

export const drivers: Record<JupyterUi, UiDriver> = { notebook: classic, lab };

/** Read every code cell of the page (runs in the browser). */
async function readCells(page: Page, selectors: UiDriver["selectors"]): Promise<(CellView & { running: boolean })[]> {
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
          ? Array.from(plot.querySelectorAll(".mlayer .trace path, .mlayer .trace image, .mlayer .hm image")).filter((m) => {
              const d = m.getAttribute("d") ?? m.getAttribute("href") ?? m.getAttribute("xlink:href") ?? "";
              return d.length > 4 && d !== "M0,0Z";
            }).length
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
        stderr: Array.from(cell.querySelectorAll(sel.stderr)).map((e) => text(e)).join("\n").trim(),
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
  /** Write a full-page PNG here. */
  screenshot?: string;
}

export interface DrivenNotebook {
  cells: CellView[];
  seconds: number;
  screenshot?: string;
}

const describeCell = (e: CellExpectation | undefined, n: number) => `code cell ${n}${e ? ` (\`${e.firstLine.slice(0, 80)}\`)` : ""}`;

/**
 * Open `url`, run all cells, wait until no cell is running and the kernel is idle, read the page, and take the
 * screenshot. A timeout names the notebook and the cell still running.
 */
export async function driveNotebook(page: Page, url: string, options: DriveOptions): Promise<DrivenNotebook> {
  const driver = drivers[options.ui];
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  await page.goto(url, { waitUntil: "domcontentloaded", timeout: options.timeoutMs });
  try {
    await driver.waitReady(page, options.timeoutMs);
  } catch (err) {
    throw new BrowserNotebookError(`${options.name}: the page or its kernel did not become ready within ${options.timeoutMs / 1000} s (${(err as Error).message.split("\n")[0]})`);
  }
  await driver.runAll(page);
  // Done when, twice in a row, no prompt shows `*` and the kernel is idle: a cell that is queued but not yet
  // started also shows `*`, and after an error the kernel drops the queued cells, so they keep a blank prompt.
  let settled = 0;
  let cells: (CellView & { running: boolean })[] = [];
  while (settled < 2) {
    await new Promise((r) => setTimeout(r, 500));
    cells = await readCells(page, driver.selectors);
    const busy = cells.some((c) => c.running) || !(await driver.kernelIdle(page));
    settled = busy ? 0 : settled + 1;
    if (busy && Date.now() > deadline) {
      const at = cells.findIndex((c) => c.running);
      const where = at >= 0 ? describeCell(options.expectations[at], at + 1) : "the kernel (busy, no cell running)";
      throw new BrowserNotebookError(`${options.name}: still running after ${options.timeoutMs / 1000} s, in ${where}`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  let screenshot: string | undefined;
  if (options.screenshot) {
    await driver.unclipForScreenshot(page);
    fs.mkdirSync(path.dirname(options.screenshot), { recursive: true });
    // written beside the target and renamed, so a half-written PNG never replaces a good one
    const tmp = `${options.screenshot}.tmp-${process.pid}.png`;
    await page.screenshot({ path: tmp, fullPage: true });
    fs.renameSync(tmp, options.screenshot);
    screenshot = options.screenshot;
  }
  return { cells: cells.map(({ running: _running, ...view }) => view), seconds, screenshot };
}
