/**
 * The native backend's build from a TensorFlow wheel (lib/src/setup/native-backend.ts, lib/src/io/wheel.ts): the
 * pinned wheel fetched with pip and checked, its members unpacked, one clear line for each way it can fail, and a
 * second setup that reuses what the first made. pip is replaced by a fake here; the real download and compile run
 * in `npm run setup` (CI) and are checked by every test that computes on the native backend.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AdeflowError } from "../src/errors";
import {
  extractFromWheel,
  fetchPinnedWheel,
  pipFailure,
  wheelTags,
  type PinnedWheel,
  type PipRunner,
} from "../src/io/wheel";
import {
  compileFailure,
  ensureNativeBackend,
  NATIVE_BUILDS,
  nativeMode,
  platformProblem,
} from "../src/setup/native-backend";
import { nativeUnavailable } from "./support/native";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-native-"));

/** A fake `pip download` that writes `bytes` as the wheel's file, or fails with `output`. */
function fakePip(bytes: Buffer | undefined, output = ""): PipRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run: PipRunner = (_python, args) => {
    calls.push(args);
    if (!bytes) return { status: 1, output };
    const dir = args[args.indexOf("-d") + 1];
    const requirement = args[args.length - 1];
    const file = Object.values(NATIVE_BUILDS).find((b) => `${b.wheel.name}==${b.wheel.version}` === requirement)?.wheel
      .file;
    fs.writeFileSync(path.join(dir, file ?? "fake-1.0-py3-none-any.whl"), bytes);
    return { status: 0, output: "Saved" };
  };
  return Object.assign(run, { calls });
}

const wheel = (bytes: Buffer, file = "fake-1.0-py3-none-any.whl"): PinnedWheel => ({
  name: "fake",
  version: "1.0",
  file,
  sha256: crypto.createHash("sha256").update(bytes).digest("hex"),
  bytes: bytes.length,
});

test("the pinned wheel is asked for with its own Python and platform tags, whatever this interpreter is", () => {
  const spec = NATIVE_BUILDS.cpu.wheel;
  assert.deepEqual(wheelTags(spec.file), { python: "cp311", abi: "cp311", platform: "manylinux_2_27_x86_64" });
  const dir = tmp();
  const pip = fakePip(Buffer.from("not the wheel"));
  assert.throws(
    () => fetchPinnedWheel(spec, { python: "python3", dir, pip }),
    (e: unknown) =>
      e instanceof AdeflowError &&
      e.message.includes(spec.file) &&
      e.message.includes(`is not the pinned ${spec.sha256}`),
  );
  const args = pip.calls[0];
  for (const [flag, value] of [
    ["--platform", "manylinux_2_27_x86_64"],
    ["--python-version", "3.11"],
    ["--abi", "cp311"],
  ])
    assert.equal(args[args.indexOf(flag) + 1], value, flag);
  assert.ok(args.includes("--no-deps") && args.includes("--only-binary=:all:"));
  assert.equal(args[args.length - 1], "tensorflow-cpu==2.21.0");
  assert.deepEqual(fs.readdirSync(dir), [], "a wheel of the wrong digest is removed");
});

test("a digest mismatch names the file and both digests; a good wheel is kept", () => {
  const good = Buffer.from("the real bytes");
  const pinned = wheel(good);
  const dir = tmp();
  assert.equal(fetchPinnedWheel(pinned, { python: "python3", dir, pip: fakePip(good) }), path.join(dir, pinned.file));
  const other = Buffer.from("other bytes");
  const actual = crypto.createHash("sha256").update(other).digest("hex");
  assert.throws(
    () => fetchPinnedWheel(pinned, { python: "python3", dir: tmp(), pip: fakePip(other) }),
    new RegExp(`${pinned.file}: SHA-256 ${actual} is not the pinned ${pinned.sha256}`),
  );
});

test("pip's failures become one line: registry unreachable, no such release, no pip", () => {
  const offline =
    "WARNING: Retrying (Retry(total=4...)) after connection broken by 'NewConnectionError(...: Failed to establish a new connection: [Errno 111] Connection refused')': /simple/tensorflow-cpu/\nERROR: Could not find a version that satisfies the requirement tensorflow-cpu==2.21.0 (from versions: none)\nERROR: No matching distribution found for tensorflow-cpu==2.21.0";
  assert.match(
    pipFailure("tensorflow-cpu==2.21.0", offline, 1),
    /^the package registry cannot be reached to fetch tensorflow-cpu==2\.21\.0/,
  );
  const missing =
    "ERROR: Could not find a version that satisfies the requirement tensorflow-cpu==9.9.9 (from versions: 2.12.0, 2.21.0)\nERROR: No matching distribution found for tensorflow-cpu==9.9.9";
  assert.equal(
    pipFailure("tensorflow-cpu==9.9.9", missing, 1),
    "the package registry has no tensorflow-cpu==9.9.9 for this platform (pip: ERROR: No matching distribution found for tensorflow-cpu==9.9.9)",
  );
  assert.match(pipFailure("x==1", "/usr/bin/python3: No module named pip", 1), /has no pip/);
  assert.throws(
    () =>
      fetchPinnedWheel(wheel(Buffer.from("x")), { python: "python3", dir: tmp(), pip: fakePip(undefined, missing) }),
    (e: unknown) => e instanceof AdeflowError && !e.message.includes("\n"),
  );
});

