import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { AdeflowError } from "../errors";
import { notebooksDir, repoRoot, resultsDir } from "../paths";
import { setting } from "../settings";
import { ensureKernel, findJupyterPython, jupyterEnv, KERNEL_NAME } from "./jupyter";
import { LiveOutput } from "./live-output";

/** The notebooks of the workspace, in the order they tell the story (their file names start with a number). */
export function listNotebooks(dir = notebooksDir()): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** `--only 02`, `--only 02-preprocessing` or `--only 02-preprocessing.ipynb` select one notebook. */
export function selectNotebooks(only?: string, dir = notebooksDir()): string[] {
  const all = listNotebooks(dir);
  if (!only) return all;
  const wanted = only.replace(/\.ipynb$/, "");
  const hits = all.filter((f) => {
    const stem = path.basename(f, ".ipynb");
    return stem === wanted || stem.startsWith(`${wanted}-`) || stem.split("-").slice(1).join("-") === wanted;
  });
  if (hits.length === 0) {
    throw new AdeflowError(
      `no notebook matches --only ${only}; there are: ${all.map((f) => path.basename(f, ".ipynb")).join(", ")}`,
    );
  }
  return hits;
}

export interface ExecutedNotebook {
  notebook: string;
  executedCopy: string;
  seconds: number;
}

export class NotebookCellError extends AdeflowError {
  constructor(
    readonly notebook: string,
    readonly cell: number | null,
    readonly ename: string,
    readonly evalue: string,
    readonly source: string | null,
    readonly executedCopy: string,
  ) {
    super(
      `${path.basename(notebook)}: cell ${cell === null ? "?" : cell + 1} failed with ${ename}: ${evalue}\n` +
        (source ? `--- cell source ---\n${source}\n-------------------\n` : "") +
        `the executed copy with the error is at ${executedCopy}`,
    );
    this.name = "NotebookCellError";
  }
}

/** A run stopped because adeflow itself was asked to stop (Ctrl-C, kill). */
export class NotebookInterrupted extends AdeflowError {
  constructor(
    readonly notebook: string,
    readonly signal: NodeJS.Signals,
    message: string,
  ) {
    super(message);
    this.name = "NotebookInterrupted";
  }
}

const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");

/** Profiles whose training cells run for hours on a CPU: no per-cell limit unless one is set. */
const LONG_CELL_PROFILES = ["quick", "full"];
const SHORT_CELL_LIMIT_SECONDS = 3600;

/**
 * Seconds one cell may run before a headless run stops (0: no limit). ADEFLOW_CELL_TIMEOUT when set; otherwise an
 * hour for `smoke` and `local` (their longest cell takes about 16 minutes here, so an hour catches a hung cell),
 * and no limit for `quick` and `full`, whose ablation cell alone trains four bert-base models (74.5 min on 2
 * cores, two runs side by side; the hour limit had stopped it in its second run).
 */
export function cellTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = setting("ADEFLOW_CELL_TIMEOUT", env);
  if (raw !== undefined) {
    const seconds = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(seconds))
      throw new AdeflowError(`ADEFLOW_CELL_TIMEOUT=${raw}: expected whole seconds (0 for no limit)`);
    return seconds;
  }
  const profile = setting("ADEFLOW_PROFILE", env) ?? "local";
  return LONG_CELL_PROFILES.includes(profile) ? 0 : SHORT_CELL_LIMIT_SECONDS;
}

/**
 * Execute one notebook headlessly through Jupyter and the tslab kernel; the executed copy lands beside the
 * results it produced, as `results/<name>/<name>.ipynb`. Progress goes to `log` cell by cell.
 */
export async function executeNotebook(
  notebook: string,
  options: {
    /** Seconds a cell may run (0: no limit; default `cellTimeoutSeconds` of the kernel's environment). */
    timeoutSeconds?: number;
    log?: (line: string) => void;
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<ExecutedNotebook> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  // a bad ADEFLOW_CELL_TIMEOUT is named before Jupyter is looked for or anything is written
  const timeout = options.timeoutSeconds ?? cellTimeoutSeconds(options.env ?? process.env);
  const python = findJupyterPython();
  ensureKernel(log, python);
  // progress bars redraw one line with \r: in place on a terminal, as whole lines into a log or a caller's `log`
  const stem = path.basename(notebook, ".ipynb");
  const live = new LiveOutput({
    prefix: `  [${stem}]   `,
    tty: options.log === undefined && !!process.stderr.isTTY,
    write: (chunk) => void process.stderr.write(chunk),
    line: log,
  });
  const outDir = path.join(resultsDir(), stem);
  fs.mkdirSync(outDir, { recursive: true });
  const executedCopy = path.join(outDir, `${stem}.ipynb`);
  const script = path.join(repoRoot(), "lib", "python", "execute_notebook.py");
  const started = Date.now();
  const child = spawn(python, [script, notebook, executedCopy, KERNEL_NAME, String(timeout)], {
    env: options.env ? jupyterEnv(options.env, python) : jupyterEnv(undefined, python),
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Killing adeflow stops the notebook: the runner shuts its kernel down and saves the executed copy so far.
  const forward = (signal: NodeJS.Signals) => {
    interrupted = signal;
    child.kill("SIGTERM");
  };
  let interrupted: NodeJS.Signals | undefined;
  const onSigint = () => forward("SIGINT");
  const onSigterm = () => forward("SIGTERM");
  const onSighup = () => forward("SIGHUP");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  process.on("SIGHUP", onSighup);
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d.toString()));
  let failure: NotebookCellError | undefined;
  let done = false;
  for await (const line of readline.createInterface({ input: child.stdout })) {
    let event: any;
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    if (event.event === "stream") {
      // live output of long cells (training progress, downloads), indented under the notebook's name
      live.push(String(event.text));
    } else if (event.event === "cell") {
      live.flush();
      log(`  [${stem}] cell ${event.code_cell}/${event.code_cells} done in ${event.seconds}s`);
    } else if (event.event === "error") {
      live.flush();
      failure = new NotebookCellError(
        notebook,
        event.cell,
        event.ename,
        stripAnsi(String(event.evalue)),
        event.source,
        executedCopy,
      );
    } else if (event.event === "done") {
      done = true;
    }
  }
  const code: number = await new Promise((resolve) => child.on("close", resolve));
  process.off("SIGINT", onSigint);
  process.off("SIGTERM", onSigterm);
  process.off("SIGHUP", onSighup);
  if (interrupted) {
    const where = failure?.cell !== undefined && failure.cell !== null ? ` in cell ${failure.cell + 1}` : "";
    throw new NotebookInterrupted(
      notebook,
      interrupted,
      `${path.basename(notebook)}: stopped by ${interrupted}${where}; the kernel was shut down and the executed copy so far is at ${executedCopy}`,
    );
  }
  if (failure) {
    // a kernel that died may have said why on its stderr (a fatal error of Node, an uncaught exception)
    const said = stderr.trim().slice(-1500);
    if (failure.ename === "DeadKernelError" && said)
      failure.message += `\n--- the kernel's last output on stderr ---\n${said}`;
    throw failure;
  }
  if (code !== 0 || !done) {
    throw new AdeflowError(
      `${path.basename(notebook)}: Jupyter exited with status ${code}: ${stderr.trim().slice(-3000)}`,
    );
  }
  return { notebook, executedCopy, seconds: (Date.now() - started) / 1000 };
}
