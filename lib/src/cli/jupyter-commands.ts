import { spawn } from "node:child_process";
import { locateCorpus } from "../corpus/locate";
import { AdeflowError } from "../errors";
import { cellTimeoutSeconds, executeNotebook, selectNotebooks, type ExecutedNotebook } from "../jupyter/execute";
import { shortPath } from "../experiment/plan/model-origin";
import { ensureJupyter, ensureKernel, jupyterEnv, registerKernel } from "../jupyter/jupyter";
import { findJupyter, serverUi } from "../jupyter/python-env";
import { notebooksDir, resultsDir } from "../paths";
import { kernelEnvironment } from "../settings";
import { CORPUS_DIR_FLAG } from "./data";
import { UsageError, type Command } from "./command";
import { ensureNativeBackend, nativeMode } from "../setup/native-backend";
import { ensureBaseModel } from "../setup/base-model";
import { currentProfile } from "../experiment/shared/profile";
import { lastRunReport } from "../experiment/report/last-run";
import { RunNarrator, summaryLines } from "./narration";
import { planReproduce } from "./run-plan";

export const setupCommand: Command = {
  path: ["setup"],
  summary:
    "find Jupyter (or install JupyterLab into .venv/), register the tslab kernel for this clone, build the native backend from PyPI's TensorFlow wheel, fetch (or verify) the corpus, fetch the profile's base model",
  flags: {
    venv: {
      type: "boolean",
      description: "install JupyterLab into the project's .venv/ and use it even when another Jupyter is found",
    },
    native: {
      type: "string",
      value: "auto|off|cpu|gpu",
      description: "the native backend to build (default ADEFLOW_NATIVE, else auto: the CPU build on Linux x86_64)",
    },
    "corpus-dir": CORPUS_DIR_FLAG,
  },
  async run(flags) {
    const native = flags.values.get("native");
    if (native !== undefined && !["auto", "off", "cpu", "gpu"].includes(native))
      throw new UsageError(`--native ${native}: expected auto, off, cpu or gpu`);
    // a bad ADEFLOW_NATIVE is named before anything is installed
    const mode = (native as ReturnType<typeof nativeMode> | undefined) ?? nativeMode();
    const jupyter = ensureJupyter({ forceVenv: flags.switches.has("venv") });
    registerKernel(undefined, jupyter.python);
    const built = await ensureNativeBackend({ python: jupyter.python, mode, log: (line) => console.error(line) });
    console.error(built.line);
    const location = await locateCorpus({ corpusDir: flags.values.get("corpus-dir") });
    console.error(`corpus: ${location.dir} (${location.origin}), checksums verified`);
    console.error(await ensureBaseModel(currentProfile()));
  },
};

export const reproduceCommand: Command = {
  path: ["reproduce"],
  summary: "execute the notebooks headlessly, in order, saving executed copies under results/",
  flags: {
    only: {
      type: "string",
      value: "NAME",
      description: "one notebook: its number (02), name (preprocessing) or file name",
    },
    "corpus-dir": CORPUS_DIR_FLAG,
    model: {
      type: "string",
      value: "ID|DIR",
      description:
        "base checkpoint of the training notebooks, as ADEFLOW_MODEL: a hub id or a folder (an exported NER model too)",
    },
    plan: {
      type: "boolean",
      description: "say what would run and how long it would take on this machine (a short measurement), run nothing",
    },
  },
  async run(flags) {
    const notebooks = notebooksForFlag(flags.values.get("only"));
    cellTimeoutSeconds(); // a bad ADEFLOW_CELL_TIMEOUT is named before the corpus is fetched
    // fail before starting Jupyter when the corpus is not there; the kernel reads the very folder checked here
    const corpus = await locateCorpus({ corpusDir: flags.values.get("corpus-dir") });
    // --model reaches the kernel as ADEFLOW_MODEL (a relative folder made absolute, as the kernel works in notebooks/)
    const env = jupyterEnv(kernelEnvironment({ ADE_CORPUS_DIR: corpus.dir, ADEFLOW_MODEL: flags.values.get("model") }));
    const log = (line: string) => console.error(line);
    const plan = await planReproduce(notebooks, env, { log });
    if (flags.switches.has("plan")) return;
    const narrator = new RunNarrator(plan.stems, plan.work, plan.estimates);
    for (const [i, nb] of notebooks.entries()) {
      log(narrator.starting(i));
      const started = Date.now();
      let executed: ExecutedNotebook;
      try {
        executed = await executeNotebook(nb, { env });
      } catch (err) {
        narrator.failed(i, (Date.now() - started) / 1000, (err as Error).message);
        for (const line of summaryLines(narrator, lastRunResults(), { failed: true })) log(line);
        throw err;
      }
      log(narrator.done(i, (Date.now() - started) / 1000, shortPath(executed.executedCopy)));
    }
    for (const line of summaryLines(narrator, lastRunResults(), { failed: false })) log(line);
  },
};

/** The table `adeflow results` prints, and where it reads from; a results file it cannot read is named instead. */
function lastRunResults(): { table: string; dir: string } {
  const dir = resultsDir();
  try {
    return { table: lastRunReport(dir), dir };
  } catch (err) {
    if (!(err instanceof AdeflowError)) throw err;
    return { table: `(no table: ${err.message})`, dir };
  }
}

/** Run a child to its end; resolves to its exit status, or to the signal that ended it. */
export function waitForChild(
  child: ReturnType<typeof spawn>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
}

export const labCommand: Command = {
  path: ["lab"],
  summary: "open the notebooks in JupyterLab 4 (or Notebook 7) with the project's kernel",
  flags: { "no-browser": { type: "boolean", description: "do not open a browser, print the address" } },
  async run(flags) {
    const jupyter = findJupyter("server");
    const ui = serverUi(jupyter.probe) ?? "lab";
    ensureKernel(undefined, jupyter.python);
    console.error(`${ui === "lab" ? "JupyterLab" : "Notebook"} from ${jupyter.python} (${jupyter.origin})`);
    const args = [
      "-m",
      ui === "lab" ? "jupyterlab" : "notebook",
      `--ServerApp.root_dir=${notebooksDir()}`,
      ...(flags.switches.has("no-browser") ? ["--no-browser"] : []),
    ];
    const child = spawn(jupyter.python, args, {
      env: jupyterEnv(kernelEnvironment(), jupyter.python),
      stdio: "inherit",
    });
    const { code, signal } = await waitForChild(child);
    // Ctrl-C reaches Jupyter too and it stops cleanly (status 0); anything else is Jupyter refusing or failing
    if (code !== 0 && signal !== "SIGINT") {
      throw new AdeflowError(
        `${ui === "lab" ? "jupyter lab" : "jupyter notebook"} (${jupyter.python}) ${signal ? `was ended by ${signal}` : `exited with status ${code}`}; its messages are above`,
      );
    }
  },
};

/** The notebooks `--only` names; a name that matches none is a usage error (exit 2), listing the names. */
export function notebooksForFlag(only: string | undefined): string[] {
  try {
    return selectNotebooks(only);
  } catch (err) {
    if (err instanceof AdeflowError && /^no notebook matches/.test(err.message)) throw new UsageError(err.message);
    throw err;
  }
}
