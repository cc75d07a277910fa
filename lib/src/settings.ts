import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Every environment variable the project reads, in one table: its default and what it means. The values are
 * read when asked for (tests and the CLI change them at run time), and folders are made absolute once, here,
 * against the folder the process started in. Commands that start a kernel hand it `kernelEnvironment()`, so the
 * kernel (whose working folder is `notebooks/`) sees the same absolute folders as the command.
 */
export interface Setting {
  name: string;
  /** What applies when the variable is unset, in words. */
  default: string;
  meaning: string;
  /** A folder or file: made absolute against the starting folder before use and before a kernel sees it. */
  path?: boolean;
}

export const SETTINGS = [
  {
    name: "ADEFLOW_PROFILE",
    default: "local",
    meaning: "experiment settings of the training notebooks: full, quick, local or smoke",
  },
  {
    name: "ADEFLOW_MODEL",
    default:
      "the profile's (local: sentence-transformers/all-MiniLM-L6-v2; quick and full: bert-base-cased; smoke: the tiny test checkpoint)",
    meaning:
      "base BERT checkpoint: a hub id, a local folder in the Hugging Face layout, or local-bert (a small BERT built from the corpus)",
  },
  {
    name: "ADE_CORPUS_DIR",
    default: "data/ade-corpus-v2/ (downloaded when missing)",
    meaning: "folder holding DRUG-AE.rel, ADE-NEG.txt and DRUG-DOSE.rel",
    path: true,
  },
  {
    name: "ADEFLOW_RESULTS_DIR",
    default: "results/",
    meaning: "where notebooks write executed copies, tables, charts and summaries",
    path: true,
  },
  {
    name: "ADEFLOW_MODELS_DIR",
    default: "models/",
    meaning: "where trained models and their checkpoints are kept",
    path: true,
  },
  {
    name: "ADEFLOW_BACKEND",
    default: "the fastest that loads",
    meaning: "force a TensorFlow.js backend: tensorflow, webgpu, wasm or cpu",
  },
  {
    name: "ADEFLOW_NATIVE",
    default: "auto: setup builds the CPU native backend on Linux x86_64",
    meaning:
      "TensorFlow.js's native backend, built by setup from a pinned TensorFlow wheel on PyPI: auto, off, cpu or gpu (CUDA 12, from the tensorflow wheel and PyPI's nvidia-* wheels)",
  },
  {
    name: "TF_NUM_INTRAOP_THREADS",
    default: "every core",
    meaning: "TensorFlow's threads for one operation, on the native backend (TensorFlow reads it)",
  },
  {
    name: "TF_CPU_ALLOCATOR_USE_BFC",
    default: "true (set when unset)",
    meaning:
      "TensorFlow's pooling allocator on the native backend: without it every freed tensor's memory went back to the system and was page-faulted in again",
  },
  {
    name: "ADEFLOW_WORKERS",
    default: "every core, within free memory and the rows of a micro-batch (1 on a native backend)",
    meaning: "threads that train data-parallel on WebAssembly or plain JavaScript",
  },
  {
    name: "ADEFLOW_PARALLEL_RUNS",
    default: "as many as the cores and free memory allow, one thread each; 1 on a GPU or native backend",
    meaning: "whole runs (notebook 07's arms and seeds) trained at once, each in a fresh process",
  },
  {
    name: "ADEFLOW_CELL_TIMEOUT",
    default:
      "3600 for the smoke and local profiles; none for quick and full (one cell trains bert-base for hours on a CPU)",
    meaning:
      "seconds one notebook cell may run in `adeflow reproduce` and `npm start` before the run stops; 0: no limit",
  },
  {
    name: "ADEFLOW_PYTHON",
    default: "the project's .venv/, else the first python3 or /usr/bin/python3 with a usable Jupyter",
    meaning: "the Python that runs Jupyter and nbclient, and pip for registry-mirrored models (alone: it must work)",
  },
  {
    name: "ADEFLOW_JUPYTER",
    default: "auto",
    meaning:
      "venv: always use (and make) the project's .venv/ with JupyterLab 4; auto: a usable Jupyter already there first",
  },
  {
    name: "ADEFLOW_VENV_DIR",
    default: ".venv/",
    meaning: "where setup makes the project's Python environment for Jupyter",
    path: true,
  },
  {
    name: "ADEFLOW_SPERT_DIR",
    default: "../shared/reference/spert-ade beside the clone",
    meaning: "folder of SpERT's ADE benchmark files (ade_full.json, folds.json) for notebook 08",
    path: true,
  },
  {
    name: "ADEFLOW_LOCAL_BERT_DIR",
    default: "data/local-bert/",
    meaning: "cache of the local profile's corpus-made BERT (vocabulary, pretrained and random weights)",
    path: true,
  },
  {
    name: "ADEFLOW_CHROMIUM",
    default: "/usr/bin/chromium or /usr/bin/chromium-browser",
    meaning: "the Chromium for PNG charts, screenshots and the browser test",
    path: true,
  },
  { name: "ADEFLOW_PNG", default: "1", meaning: "0 turns PNG copies of charts off" },
  {
    name: "ADEFLOW_REFERENCE_SAMPLE",
    default: "../shared/reference/seed-pipeline-sample.json beside the clone",
    meaning: "the original pipeline's output that notebook 02 compares with",
    path: true,
  },
  {
    name: "ADEFLOW_SCREENSHOTS_DIR",
    default: "a temporary folder",
    meaning: "where the browser test keeps its screenshots",
    path: true,
  },
  {
    name: "ADEFLOW_MODEL_CACHE",
    default: "data/pretrained/",
    meaning:
      "where hub ids are downloaded and registry-mirrored models unpacked, one Hugging Face folder per id (<folder>/<id>/)",
    path: true,
  },
  {
    name: "HF_HUB_OFFLINE",
    default: "unset",
    meaning: "1: never ask the Hugging Face hub; ids that a package carries still come from the package registry (pip)",
  },
  {
    name: "CI",
    default: "unset",
    meaning: "set: a test that would be skipped for a missing tool (Jupyter, Chromium) fails instead",
  },
  {
    name: "JUPYTER_PATH",
    default: "unset",
    meaning: "Jupyter's extra data folders; commands that start Jupyter put the clone's .jupyter/share/jupyter first",
  },
  {
    name: "JPY_PARENT_PID",
    default: "unset",
    meaning: "set by Jupyter in its kernels: progress bars then redraw one line in place",
  },
  { name: "HOME", default: "the user's", meaning: "expands a leading ~ in folder settings and in ADEFLOW_MODEL" },
  {
    name: "EGL_PLATFORM",
    default: "surfaceless (set when unset)",
    meaning: "Mesa's EGL platform for Dawn's OpenGL backend with no display",
  },
] as const satisfies readonly Setting[];

