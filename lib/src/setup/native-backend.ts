/**
 * TensorFlow.js's native backend, built from a package registry alone.
 *
 * `@tensorflow/tfjs-node` (and `-gpu`) is a small N-API addon over TensorFlow's C library. Its own install script
 * downloads libtensorflow 2.9.1 from storage.googleapis.com, which firewalled networks (and this project's
 * machines) cannot reach, so package.json denies that script and this module does the install instead:
 *
 *   1. `pip download` a pinned TensorFlow wheel from PyPI (version and SHA-256 below) with the project's Python:
 *      `tensorflow-cpu` for the CPU, `tensorflow` (CUDA 12) plus the `nvidia-*` wheels of its `and-cuda` extra for
 *      a GPU. The wheel carries the C API in `libtensorflow_cc.so.2` and its headers in `tensorflow/include/`.
 *   2. Unpack the two libraries and the C API's headers into `data/native/<wheel>/` (the cache: a second setup,
 *      or one after `npm ci` emptied node_modules, reuses it).
 *   3. Point the addon's `deps/` at that folder (its binding.gyp links `-ltensorflow -ltensorflow_framework` from
 *      `deps/lib` with rpath `$ORIGIN/../../deps/lib`) and compile it with node-gyp against the running Node's
 *      headers, about 11 s; the compiled addon is cached beside the libraries.
 *   4. Load it in a fresh process; only an addon that loads is left in place.
 *
 * The official download is never tried: it is an unpinned, unverified archive of an older TensorFlow (2.9.1)
 * from a host many networks block, while the wheel is pinned by digest, comes through whatever PyPI mirror pip is
 * configured for, and is the TensorFlow these figures were measured on. Where the build cannot be made (another
 * platform, no compiler, no registry), setup says why in one line and the project runs on WebAssembly.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError } from "../errors";
import { sweepDeadTemporaries, writeJsonAtomic } from "../io";
import { extractFromWheel, fetchPinnedWheel, type PinnedWheel, type PipRunner, type WheelMembers } from "../io/wheel";
import { dataDir, repoRoot } from "../paths";
import { setting } from "../settings";

export type NativeVariant = "cpu" | "gpu";

/** A TensorFlow wheel and the addon package built against it. */
export interface NativeBuildSpec {
  variant: NativeVariant;
  /** The npm package whose addon is built. */
  binding: "@tensorflow/tfjs-node" | "@tensorflow/tfjs-node-gpu";
  wheel: PinnedWheel;
  /** Further wheels whose libraries the TensorFlow library loads at run time (CUDA), unpacked beside it. */
  runtimeWheels: PinnedWheel[];
}

/**
 * The pinned wheels. TensorFlow 2.21.0: every one of the 63 C functions the 4.22 addon calls is in its
 * `libtensorflow_cc.so.2`, and it is the newest release for Python 3.11 on manylinux x86_64. The Python tag only
 * names the wheel: the C library inside is the same for every Python.
 */
