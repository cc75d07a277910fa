import { spawn } from "node:child_process";
import * as path from "node:path";
import { locateCorpus } from "../corpus/locate";
import { executeNotebook, selectNotebooks } from "../jupyter/execute";
import { findJupyterPython, jupyterEnv, registerKernel } from "../jupyter/jupyter";
import { notebooksDir, resultsDir } from "../paths";
import type { Command } from "./command";

export const setupCommand: Command = {
  path: ["setup"],
  summary: "register the tslab kernel for this clone and fetch (or verify) the corpus",
  usage: "adeflow setup [--corpus-dir DIR]",
  async run(flags) {
    registerKernel();
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
  summary: "open the notebooks in JupyterLab (or the classic Notebook) with the project's kernel",
  usage: "adeflow lab [--no-browser]",
  async run(flags) {
    const python = findJupyterPython();
    const env = jupyterEnv();
    for (const app of ["lab", "notebook"]) {
      const probe = spawn(python, ["-m", app === "lab" ? "jupyterlab" : "notebook", "--version"], { env, stdio: "ignore" });
      const ok = await new Promise<boolean>((resolve) => probe.on("close", (code) => resolve(code === 0)));
      if (!ok) continue;
      const args = ["-m", "jupyter", app, `--notebook-dir=${notebooksDir()}`, ...(flags.switches.has("no-browser") ? ["--no-browser"] : [])];
      const child = spawn(python, args, { env, stdio: "inherit" });
      await new Promise((resolve) => child.on("close", resolve));
      return;
    }
    throw new Error(`neither JupyterLab nor Notebook is installed for ${python}: \`pip install jupyterlab\` (or apt-get install jupyter-notebook)`);
  },
};
