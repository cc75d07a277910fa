import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { setting } from "../settings";
import { AdeflowError } from "../errors";
import { writeFileAtomic } from "../io";
import { projectVenvDir, repoRoot, venvPython } from "../paths";

/**
 * Which Python runs Jupyter, and the project's own environment for it. Nobody has to activate anything:
 * every command finds the interpreter by the same search and starts Jupyter as `<python> -m ...`, which a
 * virtual environment's interpreter runs with its own packages.
 *
 * Search order: `ADEFLOW_PYTHON` (alone when set: an explicit choice that does not work is an error, not a
 * reason to quietly use another Python); the clone's `.venv/` when `adeflow setup` finished installing it;
 * `python3` on PATH; Debian's `/usr/bin/python3` (hidden behind pyenv or another venv on many machines).
 */

/** What one Python has of Jupyter: distribution versions, undefined when not installed. */
export interface JupyterProbe {
  python: string;
  nbclient?: string;
  jupyterClient?: string;
  ipython?: string;
  jupyterlab?: string;
  notebook?: string;
}

export interface JupyterCandidate {
  python: string;
  /** Where it came from, for messages: "ADEFLOW_PYTHON", "the project's .venv", "python3 on PATH"... */
  origin: string;
}

export interface JupyterChoice extends JupyterCandidate {
  probe: JupyterProbe;
}

/**
 * What a command needs: `headless` runs notebooks with nbclient (`reproduce`, the notebook tests); `server`
 * also needs JupyterLab 4 (or Notebook 7, which shares its front end) for a person or the browser test, and
 * IPython, which tslab's kernel installer imports.
 */
export type JupyterNeed = "headless" | "server";

export const jupyterRequirements = (): string => path.join(repoRoot(), "requirements", "jupyter.txt");
export const referenceRequirements = (): string => path.join(repoRoot(), "requirements", "references.txt");

// where the project's environment is lives in paths.ts (the bench looks for PyTorch there too); kept here by name
export { projectVenvDir, venvPython } from "../paths";

/** Written into the venv after pip succeeded: a venv without it (an interrupted install) is made again. */
const READY_MARKER = "adeflow-installed.json";

const major = (version: string | undefined): number => (version ? Number.parseInt(version, 10) : 0);

export const canRunNotebooks = (p: JupyterProbe): boolean => !!p.nbclient && !!p.jupyterClient;
/** JupyterLab 4, or Notebook 7 (the same front end, one document per tab). */
export const serverUi = (p: JupyterProbe): "lab" | "notebook" | undefined =>
  major(p.jupyterlab) >= 4 ? "lab" : major(p.notebook) >= 7 ? "notebook" : undefined;
export const meetsNeed = (p: JupyterProbe, need: JupyterNeed): boolean =>
  canRunNotebooks(p) && (need === "headless" || (!!p.ipython && serverUi(p) !== undefined));

const PROBE_SCRIPT = `
import json
from importlib import metadata
out = {}
for key, dist in (("nbclient", "nbclient"), ("jupyterClient", "jupyter_client"), ("ipython", "ipython"), ("jupyterlab", "jupyterlab"), ("notebook", "notebook")):
    try:
        out[key] = metadata.version(dist)
    except Exception:
        pass
print(json.dumps(out))
`;

/** Ask one Python what it has (one short process); undefined when it does not run. */
export function probeJupyter(python: string): JupyterProbe | undefined {
  const result = spawnSync(python, ["-c", PROBE_SCRIPT], { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) return undefined;
  try {
    const found = JSON.parse(result.stdout.trim().split("\n").pop() ?? "") as Omit<JupyterProbe, "python">;
    return { ...found, python };
  } catch {
    return undefined;
  }
}

/** One line on what a Python has, for "using ..." and "not usable" messages. */
export function describeProbe(p: JupyterProbe | undefined): string {
  if (!p) return "does not run";
  const parts = [
    p.jupyterlab ? `JupyterLab ${p.jupyterlab}` : "no JupyterLab",
    p.notebook ? `Notebook ${p.notebook}` : undefined,
    p.nbclient ? `nbclient ${p.nbclient}` : "no nbclient",
    p.ipython ? undefined : "no IPython",
  ];
  return parts.filter(Boolean).join(", ");
}

export function projectVenvReady(dir: string = projectVenvDir()): boolean {
  return fs.existsSync(path.join(dir, READY_MARKER)) && fs.existsSync(venvPython(dir));
}

/** Where to look, in order (see the module comment). */
export function jupyterCandidates(env: NodeJS.ProcessEnv = process.env): JupyterCandidate[] {
  const explicit = setting("ADEFLOW_PYTHON", env);
  if (explicit) return [{ python: explicit, origin: "ADEFLOW_PYTHON" }];
  const venv = projectVenvDir(env);
  return [
    ...(projectVenvReady(venv)
      ? [
          {
            python: venvPython(venv),
            origin: `the project's environment (${path.relative(process.cwd(), venv) || venv})`,
          },
        ]
      : []),
    { python: "python3", origin: "python3 on PATH" },
    ...(process.platform === "win32"
      ? [{ python: "python", origin: "python on PATH" }]
      : [{ python: "/usr/bin/python3", origin: "the system's /usr/bin/python3" }]),
  ];
}

/** The first candidate that meets the need, or undefined; `rejected` collects why the others were passed over. */
export function chooseJupyter(
  need: JupyterNeed,
  candidates: JupyterCandidate[] = jupyterCandidates(),
  rejected: string[] = [],
): JupyterChoice | undefined {
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.python)) continue;
    seen.add(c.python);
    const probe = probeJupyter(c.python);
    if (probe && meetsNeed(probe, need)) return { ...c, probe };
    rejected.push(`${c.python} (${c.origin}): ${describeProbe(probe)}`);
  }
  return undefined;
}