export const NATIVE_BUILDS: Record<NativeVariant, NativeBuildSpec> = {
  cpu: {
    variant: "cpu",
    binding: "@tensorflow/tfjs-node",
    wheel: {
      name: "tensorflow-cpu",
      version: "2.21.0",
      file: "tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl",
      sha256: "2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c",
      bytes: 273_829_956,
    },
    runtimeWheels: [],
  },
  gpu: {
    variant: "gpu",
    binding: "@tensorflow/tfjs-node-gpu",
    wheel: {
      name: "tensorflow",
      version: "2.21.0",
      file: "tensorflow-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl",
      sha256: "9056fbc9ba04235810b71ae6cbd958a196e8804fb53bbcffbf3e23b56155f124",
      bytes: 572_440_367,
    },
    // the `and-cuda` extra of tensorflow 2.21.0, each at the newest release its bounds allowed on 2026-12-03
    runtimeWheels: [
      {
        name: "nvidia-cublas-cu12",
        version: "12.9.3.13",
        file: "nvidia_cublas_cu12-12.9.3.13-py3-none-manylinux_2_27_x86_64.whl",
        sha256: "d7d51055f161b317c7105ddaae90e71eda059026074ffef93cf7cde2886bfe72",
        bytes: 581_217_458,
      },
      {
        name: "nvidia-cuda-cupti-cu12",
        version: "12.9.79",
        file: "nvidia_cuda_cupti_cu12-12.9.79-py3-none-manylinux_2_25_x86_64.whl",
        sha256: "096bcf334f13e1984ba36685ad4c1d6347db214de03dbb6eebb237b41d9d934f",
        bytes: 10_814_997,
      },
      {
        name: "nvidia-cuda-nvcc-cu12",
        version: "12.9.86",
        file: "nvidia_cuda_nvcc_cu12-12.9.86-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
        sha256: "5d6a0d32fdc7ea39917c20065614ae93add6f577d840233237ff08e9a38f58f0",
        bytes: 40_546_229,
      },
      {
        name: "nvidia-cuda-nvrtc-cu12",
        version: "12.9.86",
        file: "nvidia_cuda_nvrtc_cu12-12.9.86-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
        sha256: "210cf05005a447e29214e9ce50851e83fc5f4358df8b453155d5e1918094dcb4",
        bytes: 89_568_129,
      },
      {
        name: "nvidia-cuda-runtime-cu12",
        version: "12.9.79",
        file: "nvidia_cuda_runtime_cu12-12.9.79-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        sha256: "25bba2dfb01d48a9b59ca474a1ac43c6ebf7011f1b0b8cc44f54eb6ac48a96c3",
        bytes: 3_493_179,
      },
      {
        name: "nvidia-cudnn-cu12",
        version: "9.28.0.42",
        file: "nvidia_cudnn_cu12-9.28.0.42-py3-none-manylinux_2_27_x86_64.whl",
        sha256: "9ff58b7f36dacd0a93e89f8f2957b52466889217963701daa15e577317cfa375",
        bytes: 716_538_495,
      },
      {
        name: "nvidia-cufft-cu12",
        version: "11.4.1.4",
        file: "nvidia_cufft_cu12-11.4.1.4-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        sha256: "c67884f2a7d276b4b80eb56a79322a95df592ae5e765cf1243693365ccab4e28",
        bytes: 200_877_592,
      },
      {
        name: "nvidia-curand-cu12",
        version: "10.3.10.19",
        file: "nvidia_curand_cu12-10.3.10.19-py3-none-manylinux_2_27_x86_64.whl",
        sha256: "49b274db4780d421bd2ccd362e1415c13887c53c214f0d4b761752b8f9f6aa1e",
        bytes: 68_295_626,
      },
      {
        name: "nvidia-cusolver-cu12",
        version: "11.7.5.82",
        file: "nvidia_cusolver_cu12-11.7.5.82-py3-none-manylinux_2_27_x86_64.whl",
        sha256: "15da72d1340d29b5b3cf3fd100e3cd53421dde36002eda6ed93811af63c40d88",
        bytes: 338_117_415,
      },
      {
        name: "nvidia-cusparse-cu12",
        version: "12.5.10.65",
        file: "nvidia_cusparse_cu12-12.5.10.65-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        sha256: "73060ce019ac064a057267c585bf1fd5a353734151f87472ff02b2c5c9984e78",
        bytes: 366_465_088,
      },
      {
        name: "nvidia-nccl-cu12",
        version: "2.32.3",
        file: "nvidia_nccl_cu12-2.32.3-py3-none-manylinux_2_27_x86_64.whl",
        sha256: "bb94b2348e4861d5e8aa00b36c3d12d9bdf9c6369b82cbb723de0b582280a21c",
        bytes: 351_526_311,
      },
      {
        name: "nvidia-nvjitlink-cu12",
        version: "12.9.86",
        file: "nvidia_nvjitlink_cu12-12.9.86-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
        sha256: "e3f1171dbdc83c5932a45f0f4c99180a70de9bd2718c1ab77d14104f6d7147f9",
        bytes: 39_748_338,
      },
    ],
  },
};