test("members of a wheel are unpacked by prefix; a member that is not there is named", (t) => {
  const dir = tmp();
  const whl = path.join(dir, "w-1.0-py3-none-any.whl");
  const made = spawnSync("python3", [
    "-c",
    "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n  z.writestr('pkg/lib.so.2', b'ELF')\n  z.writestr('pkg/include/a/b.h', b'#define X')\n  z.writestr('pkg/other.txt', b'no')",
    whl,
  ]);
  if (made.status !== 0) return t.skip("python3 cannot write a zip here");
  const out = path.join(dir, "out");
  const taken = extractFromWheel("python3", whl, out, [
    ["pkg/lib.so.2", "lib/lib.so.2"],
    ["pkg/include/", "include/"],
  ]);
  assert.deepEqual(taken.sort(), ["include/a/b.h", "lib/lib.so.2"]);
  assert.equal(fs.readFileSync(path.join(out, "include/a/b.h"), "utf8"), "#define X");
  assert.ok(!fs.existsSync(path.join(out, "other.txt")));
  assert.throws(
    () => extractFromWheel("python3", whl, out, [["pkg/missing.so", "lib/missing.so"]]),
    /holds no pkg\/missing\.so/,
  );
});

test("where the build cannot be made, setup says why in one line and goes on; asked for explicitly, it fails", () => {
  const before = process.env.ADEFLOW_NATIVE;
  const root = tmp();
  const offline = fakePip(undefined, "Failed to establish a new connection: [Errno 101] Network is unreachable");
  try {
    delete process.env.ADEFLOW_NATIVE;
    const r = ensureNativeBackend({ python: "python3", pip: offline, root });
    if (platformProblem()) {
      assert.equal(r.status, "failed");
      assert.match(r.line, /are for Linux x86_64, and this is/);
    } else {
      assert.equal(r.status, "failed");
      assert.match(
        r.line,
        /^native backend \(@tensorflow\/tfjs-node\) not built: the package registry cannot be reached/,
      );
      assert.match(r.line, /the project runs on WebAssembly$/);
      assert.ok(!r.line.includes("\n"));
      assert.deepEqual(fs.readdirSync(root), [], "nothing half-made is left");
    }
    process.env.ADEFLOW_NATIVE = "cpu";
    assert.throws(() => ensureNativeBackend({ python: "python3", pip: offline, root }), AdeflowError);
    process.env.ADEFLOW_NATIVE = "off";
    assert.equal(ensureNativeBackend({ python: "python3", pip: offline, root }).status, "skipped");
    assert.equal(offline.calls.length, platformProblem() ? 0 : 2, "off asks pip nothing");
    process.env.ADEFLOW_NATIVE = "sometimes";
    assert.throws(() => nativeMode(), /ADEFLOW_NATIVE=sometimes: expected auto, off, cpu or gpu/);
  } finally {
    if (before === undefined) delete process.env.ADEFLOW_NATIVE;
    else process.env.ADEFLOW_NATIVE = before;
  }
});

test("another platform is named; a failed compile says what to install", () => {
  assert.equal(platformProblem("linux", "x64"), undefined);
  assert.match(platformProblem("darwin", "arm64") ?? "", /for Linux x86_64, and this is darwin arm64/);
  assert.match(compileFailure("gyp ERR! find Python", "/usr"), /make, a C\+\+ compiler and Python 3/);
  assert.match(compileFailure("/bin/sh: 1: g++: not found", "/usr"), /no C\+\+ compiler/);
  assert.match(compileFailure("gyp ERR! stack Error: getaddrinfo ENOTFOUND nodejs.org", undefined), /Node's headers/);
});

test("a second setup reuses the unpacked libraries and the compiled addon (where setup built them)", (t) => {
  const missing = nativeUnavailable();
  if (missing) return t.skip(`native backend not built: ${missing}`);
  const refuse: PipRunner = () => {
    throw new Error("a second setup must not fetch the wheel again");
  };
  const r = ensureNativeBackend({ python: "python3", pip: refuse, variant: "cpu" });
  assert.equal(r.status, "ready");
  assert.match(
    r.line,
    /^native backend: @tensorflow\/tfjs-node on TensorFlow 2\.21\.0 from PyPI's tensorflow-cpu 2\.21\.0 \(cached in /,
  );
  assert.ok(r.seconds < 60, `reuse took ${r.seconds} s`);
});
