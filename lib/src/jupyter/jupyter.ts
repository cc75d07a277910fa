import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError } from "../errors";
import { repoRoot } from "../paths";
import { kernelEnvironment, setting } from "../settings";
import {
  ensureVenv,
  findJupyter,
  chooseJupyter,
  describeProbe,
  meetsNeed,
  projectVenvDir,
  probeJupyter,
  type JupyterChoice,
  type JupyterNeed,
} from "./python-env";

/**
 * Finding Jupyter and registering the tslab kernel project-locally, so nobody needs to know where Jupyter
 * keeps its kernels: the spec goes to `.jupyter/share/jupyter/kernels/tslab/` in the clone and every
 * command that starts Jupyter puts that folder first on `JUPYTER_PATH`.
 */
export const KERNEL_NAME = "tslab";

export function projectJupyterDir(): string {
  return path.join(repoRoot(), ".jupyter");
}

export function projectKernelSpec(): string {
  return path.join(projectJupyterDir(), "share", "jupyter", "kernels", KERNEL_NAME, "kernel.json");
}

/**
 * The environment for any Jupyter process: project kernels first, every folder setting absolute (so a kernel
 * working in notebooks/ reads and writes the folders the command checked), and the folder of the Python that
 * runs Jupyter first on PATH, so that anything Jupyter starts by name (`jupyter`, `python`) is from the same
 * environment, without activating it.
 */
export function jupyterEnv(base: NodeJS.ProcessEnv = kernelEnvironment(), python?: string): NodeJS.ProcessEnv {
  const own = path.join(projectJupyterDir(), "share", "jupyter");
  const env: NodeJS.ProcessEnv = {
    ...base,
    JUPYTER_PATH: [own, setting("JUPYTER_PATH", base)].filter(Boolean).join(path.delimiter),
  };
  if (python && path.isAbsolute(python))
    env.PATH = [path.dirname(python), base.PATH].filter(Boolean).join(path.delimiter);
  return env;
}

/** A Python that can run notebooks headlessly (nbclient and jupyter_client); see python-env.ts for the search. */
export function findJupyterPython(need: JupyterNeed = "headless"): string {
  return findJupyter(need).python;
}

/**
 * Make sure this clone has a Jupyter a person can open: the first usable one found (JupyterLab 4 or
 * Notebook 7, nbclient, IPython), else the project's `.venv/` made from requirements/jupyter.txt.
 * `forceVenv` (`adeflow setup --venv`, `ADEFLOW_JUPYTER=venv`) makes and uses the venv even when another
 * Jupyter is there. Says which one is used and why.
 */
export function ensureJupyter(options: { forceVenv?: boolean; log?: (line: string) => void } = {}): JupyterChoice {
  const log = options.log ?? console.error;
  const mode = setting("ADEFLOW_JUPYTER") ?? "auto";
  if (mode !== "auto" && mode !== "venv")
    throw new AdeflowError(`ADEFLOW_JUPYTER=${mode}: expected "venv" (always the project's .venv/) or "auto"`);
  const forceVenv = options.forceVenv || mode === "venv";
  if (forceVenv && setting("ADEFLOW_PYTHON")) {
    throw new AdeflowError(
      `ADEFLOW_PYTHON=${setting("ADEFLOW_PYTHON")} and the project's venv were both asked for: unset one of them`,
    );
  }
  if (!forceVenv) {
    const rejected: string[] = [];
    const found = chooseJupyter("server", undefined, rejected);
    if (found) {
      log(`Jupyter: ${found.python} (${found.origin}; ${describeProbe(found.probe)})`);
      return found;
    }
    if (setting("ADEFLOW_PYTHON")) return findJupyter("server"); // the explicit choice does not work: say so
    log(`no usable Jupyter found (${rejected.join("; ")}); installing one into the project's environment`);
  }
  const dir = projectVenvDir();
  const python = ensureVenv({ dir, log });
  const probe = probeJupyter(python);
  if (!probe || !meetsNeed(probe, "server")) {
    throw new AdeflowError(
      `${python}: the project's environment was installed but lacks Jupyter (${describeProbe(probe)}); delete ${dir} and run setup again`,
    );
  }
  const choice: JupyterChoice = { python, origin: `the project's environment (${dir})`, probe };
  log(`Jupyter: ${python} (${choice.origin}; ${describeProbe(probe)})`);
  return choice;
}

/** The tslab executable of this clone. */
export function tslabBinary(): string {
  const bin = path.join(repoRoot(), "node_modules", ".bin", "tslab");
  if (!fs.existsSync(bin))
    throw new AdeflowError(`${bin} not found: run \`npm ci\` (or \`npm install\`) in ${repoRoot()} first`);
  return bin;
}

/** Register the tslab kernel in the project's own Jupyter folder (idempotent). */
export function registerKernel(
  log: (line: string) => void = console.error,
  python: string = findJupyterPython(),
): string {
  const result = spawnSync(
    tslabBinary(),
    ["install", `--python=${python}`, `--binary=${tslabBinary()}`, `--prefix=${projectJupyterDir()}`],
    { encoding: "utf8" },
  );
  if (result.status !== 0 || !fs.existsSync(projectKernelSpec())) {
    throw new AdeflowError(
      `registering the tslab kernel failed (python ${python}): ${(result.stderr || result.stdout || "").trim()}. ` +
        "tslab's installer needs IPython in that Python (`pip install ipython` or `apt-get install python3-ipython`).",
    );
  }
  log(`tslab kernel registered in ${path.dirname(projectKernelSpec())} (python: ${python})`);
  return projectKernelSpec();
}

/** Register the kernel only when this clone has not yet got a spec pointing at its own tslab. */
export function ensureKernel(log: (line: string) => void = console.error, python?: string): void {
  const spec = projectKernelSpec();
  if (fs.existsSync(spec)) {
    try {
      const argv0 = JSON.parse(fs.readFileSync(spec, "utf8")).argv?.[0];
      if (argv0 === tslabBinary()) return;
    } catch {
      // unreadable spec: register again
    }
  }
  registerKernel(log, python);
}