/** The members of a TensorFlow wheel the addon needs: the two libraries and the C API's headers. */
export const WHEEL_MEMBERS: WheelMembers = [
  ["tensorflow/libtensorflow_cc.so.2", "lib/libtensorflow_cc.so.2"],
  ["tensorflow/libtensorflow_framework.so.2", "lib/libtensorflow_framework.so.2"],
  ["tensorflow/include/tensorflow/c/", "include/tensorflow/c/"],
  ["tensorflow/include/tensorflow/core/platform/", "include/tensorflow/core/platform/"],
  ["tensorflow/include/tsl/platform/", "include/tsl/platform/"],
  ["tensorflow/include/xla/tsl/c/", "include/xla/tsl/c/"],
];

/**
 * What TensorFlow needs of the nvidia-* wheels at run time: their libraries (found through the rpath
 * `$ORIGIN/../nvidia/<name>/lib` of libtensorflow_cc.so.2), and nvcc's ptxas and libdevice, which it uses to
 * compile kernels for a GPU newer than its own binaries. Headers are left out.
 */
const CUDA_MEMBERS: WheelMembers = [["nvidia/", "nvidia/", "^nvidia/[^/]+/(lib|bin|nvvm)/"]];

/** Written last into a finished library folder: a folder without it (a cut-off unpack) is made again. */
const LIBS_MARKER = "adeflow-native.json";

export interface NativeLibsRecord {
  wheel: string;
  sha256: string;
  tensorflow: string;
  source: string;
  unpacked_at: string;
}

/** `ADEFLOW_NATIVE`: auto (the CPU build where it can be made), off, cpu or gpu. */
export function nativeMode(env: NodeJS.ProcessEnv = process.env): "auto" | "off" | NativeVariant {
  const raw = (setting("ADEFLOW_NATIVE", env) ?? "auto").toLowerCase();
  if (raw === "auto" || raw === "off" || raw === "cpu" || raw === "gpu") return raw;
  throw new AdeflowError(`ADEFLOW_NATIVE=${raw}: expected auto, off, cpu or gpu`);
}

/** Why this machine cannot have the build, or undefined when it can. */
export function platformProblem(platform: string = process.platform, arch: string = process.arch): string | undefined {
  if (platform === "linux" && arch === "x64") return undefined;
  return `the TensorFlow wheels pinned here are for Linux x86_64, and this is ${platform} ${arch}`;
}

export const nativeRoot = (): string => path.join(dataDir(), "native");
export const libsDir = (spec: NativeBuildSpec, root: string = nativeRoot()): string =>
  path.join(root, `${spec.wheel.name}-${spec.wheel.version}`);

/** The folder of an installed npm package (from the project root), or undefined when it is not installed. */
export function packageDir(name: string, from: string = repoRoot()): string | undefined {
  try {
    return path.dirname(require.resolve(`${name}/package.json`, { paths: [from] }));
  } catch {
    return undefined;
  }
}

/** Where the addon's loader looks for it: `lib/napi-v<N>/tfjs_binding.node`, N the newest N-API both support. */
export function addonPath(pkgDir: string, nodeNapi: number = Number(process.versions.napi)): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as {
    binary?: { module_path?: string; module_name?: string; napi_versions?: number[] };
  };
  const versions = (pkg.binary?.napi_versions ?? []).filter((v) => v <= nodeNapi);
  if (!versions.length) throw new AdeflowError(`${pkgDir}/package.json: no N-API version this Node (${nodeNapi}) runs`);
  const napi = Math.max(...versions);
  const modulePath = (pkg.binary?.module_path ?? "./lib/napi-v{napi_build_version}").replace(
    "{napi_build_version}",
    String(napi),
  );
  return path.join(pkgDir, modulePath, `${pkg.binary?.module_name ?? "tfjs_binding"}.node`);
}

/** Node's own headers for node-gyp: `<prefix>/include/node` beside the running binary, where installers put them. */
export function nodeHeadersDir(execPath: string = process.execPath): string | undefined {
  const prefix = path.dirname(path.dirname(execPath));
  return fs.existsSync(path.join(prefix, "include", "node", "node_api.h")) ? prefix : undefined;
}

