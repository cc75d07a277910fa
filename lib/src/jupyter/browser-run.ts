import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BrowserContext } from "playwright-core";
import { AdeflowError } from "../errors";
import { notebooksDir, repoRoot, resultsDir } from "../paths";
import { CHROMIUM_ARGS, findChromium } from "../viz/save";
import { driveNotebook, type CellView } from "./browser";
import { notebookExpectations, type CellExpectation } from "./expectations";
import { listNotebooks } from "./execute";
import { ensureKernel, findJupyterPython, jupyterEnv } from "./jupyter";
import { spawnSync } from "node:child_process";
import { startJupyterServer, type JupyterServer, type JupyterUi } from "./server";

/**
 * Every notebook run in a real browser against a real Jupyter server: what `adeflow screenshots` and the
 * browser test share. The server shows a temporary copy of the notebooks (never the committed files, which
 * the page could autosave outputs into), with `node_modules` linked in so `@adeflow/lib` resolves as it does
 * from `notebooks/`. Chromium may talk to loopback only: anything else is aborted and listed.
 */

export interface BrowserRunOptions {
  /** Notebook files to run, in order (default: every notebook in `notebooks/`, sorted). */
  notebooks?: string[];
  /** Write `<notebook>.png` (the whole notebook) here; no screenshots when unset. */
  screenshotsDir?: string;
  /** `jpg` (default: a tenth of a PNG's size for these pages) or `png`. */
  screenshotFormat?: "png" | "jpg";
  /** Keep only the top of each notebook in its screenshot, this many pixels. */
  screenshotMaxHeight?: number;
  /**
   * Open the executed copies a headless run left in `results/<notebook>/` as they are, without running a cell:
   * the page of a run already made (the README's pictures of the default run, which takes most of an hour).
   */
  executed?: boolean;
  /** Notebook file names that, after running all cells, are restarted and run all again from the Kernel menu. */
  restartAndRunAll?: string[];
  /** Environment of the Jupyter server and so of its kernels (profile, results and models folders). */
  env?: NodeJS.ProcessEnv;
  /** Per notebook, from opening the page to the last cell's output (default 600 s). */
  timeoutSeconds?: number;
  ui?: JupyterUi;
  chromium?: string;
  log?: (line: string) => void;
}

export interface NotebookRun {
  notebook: string;
  /** Seconds from opening the page to the last output. */
  seconds: number;
  expectations: CellExpectation[];
  cells: CellView[];
  /** The page after the first run, for a notebook also restarted and run again (`restartAndRunAll`). */
  beforeRestart?: CellView[];
  screenshot?: string;
  /** Uncaught JavaScript errors in the page (a chart that throws, a broken output renderer). */
  pageErrors: string[];
  /** Set when the notebook could not be run to the end in the page (timeout, page not ready). */
  failure?: string;
}

export interface BrowserRun {
  ui: JupyterUi;
  runs: NotebookRun[];
  /** Requests that tried to leave loopback, aborted. */
  blockedRequests: string[];
  seconds: number;
}

/** Whether the browser may fetch `url`: the Jupyter server on loopback, and in-page data. */
export const isLoopback = (url: string): boolean => {
  try {
    const u = new URL(url);
    if (u.protocol === "data:" || u.protocol === "blob:" || u.protocol === "about:") return true;
    return u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]";
  } catch {
    return false;
  }
};

/** The executed copy of `nb` that `adeflow reproduce` writes, or an error saying how to make it. */
export function executedCopy(nb: string): string {
  const stem = path.basename(nb, ".ipynb");
  const file = path.join(resultsDir(), stem, `${stem}.ipynb`);
  if (!fs.existsSync(file))
    throw new AdeflowError(
      `${file}: no executed copy of ${stem} (run \`npm start\` or \`npx adeflow reproduce --only ${stem.slice(0, 2)}\` first)`,
    );
  return file;
}

