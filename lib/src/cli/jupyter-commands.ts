import { spawn } from "node:child_process";
import * as path from "node:path";
import { locateCorpus } from "../corpus/locate";
import { executeNotebook, selectNotebooks } from "../jupyter/execute";
import { ensureJupyter, ensureKernel, jupyterEnv, registerKernel } from "../jupyter/jupyter";
import { findJupyter, serverUi } from "../jupyter/python-env";
import { notebooksDir, resultsDir } from "../paths";
import type { Command } from "./command";

export const setupCommand: Command = {
  path: ["setup"],
  summary: "find Jupyter (or install JupyterLab into .venv/), register the tslab kernel for this clone, fetch (or verify) the corpus",
  usage: "adeflow setup [--venv] [--corpus-dir DIR]",
  async run(flags) {
    const jupyter = ensureJupyter({ forceVenv: flags.switches.has("venv") });
    registerKernel(undefined, jupyter.python);
    const location = await locateCorpus({ corpusDir: flags.values.get("corpus-dir") });
    console.error(`corpus: ${location.dir} (${location.origin}), checksums verified`);
  },
};

export const reproduceCommand: Command = {
  path: ["reproduce"],
  summary: "execute the notebooks headlessly, in order, saving executed copies under results/",
  usage: "adeflow reproduce [--only NAME]",
  async run(flags) {
    const notebooks = selectNotebooks(flags.values.get("only"));
    // fail before starting Jupyter when the corpus is not there
    await locateCorpus({ corpusDir: flags.values.get("corpus-dir") });
    for (const nb of notebooks) {
      console.error(`running ${path.relative(process.cwd(), nb)}`);
      const done = await executeNotebook(nb);
      console.error(`  -> ${path.relative(process.cwd(), done.executedCopy)} (${done.seconds.toFixed(1)} s)`);
    }
    console.error(`results in ${resultsDir()}`);
  },
};

export const labCommand: Command = {
  path: ["lab"],
  summary: "open the notebooks in JupyterLab 4 (or Notebook 7) with the project's kernel",
  usage: "adeflow lab [--no-browser]",
  async run(flags) {
    const jupyter = findJupyter("server");
    const ui = serverUi(jupyter.probe) ?? "lab";
    ensureKernel(undefined, jupyter.python);
    console.error(`${ui === "lab" ? "JupyterLab" : "Notebook"} from ${jupyter.python} (${jupyter.origin})`);
    const args = ["-m", ui === "lab" ? "jupyterlab" : "notebook", `--ServerApp.root_dir=${notebooksDir()}`, ...(flags.switches.has("no-browser") ? ["--no-browser"] : [])];
    const child = spawn(jupyter.python, args, { env: jupyterEnv(process.env, jupyter.python), stdio: "inherit" });
    await new Promise((resolve) => child.on("close", resolve));
  },
};