export interface NativeBuildResult {
  status: "ready" | "skipped" | "failed";
  /** One line for the terminal. */
  line: string;
  tensorflow?: string;
  seconds: number;
}

export interface NativeBuildOptions {
  /** The Python whose pip fetches the wheel (the project's environment). */
  python: string;
  variant?: NativeVariant;
  log?: (line: string) => void;
  pip?: PipRunner;
  /** Where the unpacked libraries and compiled addons are kept (default data/native/). */
  root?: string;
  /** What to build (default `nativeMode()`, from ADEFLOW_NATIVE). */
  mode?: "auto" | "off" | NativeVariant;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * Make the native backend available, or say in one line why it is not. Never throws for a machine that cannot
 * have it: the project then runs on WebAssembly. A `variant` asked for explicitly (ADEFLOW_NATIVE=cpu|gpu) that
 * cannot be built is an error.
 */
export async function ensureNativeBackend(opts: NativeBuildOptions): Promise<NativeBuildResult> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  const mode = opts.mode ?? nativeMode();
  if (mode === "off") return { status: "skipped", line: "native backend: off (ADEFLOW_NATIVE=off)", seconds: 0 };
  const variant = opts.variant ?? (mode === "auto" ? "cpu" : mode);
  const explicit = opts.variant !== undefined || mode !== "auto";
  const spec = NATIVE_BUILDS[variant];
  try {
    const tensorflow = await buildNative(spec, opts);
    return { status: "ready", line: tensorflow.line, tensorflow: tensorflow.version, seconds: seconds() };
  } catch (err) {
    if (!(err instanceof AdeflowError)) throw err;
    const line = `native backend (${spec.binding}) not built: ${err.message}; the project runs on WebAssembly`;
    if (explicit) throw new AdeflowError(line.replace(/; the project runs on WebAssembly$/, ""));
    return { status: "failed", line, seconds: seconds() };
  }
}

async function buildNative(
  spec: NativeBuildSpec,
  opts: NativeBuildOptions,
): Promise<{ line: string; version: string }> {
  const log = opts.log ?? (() => undefined);
  const platform = platformProblem();
  if (platform) throw new AdeflowError(platform);
  const pkgDir = packageDir(spec.binding);
  if (!pkgDir) throw new AdeflowError(`${spec.binding} is not installed (run \`npm ci\`)`);
  const addon = addonPath(pkgDir);
  const root = opts.root ?? nativeRoot();
  const libs = libsDir(spec, root);
  const cachedAddon = path.join(
    libs,
    "addons",
    `${spec.binding.replace("/", "+")}-${packageVersion(pkgDir)}-${path.basename(path.dirname(addon))}.node`,
  );
  const started = Date.now();
  let fetched = "";
  sweepDeadTemporaries(root); // what a setup killed mid-unpack left
  if (!fs.existsSync(path.join(libs, LIBS_MARKER))) {
    fetched = await unpackWheel(spec, libs, root, opts);
  }
  linkDeps(pkgDir, libs);
  let built = "";
  if (!fs.existsSync(cachedAddon)) {
    log(`compiling ${spec.binding}'s addon against TensorFlow ${spec.wheel.version} with node-gyp`);
    compileAddon(pkgDir, addon);
    fs.mkdirSync(path.dirname(cachedAddon), { recursive: true });
    const tmp = `${cachedAddon}.tmp-${process.pid}`;
    fs.copyFileSync(addon, tmp);
    fs.renameSync(tmp, cachedAddon);
    built = "compiled";
  } else if (!sameFile(cachedAddon, addon)) {
    fs.mkdirSync(path.dirname(addon), { recursive: true });
    fs.copyFileSync(cachedAddon, addon);
  }
  const loaded = probeAddon(spec.binding);
  if (!loaded.ok) {
    fs.rmSync(addon, { force: true });
    throw new AdeflowError(`the addon does not load (${loaded.reason})`);
  }
  const took = ((Date.now() - started) / 1000).toFixed(0);
  const what =
    fetched || built
      ? [fetched, built].filter(Boolean).join(", ") + ` in ${took} s`
      : `cached in ${path.relative(repoRoot(), libs)}`;
  return {
    line: `native backend: ${spec.binding} on TensorFlow ${loaded.version} from PyPI's ${spec.wheel.name} ${spec.wheel.version} (${what})`,
    version: loaded.version,
  };
}

