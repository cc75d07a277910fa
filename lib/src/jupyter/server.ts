import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { AdeflowError } from "../errors";
import { findJupyterPython, jupyterEnv } from "./jupyter";

/**
 * A Jupyter server for a browser to drive: loopback only, a free port, a random token, no browser of its own.
 * JupyterLab when it is installed, else the classic Notebook (Debian's `jupyter-notebook`); the two take the
 * same command line apart from the name of their application class.
 */
export type JupyterUi = "lab" | "notebook";

export interface JupyterServer {
  ui: JupyterUi;
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  base: string;
  token: string;
  rootDir: string;
  /** The page of one notebook, `relPath` relative to `rootDir`, with the token so no login page appears. */
  notebookUrl(relPath: string): string;
  /** Shut down every kernel the server runs (between notebooks, so one kernel's memory is freed before the next). */
  shutdownKernels(): Promise<void>;
  /** The server's own log so far (for error messages). */
  log(): string;
  stop(): Promise<void>;
}

const PYTHON_MODULE: Record<JupyterUi, string> = { lab: "jupyterlab", notebook: "notebook" };
/** The traitlets class that holds ip/port/token: JupyterLab runs on jupyter_server, the classic Notebook on its own. */
const APP_CLASS: Record<JupyterUi, string> = { lab: "ServerApp", notebook: "NotebookApp" };

/** Which UI this Python can serve, JupyterLab first; undefined when neither is installed. */
export function detectJupyterUi(python: string = findJupyterPython()): JupyterUi | undefined {
  for (const ui of ["lab", "notebook"] as const) {
    if (spawnSync(python, ["-m", PYTHON_MODULE[ui], "--version"], { stdio: "ignore", env: jupyterEnv() }).status === 0) return ui;
  }
  return undefined;
}

/** A port nobody listens on right now (the OS picks it; the server is told not to try others). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}

export interface StartServerOptions {
  /** The folder the server shows (its notebook/root dir). */
  rootDir: string;
  /** Environment of the server, which its kernels inherit (profile, results folder...). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  ui?: JupyterUi;
  python?: string;
  /** How long to wait for the server to answer (default 60 s). */
  startTimeoutMs?: number;
}

export async function startJupyterServer(options: StartServerOptions): Promise<JupyterServer> {
  const python = options.python ?? findJupyterPython();
  const ui = options.ui ?? detectJupyterUi(python);
  if (!ui) {
    throw new AdeflowError(
      `neither JupyterLab nor the classic Notebook is installed for ${python}: \`pip install jupyterlab\` (or apt-get install jupyter-notebook)`,
    );
  }
  const port = await freePort();
  const token = crypto.randomBytes(24).toString("hex");
  const app = APP_CLASS[ui];
  // Own config and runtime folders: the user's Jupyter settings (a password, a different default URL,
  // extensions) cannot change what the browser sees, and no connection files are left in their home.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-jupyter-"));
  const env = jupyterEnv({
    ...(options.env ?? process.env),
    JUPYTER_CONFIG_DIR: path.join(scratch, "config"),
    JUPYTER_RUNTIME_DIR: path.join(scratch, "runtime"),
  });
  const args = [
    "-m",
    PYTHON_MODULE[ui],
    "--no-browser",
    `--${app}.ip=127.0.0.1`,
    `--${app}.port=${port}`,
    `--${app}.port_retries=0`,
    `--${app}.token=${token}`,
    `--${app}.${ui === "lab" ? "root_dir" : "notebook_dir"}=${options.rootDir}`,
    // a kernel's cell output arrives faster than the default rate limit when training logs progress
    `--${app}.iopub_data_rate_limit=1e10`,
    `--${app}.iopub_msg_rate_limit=1e10`,
    // containers and CI run as root, where Jupyter refuses to start without being told it is intended
    ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
  ];
  const child = spawn(python, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));
  const base = `http://127.0.0.1:${port}`;
  const api = (p: string, init?: RequestInit) => fetch(`${base}${p}`, { ...init, headers: { Authorization: `token ${token}` } });

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (!running) {
      fs.rmSync(scratch, { recursive: true, force: true });
      throw new AdeflowError(`the Jupyter server (${python} ${args.slice(0, 2).join(" ")}) exited while starting:\n${output.trim().slice(-3000)}`);
    }
    try {
      if ((await api("/api/status")).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopProcess(child, exited);
      fs.rmSync(scratch, { recursive: true, force: true });
      throw new AdeflowError(`the Jupyter server did not answer on ${base} within ${options.startTimeoutMs ?? 60_000} ms:\n${output.trim().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const encodePath = (rel: string) => rel.split(/[\\/]/).map(encodeURIComponent).join("/");
  return {
    ui,
    base,
    token,
    rootDir: options.rootDir,
    notebookUrl: (rel) => `${base}/${ui === "lab" ? "lab/tree" : "notebooks"}/${encodePath(rel)}?token=${token}`,
    async shutdownKernels() {
      const sessions = (await (await api("/api/sessions")).json()) as { id: string }[];
      for (const s of sessions) await api(`/api/sessions/${s.id}`, { method: "DELETE" });
      const kernels = (await (await api("/api/kernels")).json()) as { id: string }[];
      for (const k of kernels) await api(`/api/kernels/${k.id}`, { method: "DELETE" });
    },
    log: () => output,
    async stop() {
      await stopProcess(child, exited);
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** SIGTERM (Jupyter then shuts its kernels down), SIGKILL after 10 s if it hangs. */
async function stopProcess(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