const NEED_TEXT: Record<JupyterNeed, string> = {
  headless: "nbclient and jupyter_client",
  server: "JupyterLab 4 (or Notebook 7), nbclient and IPython",
};

/** Like `chooseJupyter`, but a clear error naming every Python tried and what it lacks. */
export function findJupyter(need: JupyterNeed, candidates: JupyterCandidate[] = jupyterCandidates()): JupyterChoice {
  const rejected: string[] = [];
  const choice = chooseJupyter(need, candidates, rejected);
  if (choice) return choice;
  throw new AdeflowError(
    `no Python with ${NEED_TEXT[need]} found; tried:\n  ${rejected.join("\n  ")}\n` +
      "Run `npm run setup` (it installs JupyterLab into the clone's .venv/ from requirements/jupyter.txt), " +
      "or point ADEFLOW_PYTHON at a python that has them.",
  );
}

const hashFile = (file: string): string => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** What the marker says was installed: requirements file (relative to the clone) -> its SHA-256 then. */
function readMarker(marker: string): Record<string, string> | undefined {
  try {
    const installed = (JSON.parse(fs.readFileSync(marker, "utf8")) as { installed?: unknown }).installed;
    return installed && typeof installed === "object" ? { ...(installed as Record<string, string>) } : {};
  } catch {
    return undefined;
  }
}

/** A Python that can make a virtual environment (venv and ensurepip, which Debian ships apart as python3-venv). */
export function findBasePython(
  candidates: string[] = process.platform === "win32" ? ["python", "py"] : ["python3", "/usr/bin/python3", "python"],
): string {
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import sys, venv, ensurepip; assert sys.version_info >= (3, 9)"], {
      stdio: "ignore",
    });
    if (r.status === 0) return python;
    tried.push(python);
  }
  throw new AdeflowError(
    `no Python 3.9+ with venv and ensurepip found (tried ${tried.join(", ")}): install Python 3 ` +
      "(on Debian/Ubuntu also `apt-get install python3-venv`), or point ADEFLOW_PYTHON at a python that has Jupyter.",
  );
}

export interface VenvOptions {
  dir?: string;
  /** Requirements files installed with `pip install -r` (default: requirements/jupyter.txt). */
  requirements?: string[];
  basePython?: string;
  log?: (line: string) => void;
}

/**
 * Make (or bring up to date) a virtual environment with the given requirements. Nothing happens when it was
 * already installed from the same files; a venv whose install was cut off has no marker and is made again.
 * pip's output goes to stderr (the terminal), so a slow download is visible and stdout stays clean.
 */
export function ensureVenv(options: VenvOptions = {}): string {
  const dir = options.dir ?? projectVenvDir();
  const requirements = options.requirements ?? [jupyterRequirements()];
  const log = options.log ?? console.error;
  for (const f of requirements) if (!fs.existsSync(f)) throw new AdeflowError(`${f}: requirements file not found`);
  const marker = path.join(dir, READY_MARKER);
  const python = venvPython(dir);
  const name = (f: string) => path.relative(repoRoot(), f);
  let installed = fs.existsSync(python) ? readMarker(marker) : undefined;
  const stale = requirements.filter((f) => installed?.[name(f)] !== hashFile(f));
  if (stale.length === 0) return python;
  if (installed === undefined) {
    const base = options.basePython ?? findBasePython();
    log(`creating ${dir} with ${base}`);
    const made = spawnSync(base, ["-m", "venv", "--clear", dir], { stdio: ["ignore", 2, 2] });
    if (made.status !== 0)
      throw new AdeflowError(
        `\`${base} -m venv ${dir}\` failed (exit ${made.status ?? made.signal}); see its message above`,
      );
    installed = {};
  }
  // while pip runs, the venv counts as unfinished: cut off here, it is made again next time
  fs.rmSync(marker, { force: true });
  log(`installing ${stale.map(name).join(", ")} into ${dir} with pip`);
  const pip = spawnSync(
    python,
    ["-m", "pip", "install", "--disable-pip-version-check", ...stale.flatMap((f) => ["-r", f])],
    {
      stdio: ["ignore", 2, 2],
    },
  );
  if (pip.status !== 0) {
    throw new AdeflowError(
      `pip could not install ${stale.map(name).join(", ")} into ${dir} (exit ${pip.status ?? pip.signal}); see pip's message above`,
    );
  }
  for (const f of stale) installed[name(f)] = hashFile(f);
  writeFileAtomic(marker, JSON.stringify({ installed }, null, 2) + "\n");
  return python;
}