function packageVersion(pkgDir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { version: string }).version;
}

function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [fs.readFileSync(a), fs.readFileSync(b)];
    return x.equals(y);
  } catch {
    return false;
  }
}

/** Fetch, verify and unpack the wheel(s) into `libs`, through a temporary sibling renamed into place at the end. */
async function unpackWheel(
  spec: NativeBuildSpec,
  libs: string,
  root: string,
  opts: NativeBuildOptions,
): Promise<string> {
  const log = opts.log ?? (() => undefined);
  const tmp = `${libs}.tmp-${process.pid}`;
  const downloads = path.join(root, `downloads.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  const needed = spec.wheel.bytes * 4.5 + spec.runtimeWheels.reduce((n, w) => n + w.bytes * 2.5, 0);
  const free = freeBytes(root);
  if (free !== undefined && free < needed)
    throw new AdeflowError(`${root} has ${mb(free)} free and the libraries need about ${mb(needed)}`);
  try {
    const started = Date.now();
    log(
      `fetching ${spec.wheel.name}==${spec.wheel.version} (${mb(spec.wheel.bytes)}) from the package registry with pip`,
    );
    const wheel = await fetchPinnedWheel(spec.wheel, { python: opts.python, dir: downloads, pip: opts.pip });
    const fetchSeconds = (Date.now() - started) / 1000;
    log(`unpacking the TensorFlow C library and its headers into ${path.relative(repoRoot(), libs)}/`);
    await extractFromWheel(opts.python, wheel, tmp, WHEEL_MEMBERS);
    fs.rmSync(wheel, { force: true });
    if (spec.runtimeWheels.length) {
      const total = spec.runtimeWheels.reduce((n, w) => n + w.bytes, 0);
      log(
        `fetching the ${spec.runtimeWheels.length} nvidia-* wheels of CUDA 12 and cuDNN 9 (${mb(total)}) and unpacking their libraries`,
      );
    }
    for (const extra of spec.runtimeWheels) {
      const file = await fetchPinnedWheel(extra, { python: opts.python, dir: downloads, pip: opts.pip });
      // the nvidia-* wheels hold nvidia/<library>/lib/*.so*; TensorFlow's rpath looks in $ORIGIN/../nvidia/...
      await extractFromWheel(opts.python, file, tmp, CUDA_MEMBERS);
      fs.rmSync(file, { force: true });
    }
    // binding.gyp links -ltensorflow -ltensorflow_framework: the linker needs these unversioned names
    fs.symlinkSync("libtensorflow_cc.so.2", path.join(tmp, "lib", "libtensorflow.so"));
    fs.symlinkSync("libtensorflow_framework.so.2", path.join(tmp, "lib", "libtensorflow_framework.so"));
    const record: NativeLibsRecord = {
      wheel: spec.wheel.file,
      sha256: spec.wheel.sha256,
      tensorflow: spec.wheel.version,
      source: `PyPI ${spec.wheel.name}==${spec.wheel.version}`,
      unpacked_at: new Date().toISOString(),
    };
    writeJsonAtomic(path.join(tmp, LIBS_MARKER), record);
    fs.rmSync(libs, { recursive: true, force: true });
    fs.renameSync(tmp, libs);
    return `fetched (${mb(spec.wheel.bytes)} in ${fetchSeconds.toFixed(0)} s, SHA-256 verified), unpacked`;
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    fs.rmSync(downloads, { recursive: true, force: true });
  }
}

/** `<package>/deps` -> the unpacked libraries (what binding.gyp and the addon's rpath expect to find there). */
function linkDeps(pkgDir: string, libs: string): void {
  const deps = path.join(pkgDir, "deps");
  let current: string | undefined;
  try {
    current = fs.readlinkSync(deps);
  } catch {
    current = undefined;
  }
  if (current === libs) return;
  fs.rmSync(deps, { recursive: true, force: true });
  fs.symlinkSync(libs, deps, "dir");
}

function nodeGypScript(): string {
  try {
    return require.resolve("node-gyp/bin/node-gyp.js", { paths: [repoRoot()] });
  } catch {
    throw new AdeflowError("node-gyp is not installed (an optional dependency: run `npm ci`)");
  }
}

/** Compile the addon in its package folder with node-gyp; the objects are removed afterwards. */
function compileAddon(pkgDir: string, addon: string): void {
  const headers = nodeHeadersDir();
  const napi = /napi-v(\d+)/.exec(addon)?.[1] ?? "8";
  const args = [
    nodeGypScript(),
    "rebuild",
    `--directory=${pkgDir}`,
    "--module_name=tfjs_binding",
    `--module_path=${path.dirname(addon)}`,
    `--napi_build_version=${napi}`,
    ...(headers ? [`--nodedir=${headers}`] : []),
  ];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: process.env });
  fs.rmSync(path.join(pkgDir, "build"), { recursive: true, force: true });
  if (r.status !== 0 || !fs.existsSync(addon)) {
    const out = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
    throw new AdeflowError(`node-gyp could not compile it (${compileFailure(out, headers)})`);
  }
}

/** The cause of a failed compile, in words: no compiler, no make, no Python for gyp, no Node headers. */
export function compileFailure(output: string, headers: string | undefined): string {
  if (/not found: make|make: not found|Can't find Python|find Python/i.test(output))
    return "it needs make, a C++ compiler and Python 3 (on Debian/Ubuntu: apt-get install build-essential python3)";
  if (/g\+\+: (not found|No such file)|c\+\+: (not found|No such file)|CXX.*not found/i.test(output))
    return "no C++ compiler (on Debian/Ubuntu: apt-get install build-essential)";
  if (!headers && /(getaddrinfo|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|download)/i.test(output))
    return `Node's headers are not installed beside ${process.execPath} and cannot be downloaded; install Node from nodejs.org or your distribution's nodejs headers, or set npm_config_nodedir`;
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter(
      (l) => /error/i.test(l) && !/^gyp (info|ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok))/.test(l),
    );
  return (
    lines.slice(0, 2).join(" | ") || "see `node node_modules/node-gyp/bin/node-gyp.js rebuild` in the package folder"
  );
}

const PROBE = `
const binding = process.argv[1];
const tf = require(binding);
const be = tf.backend();
process.stdout.write(JSON.stringify({ backend: tf.getBackend(), version: be.binding.TF_Version, gpu: be.isUsingGpuDevice }));
`;

/** Load the addon in a fresh process (a crash there cannot take this one down). */
export function probeAddon(
  binding: string,
): { ok: true; version: string; gpu: boolean } | { ok: false; reason: string } {
  const r = spawnSync(process.execPath, ["-e", PROBE, binding], {
    encoding: "utf8",
    cwd: repoRoot(),
    timeout: 120_000,
    // TensorFlow's start-up lines (oneDNN, CUDA probing) are not news here
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" },
  });
  try {
    if (r.status === 0) {
      const out = JSON.parse(r.stdout.trim()) as { backend: string; version: string; gpu: boolean };
      if (out.backend === "tensorflow") return { ok: true, version: out.version, gpu: out.gpu };
      return { ok: false, reason: `it registered backend "${out.backend}"` };
    }
  } catch {
    // fall through to the process's own words
  }
  const why = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`)
    .split("\n")
    .map((l) => l.trim())
    .find((l) => /Error|error:/.test(l));
  return { ok: false, reason: why ?? `exit ${r.status ?? r.signal}` };
}

/** Free bytes on the disk of `dir` (or its nearest existing parent); undefined when the system cannot say. */
export function freeBytes(dir: string): number | undefined {
  try {
    let at = dir;
    while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
    const s = fs.statfsSync(at);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}
