import { spawn, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { AdeflowError } from "../errors";
import { findJupyterPython, jupyterEnv } from "./jupyter";
import { kernelEnvironment } from "../settings";
import { describeProbe, probeJupyter, serverUi } from "./python-env";

/**
 * A Jupyter server for a browser to drive: loopback only, a free port, a random token, no browser of its own.
 * JupyterLab 4, or Notebook 7 where only that is installed: both run on jupyter_server and share one front
 * end, so they take the same command line and the same page driver.
 */
export type JupyterUi = "lab" | "notebook";

export interface JupyterServer {
  ui: JupyterUi;
  /** The Python that runs it. */
  python: string;
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  base: string;
  token: string;
  rootDir: string;
  /** The page of one notebook, `relPath` relative to `rootDir`, with the token so no login page appears. */
  notebookUrl(relPath: string): string;
  /** The kernels of open notebooks as the server sees them (state and how many pages are connected). */
  kernels(): Promise<{ path: string; state: string; connections: number }[]>;
  /** Shut down every kernel the server runs (between notebooks, so one kernel's memory is freed before the next). */
  shutdownKernels(): Promise<void>;
  /** The server's own log so far (for error messages). */
  log(): string;
  stop(): Promise<void>;
}

const PYTHON_MODULE: Record<JupyterUi, string> = { lab: "jupyterlab", notebook: "notebook" };

/** Which UI this Python can serve, JupyterLab 4 first; undefined when it has neither it nor Notebook 7. */
export function detectJupyterUi(python: string = findJupyterPython("server")): JupyterUi | undefined {
  const probe = probeJupyter(python);
  return probe ? serverUi(probe) : undefined;
}

/**
 * Front-end settings for the pages this server shows (its own settings folder, so the user's settings and
 * extensions change nothing): every cell rendered (JupyterLab 4 otherwise renders only the cells in view,
 * which a reading of the page or a full screenshot would miss), and no news or update notification, which
 * would cover the notebook and ask the server to reach the internet.
 */
export const PAGE_SETTINGS: Record<string, object> = {
  "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": { windowingMode: "none" },
  "@jupyterlab/apputils-extension/notification.jupyterlab-settings": { fetchNews: "false", checkForUpdates: false },
};

/**
 * Front-end extensions these pages leave out. JupyterLab's debugger asks every kernel for its loaded
 * modules whenever the kernel changes; tslab does not speak the debug protocol, so each ask ends in an
 * uncaught "No active debugger session" in the page (several per notebook), which would hide a real error.
 */
export const DISABLED_EXTENSIONS = ["@jupyterlab/debugger-extension"];

function writePageSettings(settingsDir: string, configDir: string): void {
  for (const [file, value] of Object.entries(PAGE_SETTINGS)) {
    fs.mkdirSync(path.dirname(path.join(settingsDir, file)), { recursive: true });
    fs.writeFileSync(path.join(settingsDir, file), JSON.stringify(value));
  }
  fs.mkdirSync(path.join(configDir, "labconfig"), { recursive: true });
  const disabled = Object.fromEntries(DISABLED_EXTENSIONS.map((e) => [e, true]));
  fs.writeFileSync(
    path.join(configDir, "labconfig", "page_config.json"),
    JSON.stringify({ disabledExtensions: disabled }),
  );
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
  const python = options.python ?? findJupyterPython("server");
  const probe = probeJupyter(python);
  const ui = options.ui ?? (probe ? serverUi(probe) : undefined);
  if (!ui || (probe && ui === "lab" && !probe.jupyterlab) || (probe && ui === "notebook" && !probe.notebook)) {
    throw new AdeflowError(
      `${python} cannot serve ${options.ui === "notebook" ? "Notebook 7" : "JupyterLab 4"} (${describeProbe(probe)}): run \`npm run setup\`, which installs it into the project's .venv/`,
    );
  }
  const port = await freePort();
  const token = crypto.randomBytes(24).toString("hex");
  const app = "ServerApp";
  // Own config and runtime folders: the user's Jupyter settings (a password, a different default URL,
  // extensions) cannot change what the browser sees, and no connection files are left in their home.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-jupyter-"));
  writePageSettings(path.join(scratch, "lab-settings"), path.join(scratch, "config"));
  const env = jupyterEnv(
    {
      ...kernelEnvironment({}, options.env),
      JUPYTER_CONFIG_DIR: path.join(scratch, "config"),
      JUPYTER_RUNTIME_DIR: path.join(scratch, "runtime"),
      JUPYTERLAB_SETTINGS_DIR: path.join(scratch, "lab-settings"),
      JUPYTERLAB_WORKSPACES_DIR: path.join(scratch, "lab-workspaces"),
    },
    python,
  );
  const args = [
    "-m",
    PYTHON_MODULE[ui],
    "--no-browser",
    `--${app}.ip=127.0.0.1`,
    `--${app}.port=${port}`,
    `--${app}.port_retries=0`,
    `--${app}.token=${token}`,
    `--${app}.root_dir=${options.rootDir}`,
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
  const api = (p: string, init?: RequestInit) =>
    fetch(`${base}${p}`, { ...init, headers: { Authorization: `token ${token}` } });

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (!running) {
      fs.rmSync(scratch, { recursive: true, force: true });
      throw new AdeflowError(
        `the Jupyter server (${python} ${args.slice(0, 2).join(" ")}) exited while starting:\n${output.trim().slice(-3000)}`,
      );
    }
    try {
      if ((await api("/api/status")).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopProcess(child, exited);
      fs.rmSync(scratch, { recursive: true, force: true });
      throw new AdeflowError(
        `the Jupyter server did not answer on ${base} within ${options.startTimeoutMs ?? 60_000} ms:\n${output.trim().slice(-3000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const encodePath = (rel: string) => rel.split(/[\\/]/).map(encodeURIComponent).join("/");
  return {
    ui,
    base,
    token,
    rootDir: options.rootDir,
    python,
    notebookUrl: (rel) => `${base}/${ui === "lab" ? "lab/tree" : "notebooks"}/${encodePath(rel)}?token=${token}`,
    async kernels() {
      const sessions = (await (await api("/api/sessions")).json()) as {
        path: string;
        kernel?: { execution_state?: string; connections?: number };
      }[];
      return sessions.map((s) => ({
        path: s.path,
        state: s.kernel?.execution_state ?? "unknown",
        connections: s.kernel?.connections ?? 0,
      }));
    },
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
