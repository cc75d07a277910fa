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
  explainPipFailure,
  extractFromWheel,
  fetchPinnedWheel,
  pipDownloadArgs,
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
  const run: PipRunner = async (args) => {
    calls.push([...args]);
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

test("the pinned wheel is asked for with its own Python and platform tags, whatever this interpreter is", async () => {
  const spec = NATIVE_BUILDS.cpu.wheel;
  assert.deepEqual(wheelTags(spec.file), { python: "cp311", abi: "cp311", platform: "manylinux_2_27_x86_64" });
  const dir = tmp();
  const pip = fakePip(Buffer.from("not the wheel"));
  await assert.rejects(
    fetchPinnedWheel(spec, { python: "python3", dir, pip }),
    (e: unknown) =>
      e instanceof AdeflowError &&
      e.message.includes(spec.file) &&
      e.message.includes(`expected ${spec.sha256}; nothing was kept`),
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

test("a digest mismatch names the file and both digests; a good wheel is kept", async () => {
  const good = Buffer.from("the real bytes");
  const pinned = wheel(good);
  const dir = tmp();
  assert.equal(
    await fetchPinnedWheel(pinned, { python: "python3", dir, pip: fakePip(good) }),
    path.join(dir, pinned.file),
  );
  const other = Buffer.from("other bytes");
  const actual = crypto.createHash("sha256").update(other).digest("hex");
  await assert.rejects(
    fetchPinnedWheel(pinned, { python: "python3", dir: tmp(), pip: fakePip(other) }),
    new RegExp(
      `fake: the wheel ${pinned.file} of fake==1\\.0 has SHA-256 ${actual}, expected ${pinned.sha256}; nothing was kept`,
    ),
  );
});

test("a platform wheel's pip failure is one line (the wording is tested in bert-registry.test)", async () => {
  const spec = NATIVE_BUILDS.cpu.wheel;
  const missing =
    "ERROR: Could not find a version that satisfies the requirement tensorflow-cpu==2.21.0 (from versions: 2.12.0, 2.13.0)\nERROR: No matching distribution found for tensorflow-cpu==2.21.0";
  assert.equal(
    explainPipFailure(spec, { status: 1, output: missing }, "python3"),
    "the package registry has tensorflow-cpu but not version 2.21.0 (it has 2.12.0, 2.13.0)",
  );
  await assert.rejects(
    fetchPinnedWheel(spec, { python: "python3", dir: tmp(), pip: fakePip(undefined, missing) }),
    (e: unknown) => e instanceof AdeflowError && e.message.startsWith("tensorflow-cpu: ") && !e.message.includes("\n"),
  );
  // a wheel for any Python and platform is asked for without tags
  const anyArgs = pipDownloadArgs({ name: "x", version: "1", file: "x-1-py3-none-any.whl" }, "/d");
  assert.ok(!anyArgs.includes("--platform") && !anyArgs.includes("--python-version"));
});

test("members of a wheel are unpacked by prefix; a member that is not there is named", async (t) => {
  const dir = tmp();
  const whl = path.join(dir, "w-1.0-py3-none-any.whl");
  const made = spawnSync("python3", [
    "-c",
    "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n  z.writestr('pkg/lib.so.2', b'ELF')\n  z.writestr('pkg/include/a/b.h', b'#define X')\n  z.writestr('pkg/other.txt', b'no')",
    whl,
  ]);
  if (made.status !== 0) return t.skip("python3 cannot write a zip here");
  const out = path.join(dir, "out");
  const taken = await extractFromWheel("python3", whl, out, [
    ["pkg/lib.so.2", "lib/lib.so.2"],
    ["pkg/include/", "include/"],
  ]);
  assert.deepEqual(taken.sort(), ["include/a/b.h", "lib/lib.so.2"]);
  assert.equal(fs.readFileSync(path.join(out, "include/a/b.h"), "utf8"), "#define X");
  assert.ok(!fs.existsSync(path.join(out, "other.txt")));
  await assert.rejects(
    extractFromWheel("python3", whl, out, [["pkg/missing.so", "lib/missing.so"]]),
    /the wheel w-1\.0-py3-none-any\.whl lacks pkg\/missing\.so/,
  );
});

test("where the build cannot be made, setup says why in one line and goes on; asked for explicitly, it fails", async () => {
  const before = process.env.ADEFLOW_NATIVE;
  const root = tmp();
  const offline = fakePip(undefined, "Failed to establish a new connection: [Errno 101] Network is unreachable");
  try {
    delete process.env.ADEFLOW_NATIVE;
    const r = await ensureNativeBackend({ python: "python3", pip: offline, root });
    if (platformProblem()) {
      assert.equal(r.status, "failed");
      assert.match(r.line, /are for Linux x86_64, and this is/);
    } else {
      assert.equal(r.status, "failed");
      assert.match(
        r.line,
        /^native backend \(@tensorflow\/tfjs-node\) not built: tensorflow-cpu: pip could not reach the package registry/,
      );
      assert.match(r.line, /the project runs on WebAssembly$/);
      assert.ok(!r.line.includes("\n"));
      assert.deepEqual(fs.readdirSync(root), [], "nothing half-made is left");
    }
    process.env.ADEFLOW_NATIVE = "cpu";
    await assert.rejects(ensureNativeBackend({ python: "python3", pip: offline, root }), AdeflowError);
    process.env.ADEFLOW_NATIVE = "off";
    assert.equal((await ensureNativeBackend({ python: "python3", pip: offline, root })).status, "skipped");
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

test("a second setup reuses the unpacked libraries and the compiled addon (where setup built them)", async (t) => {
  const missing = nativeUnavailable();
  if (missing) return t.skip(`native backend not built: ${missing}`);
  const refuse: PipRunner = async () => {
    throw new Error("a second setup must not fetch the wheel again");
  };
  const r = await ensureNativeBackend({ python: "python3", pip: refuse, variant: "cpu" });
  assert.equal(r.status, "ready");
  assert.match(
    r.line,
    /^native backend: @tensorflow\/tfjs-node on TensorFlow 2\.21\.0 from PyPI's tensorflow-cpu 2\.21\.0 \(cached in /,
  );
  assert.ok(r.seconds < 60, `reuse took ${r.seconds} s`);
});