export type SettingName = (typeof SETTINGS)[number]["name"];

const byName = new Map<string, Setting>(SETTINGS.map((s) => [s.name, s]));

/** The variable's value, trimmed; undefined when unset or empty. Folders come back absolute. */
export function setting(name: SettingName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  return byName.get(name)?.path ? path.resolve(expandHome(raw, env)) : raw;
}

function expandHome(value: string, env: NodeJS.ProcessEnv): string {
  return env.HOME ? value.replace(/^~(?=$|\/)/, env.HOME) : value;
}

/**
 * The environment for a child that runs notebooks: the given one with every folder setting made absolute,
 * plus `overrides` (say, `--corpus-dir` as ADE_CORPUS_DIR), also absolute.
 */
export function kernelEnvironment(
  overrides: Partial<Record<SettingName, string | undefined>> = {},
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) env[name] = value;
  // a model given as a relative folder (not a hub id) is made absolute too
  const model = env.ADEFLOW_MODEL?.trim();
  if (model && !path.isAbsolute(model) && fs.existsSync(model)) env.ADEFLOW_MODEL = path.resolve(model);
  for (const s of SETTINGS) {
    if (!("path" in s) || !s.path) continue;
    const value = setting(s.name, env);
    if (value === undefined) delete env[s.name];
    else env[s.name] = value;
  }
  return env;
}

/** The table as Markdown, for docs/settings.md (between its markers). */
export function settingsMarkdown(): string {
  const rows = SETTINGS.map((s) => `| \`${s.name}\` | ${s.default} | ${s.meaning} |`);
  return ["| variable | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

/** The table as plain text, for the terminal. */
export function settingsText(): string {
  const width = Math.max(...SETTINGS.map((s) => s.name.length));
  return SETTINGS.map((s) => `  ${s.name.padEnd(width)}  ${s.meaning} (default: ${s.default})`).join("\n");
}

export const SETTINGS_DOC_START = "<!-- adeflow:settings:start -->";
export const SETTINGS_DOC_END = "<!-- adeflow:settings:end -->";

/**
 * A page's text (docs/settings.md) with the settings table between its markers replaced by `settingsMarkdown()`,
 * or undefined when a marker is missing (`scripts/write-settings-doc.js` writes docs/settings.md; a test checks it is current).
 */
export function pageWithSettings(page: string): string | undefined {
  const a = page.indexOf(SETTINGS_DOC_START);
  const b = page.indexOf(SETTINGS_DOC_END);
  if (a < 0 || b < a) return undefined;
  return page.slice(0, a + SETTINGS_DOC_START.length) + "\n" + settingsMarkdown() + "\n" + page.slice(b);
}

/** Set a variable for this process and its children when the user has not: a default a library reads itself. */
export function defaultSetting(name: SettingName, value: string, env: NodeJS.ProcessEnv = process.env): void {
  if (!env[name]?.trim()) env[name] = value;
}
