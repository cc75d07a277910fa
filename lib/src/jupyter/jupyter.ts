import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError } from "../errors";
import { repoRoot } from "../paths";

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

/** The environment for any Jupyter process: project kernels first. */
export function jupyterEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const own = path.join(projectJupyterDir(), "share", "jupyter");
  return { ...base, JUPYTER_PATH: [own, base.JUPYTER_PATH].filter(Boolean).join(path.delimiter) };
}

const canImport = (python: string, modules: string): boolean =>
  spawnSync(python, ["-c", `import ${modules}`], { stdio: "ignore" }).status === 0;

/**
 * A Python that can run notebooks (has nbclient and jupyter_client). `ADEFLOW_PYTHON` wins; then the first
 * `python3` on PATH (a pip-installed JupyterLab); then Debian's `/usr/bin/python3` (its Jupyter packages are
 * not visible to a pyenv or virtualenv python3 that may come first on PATH).
 */
export function findJupyterPython(): string {
  const candidates = [process.env.ADEFLOW_PYTHON, "python3", "/usr/bin/python3", "python"].filter((p): p is string => !!p);
  for (const python of candidates) if (canImport(python, "nbclient, jupyter_client")) return python;
  throw new AdeflowError(
    `no Python with Jupyter found (tried ${candidates.join(", ")}). Install it: ` +
      "`pip install jupyterlab` (any OS), or on Debian/Ubuntu `apt-get install jupyter-client python3-nbclient " +
      "jupyter-nbconvert python3-ipython`; or point ADEFLOW_PYTHON at a python that has it.",
  );
}

/** The tslab executable of this clone. */
export function tslabBinary(): string {
  const bin = path.join(repoRoot(), "node_modules", ".bin", "tslab");
  if (!fs.existsSync(bin)) throw new AdeflowError(`${bin} not found: run \`npm ci\` (or \`npm install\`) in ${repoRoot()} first`);
  return bin;
}

/** Register the tslab kernel in the project's own Jupyter folder (idempotent). */
export function registerKernel(log: (line: string) => void = console.error): string {
  const python = findJupyterPython();
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
export function ensureKernel(log: (line: string) => void = console.error): void {
  const spec = projectKernelSpec();
  if (fs.existsSync(spec)) {
    try {
      const argv0 = JSON.parse(fs.readFileSync(spec, "utf8")).argv?.[0];
      if (argv0 === tslabBinary()) return;
    } catch {
      // unreadable spec: register again
    }
  }
  registerKernel(log);
}