/** A folder with copies of the notebooks (or of their executed copies) and a link to the clone's node_modules. */
function notebookWorkspace(notebooks: string[], executed: boolean): string {
  // every source is found before anything is made, so a missing one leaves nothing behind
  const sources = notebooks.map((nb) => (executed ? executedCopy(nb) : nb));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-browser-"));
  sources.forEach((src, i) => fs.copyFileSync(src, path.join(dir, path.basename(notebooks[i]))));
  fs.symlinkSync(path.join(repoRoot(), "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

export async function runNotebooksInBrowser(options: BrowserRunOptions = {}): Promise<BrowserRun> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const notebooks = options.notebooks ?? listNotebooks(notebooksDir());
  const chromium = options.chromium ?? findChromium();
  if (!chromium)
    throw new AdeflowError("no Chromium found (apt-get install chromium, or set ADEFLOW_CHROMIUM to its path)");
  // loaded here, not at the top: the library (and so every notebook) must load without playwright-core
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium: playwright } = require("playwright-core") as typeof import("playwright-core");
  const python = findJupyterPython("server");
  ensureKernel(log, python);
  const started = Date.now();
  const workspace = notebookWorkspace(notebooks, options.executed ?? false);
  // an executed copy shows its charts only when Jupyter trusts it (their plotly.js is a script in the output):
  // signed with a key of its own for this run, never in the user's Jupyter data folder
  const trust = options.executed ? trustNotebooks(python, workspace, notebooks, options.env) : undefined;
  const serverEnv = trust ? { ...(options.env ?? process.env), JUPYTER_DATA_DIR: trust } : options.env;
  const blockedRequests: string[] = [];
  const runs: NotebookRun[] = [];
  // each resource is released even when a later one fails to start
  try {
    const server = await startJupyterServer({ rootDir: workspace, env: serverEnv, ui: options.ui, python });
    try {
      log(
        `Jupyter (${server.ui === "lab" ? "JupyterLab" : "Notebook 7"}, ${server.python}) on ${server.base}, notebooks copied to ${workspace}`,
      );
      const browser = await playwright.launch({ executablePath: chromium, headless: true, args: CHROMIUM_ARGS });
      try {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        await context.route("**/*", (route) => {
          const url = route.request().url();
          if (isLoopback(url)) return route.continue();
          blockedRequests.push(url);
          return route.abort("blockedbyclient");
        });
        for (const nb of notebooks) {
          runs.push(await runOne(nb, context, server, options, blockedRequests, log));
          // one kernel at a time: the next notebook must not share memory with a finished one
          await server
            .shutdownKernels()
            .catch((e) => log(`shutting the kernel of ${path.basename(nb)} down failed: ${(e as Error).message}`));
        }
      } finally {
        await browser.close();
      }
      return { ui: server.ui, runs, blockedRequests, seconds: (Date.now() - started) / 1000 };
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
    if (trust) fs.rmSync(trust, { recursive: true, force: true });
  }
}

/** Signs the workspace's copies with `jupyter trust` under a new data folder, returned for the server to use. */
function trustNotebooks(python: string, workspace: string, notebooks: string[], env?: NodeJS.ProcessEnv): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-trust-"));
  const files = notebooks.map((nb) => path.join(workspace, path.basename(nb)));
  const r = spawnSync(python, ["-m", "jupyter", "trust", ...files], {
    env: { ...jupyterEnv(env ?? process.env, python), JUPYTER_DATA_DIR: dataDir },
    encoding: "utf8",
  });
  if (r.status !== 0) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw new AdeflowError(
      `jupyter trust failed (${python}): ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}`,
    );
  }
  return dataDir;
}

/** One notebook in a new page; a failure to run it to the end is recorded, not thrown, so the others still run. */
async function runOne(
  nb: string,
  context: BrowserContext,
  server: JupyterServer,
  options: BrowserRunOptions,
  blockedRequests: string[],
  log: (line: string) => void,
): Promise<NotebookRun> {
  const name = path.basename(nb);
  const stem = path.basename(nb, ".ipynb");
  // an executed copy may come from an older notebook: what the page must show is read from the copy itself
  const expectations = notebookExpectations(options.executed ? executedCopy(nb) : nb);
  const page = await context.newPage();
  // WebSockets bypass routing: any that is not loopback is counted as blocked traffic all the same
  page.on("websocket", (ws) => {
    if (!isLoopback(ws.url())) blockedRequests.push(ws.url());
  });
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(`${err.name}: ${err.message}`));
  const t0 = Date.now();
  log(`[${stem}] opening in Chromium`);
  try {
    const done = await driveNotebook(page, server.notebookUrl(name), {
      ui: server.ui,
      name,
      expectations,
      timeoutMs: (options.timeoutSeconds ?? 600) * 1000,
      serverIdle: async () =>
        (await server.kernels()).some((k) => k.path.endsWith(name) && k.state === "idle" && k.connections > 0),
      run: !options.executed,
      restartAndRunAll: options.restartAndRunAll?.includes(name),
      screenshot: options.screenshotsDir
        ? path.join(options.screenshotsDir, `${stem}.${options.screenshotFormat ?? "jpg"}`)
        : undefined,
      screenshotMaxHeight: options.screenshotMaxHeight,
    });
    log(
      `[${stem}] ${done.cells.length} code cells ${options.executed ? "shown" : "run"} in ${done.seconds.toFixed(1)} s${done.screenshot ? ` -> ${done.screenshot}` : ""}`,
    );
    return {
      notebook: name,
      seconds: done.seconds,
      expectations,
      cells: done.cells,
      beforeRestart: done.beforeRestart,
      screenshot: done.screenshot,
      pageErrors,
    };
  } catch (err) {
    const failure = (err as Error).message;
    log(`[${stem}] FAILED: ${failure}`);
    return { notebook: name, seconds: (Date.now() - t0) / 1000, expectations, cells: [], pageErrors, failure };
  } finally {
    await page.close();
  }
}
