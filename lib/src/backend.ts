/**
 * Picks the fastest TensorFlow.js backend that loads here, in this order:
 *   1. `@tensorflow/tfjs-node-gpu`  (native libtensorflow with CUDA)  -> backend "tensorflow"
 *   2. `@tensorflow/tfjs-backend-webgpu` on a real GPU through Dawn (`webgpu`; see webgpu.ts)
 *                                                                       -> backend "webgpu"
 *   3. `@tensorflow/tfjs-node`      (native libtensorflow, CPU)       -> backend "tensorflow"
 *   4. `@tensorflow/tfjs-backend-wasm` (WebAssembly, SIMD; threads only where the runtime
 *      supports them — in Node the WASM backend runs single-threaded)  -> backend "wasm"
 *   5. pure JavaScript                                                 -> backend "cpu"
 *
 * Force one with env ADEFLOW_BACKEND=tensorflow|webgpu|wasm|cpu (or `initBackend({ force })`); a
 * forced backend that cannot load is an error, not a silent fallback. A CPU WebGPU adapter
 * (llvmpipe, lavapipe, SwiftShader) is used only when webgpu is forced.
 *
 * Adding the native backend: on a machine with internet run `npm install @tensorflow/tfjs-node`
 * (or `@tensorflow/tfjs-node-gpu` with CUDA); its install script downloads libtensorflow and
 * the root package.json already allows that script. Nothing else changes: initBackend picks it
 * up. (In this repository `@tensorflow/tfjs-node` resolves to an alias of plain tfjs that npm
 * installs for danfojs-node (package.json `overrides`); its package.json names `@tensorflow/tfjs`, so it is
 * reported as not installed and skipped.)
 *
 * Kernel gaps: tfjs-backend-wasm 4.22 has no `UnsortedSegmentSum` kernel, which the gradient
 * of `tf.gather` (embedding lookup) needs, and the cpu backend's one is O(vocab x tokens).
 * `registerFastSegmentSum` installs a linear-time JavaScript scatter-add for both (cost
 * measured by `adeflow bench`: the wasm one reads the gradient out of the wasm heap and writes
 * the result back).
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { AdeflowError } from "./errors";
import { defaultSetting, setting } from "./settings";
import { describeAdapter, setupWebGpu, type WebGpuAdapter } from "./webgpu";

export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";

export const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

export interface BackendInfo {
  /** tfjs backend name now active. */
  name: BackendName;
  /** npm package that provides it. */
  package: string;
  /** Why this one was chosen (and why faster ones were not). */
  why: string;
  /** Threads used by the backend, where known. */
  threads?: number;
  /** The WebGPU adapter (vendor, architecture, description), on the webgpu backend. */
  adapter?: WebGpuAdapter;
  /** TensorFlow's version, on the native backend. */
  tensorflow?: string;
  /** Whether the native backend computes on a GPU. */
  gpuDevice?: boolean;
  /** One line to print. */
  description: string;
}

const NATIVE = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;
type NativePackage = (typeof NATIVE)[number];

/** The folder of an installed npm package, or undefined when it is not installed. */
export function packageDir(name: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/**
 * Where a tfjs-node package's loader looks for its compiled addon: `lib/napi-v<N>/tfjs_binding.node`, N the
 * newest N-API version that both the package and this Node support (what `@mapbox/node-pre-gyp` computes).
 */
export function addonPath(pkgDir: string, nodeNapi: number = Number(process.versions.napi)): string {
  const file = path.join(pkgDir, "package.json");
  const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as {
    binary?: { module_path?: string; module_name?: string; napi_versions?: number[] };
  };
  const versions = (pkg.binary?.napi_versions ?? []).filter((v) => v <= nodeNapi);
  if (!versions.length) throw new AdeflowError(`${file}: no N-API version that this Node (N-API ${nodeNapi}) runs`);
  const modulePath = (pkg.binary?.module_path ?? "./lib/napi-v{napi_build_version}").replace(
    "{napi_build_version}",
    String(Math.max(...versions)),
  );
  return path.join(pkgDir, modulePath, `${pkg.binary?.module_name ?? "tfjs_binding"}.node`);
}

/**
 * Why `pkg`, installed under the package name `resolvedName`, is not a native backend, or undefined when it may
 * be one: a name that resolves to plain tfjs is not native; an alias of the other native package (tfjs-node named
 * for tfjs-node-gpu) is.
 */
export function nativeAliasProblem(pkg: string, resolvedName: string | undefined): string | undefined {
  if (resolvedName && resolvedName !== pkg && !(NATIVE as readonly string[]).includes(resolvedName))
    return `${pkg} not installed (the name is an alias of ${resolvedName})`;
  return undefined;
}

/**
 * Why a native package cannot be loaded, checked without loading it: requiring a package whose addon is missing
 * registers its kernels for "tensorflow" and then throws, which leaves the other native package's kernels
 * registered twice over a backend that never came.
 */
export function nativeProblem(pkg: string): string | undefined {
  const dir = packageDir(pkg);
  if (!dir) return `${pkg} not installed`;
  const name = (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string }).name;
  const alias = nativeAliasProblem(pkg, name);
  if (alias) return alias;
  if (!fs.existsSync(addonPath(dir)))
    return `${pkg} not built (\`npm run setup\` builds it from PyPI's TensorFlow wheel; see ADEFLOW_NATIVE)`;
  return undefined;
}

/** What the loaded addon says of itself. */
interface NativeBinding {
  TF_Version: string;
  isUsingGpuDevice(): boolean;
}

let loadedNative: NativePackage | undefined;

/** Load a native package (once per process: two would register the same kernels twice). */
function loadNative(pkg: NativePackage): string | undefined {
  if (loadedNative) return loadedNative === pkg ? undefined : `${pkg} not loaded (${loadedNative} already is)`;
  const problem = nativeProblem(pkg);
  if (problem) return problem;
  try {
    // an optional native package: only a runtime require can load it
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(pkg);
  } catch (e) {
    return `${pkg} failed to load (${(e as Error).message.split("\n")[0]})`;
  }
  if (!tf.findBackendFactory("tensorflow")) return `${pkg} loaded but registered no "tensorflow" backend`;
  loadedNative = pkg;
  return undefined;
}

function nativeBinding(): NativeBinding | undefined {
  const backend = tf.findBackend("tensorflow") as unknown as { binding?: NativeBinding } | null;
  return backend?.binding;
}

/** TensorFlow's intra-op threads: TF_NUM_INTRAOP_THREADS, else one per CPU TensorFlow may use. */
export function tensorflowThreads(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number.parseInt(setting("TF_NUM_INTRAOP_THREADS", env) ?? "", 10);
  return set > 0 ? set : os.availableParallelism();
}

/** Scatter-add rows of x into numSegments rows (the gradient of an embedding lookup). */
function segmentSum(xs: ArrayLike<number>, seg: ArrayLike<number>, inner: number, numSegments: number): Float32Array {
  const o = new Float32Array(numSegments * inner);
  for (let i = 0; i < seg.length; i++) {
    const s = seg[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return o;
}

const fastKernelsFor = new Set<string>();

/**
 * Register a linear-time JS `UnsortedSegmentSum` for `backendName` ("wasm" or "cpu"):
 * wasm has none (training would fail), and the tfjs cpu kernel loops over all segments
 * (O(vocab x tokens): ~5 s per step for a 3k vocabulary, far worse for bert-base's 29k).
 * Idempotent.
 */
export function registerFastSegmentSum(backendName: "wasm" | "cpu"): void {
  if (fastKernelsFor.has(backendName)) return;
  fastKernelsFor.add(backendName);
  if (tf.getKernel("UnsortedSegmentSum", backendName)) tf.unregisterKernel("UnsortedSegmentSum", backendName);
  tf.registerKernel({
    kernelName: "UnsortedSegmentSum",
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const be = backend as any;
      const x = inputs.x as tf.TensorInfo;
      const ids = inputs.segmentIds as tf.TensorInfo;
      const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
      const xs = be.readSync(x.dataId) as Float32Array;
      const seg = be.readSync(ids.dataId) as Int32Array;
      const inner = x.shape.slice(ids.shape.length).reduce((a: number, b: number) => a * b, 1);
      const outShape = [numSegments, ...x.shape.slice(ids.shape.length)];
      const values = segmentSum(xs, seg, inner, numSegments);
      if (backendName === "cpu") return be.makeTensorInfo(outShape, x.dtype, values) as tf.TensorInfo;
      const out = be.makeOutput(outShape, x.dtype) as tf.TensorInfo;
      (be.typedArrayFromHeap(out) as Float32Array).set(values);
      return out;
    },
  });
}

/**
 * Runs `init` and then removes the `uncaughtException` and `unhandledRejection` listeners it added. The
 * WebAssembly backend's Emscripten glue adds two that rethrow whatever reaches them, and a rethrow inside such a
 * listener ends Node with exit status 7. In a Jupyter kernel that turned one harmless uncaught error of tslab's
 * (its ZeroMQ socket refusing a status message while a stream message was being sent: "Socket is busy writing",
 * EBUSY) into a dead kernel, in the middle of notebook 04's training. Without them, the process's own handlers
 * decide (tslab prints the error in the cell and goes on; a plain Node process still stops on it).
 */
export async function withoutRethrowingHandlers<T>(init: () => Promise<T>): Promise<T> {
  // the two events have different listener types; as plain functions they compare and remove the same way
  type Listener = (...args: unknown[]) => void;
  const listeners = (e: string) => process.listeners(e as "uncaughtException") as unknown as Listener[];
  const events = ["uncaughtException", "unhandledRejection"];
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  try {
    return await init();
  } finally {
    for (const e of events)
      for (const listener of listeners(e)) if (!before.get(e)!.has(listener)) process.removeListener(e, listener);
  }
}

async function useWasm(): Promise<{ ok: true; threads: number; simd: boolean } | { ok: false; reason: string }> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
    wasm.setThreadsCount(os.cpus().length);
    if (!(await withoutRethrowingHandlers(() => tf.setBackend("wasm"))))
      return { ok: false, reason: "wasm backend failed to initialise" };
    registerFastSegmentSum("wasm");
    const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    return { ok: true, threads: wasm.getThreadsCount(), simd };
  } catch (e) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm failed (${(e as Error).message.split("\n")[0]})` };
  }
}

function info(name: BackendName, pkg: string, why: string, threads?: number, adapter?: WebGpuAdapter): BackendInfo {
  const t = threads === undefined ? "" : `, ${threads} thread${threads === 1 ? "" : "s"}`;
  const a = adapter ? `, adapter: ${describeAdapter(adapter)}` : "";
  return {
    name,
    package: pkg,
    why,
    threads,
    adapter,
    description: `TensorFlow.js backend: ${name} (${pkg}${t}${a}) — ${why}`,
  };
}

async function useWebGpu(
  forced: boolean,
): Promise<{ ok: true; adapter: WebGpuAdapter } | { ok: false; reason: string }> {
  const setup = await setupWebGpu({ allowCpuAdapter: forced });
  if (!setup.ok) return setup;
  if (!(await tf.setBackend("webgpu"))) return { ok: false, reason: "webgpu backend failed to initialise" };
  return setup;
}

/**
 * WebGPU on a real GPU, with a native backend in mind. Dawn's OpenGL attempt loads Mesa's llvmpipe, whose LLVM
 * crashes TensorFlow's library when both live in one process (a segmentation fault at TensorFlow's first op,
 * reproduced here). So where a native backend is built, the adapters are asked in a child process first, and
 * Dawn is loaded here only when a real GPU answered.
 */
async function useWebGpuBesideNative(): Promise<Awaited<ReturnType<typeof useWebGpu>>> {
  if (NATIVE.every((pkg) => nativeProblem(pkg) !== undefined)) return useWebGpu(false);
  const probe = probeWebGpuInChild();
  if (!probe.ok) return probe;
  return useWebGpu(false);
}

function probeWebGpuInChild(): { ok: true } | { ok: false; reason: string } {
  const script = `require(${JSON.stringify(path.join(__dirname, "webgpu.js"))}).setupWebGpu({ allowCpuAdapter: false })
    .then((r) => process.stdout.write(JSON.stringify(r.ok ? { ok: true } : r)), (e) => process.stdout.write(JSON.stringify({ ok: false, reason: String(e) })))`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
  try {
    return JSON.parse(r.stdout.trim()) as { ok: true } | { ok: false; reason: string };
  } catch {
    return { ok: false, reason: `the WebGPU probe ended with ${r.signal ?? `exit ${r.status}`}` };
  }
}

/** Choose and activate a backend (see module comment). */
export async function initBackend(opts: { force?: string } = {}): Promise<BackendInfo> {
  const forced = (opts.force ?? setting("ADEFLOW_BACKEND") ?? "").trim().toLowerCase();
  if (forced && !["tensorflow", "native", "webgpu", "wasm", "cpu"].includes(forced)) {
    throw new AdeflowError(`ADEFLOW_BACKEND=${forced} is not one of ${BACKEND_NAMES.join(", ")}`);
  }
  const skipped: string[] = [];
  // a native package loads once per process: the GPU build first, and, loaded without a GPU device, it is the
  // CPU's native backend too (after a real GPU through WebGPU)
  const native = async (pkg: NativePackage, needGpu: boolean): Promise<BackendInfo | undefined> => {
    // TensorFlow's own pooling allocator: with the default one every freed tensor went back to the system and the
    // next one page-faulted its memory in again, a third of a MiniLM training step in system time (measured:
    // 1,007 -> 683 ms forward + backward). Read by TensorFlow when it first allocates.
    defaultSetting("TF_CPU_ALLOCATOR_USE_BFC", "true");
    const problem = loadNative(pkg);
    if (problem) {
      if (!skipped.includes(problem)) skipped.push(problem);
      return undefined;
    }
    const binding = nativeBinding();
    const gpu = Boolean(binding?.isUsingGpuDevice());
    if (needGpu && !gpu) {
      const note = `${pkg} found no GPU device`;
      if (!skipped.includes(note)) skipped.push(note);
      return undefined;
    }
    await tf.setBackend("tensorflow");
    const version = binding ? `TensorFlow ${binding.TF_Version}` : "TensorFlow";
    const device = gpu ? "on the GPU" : `${tensorflowThreads()} CPU threads`;
    const why = forced ? "forced by ADEFLOW_BACKEND" : gpu ? "native, on a GPU" : "native (fastest on a CPU)";
    const found = info("tensorflow", pkg, `${why}${skipped.length ? ` (${skipped.join("; ")})` : ""}`);
    found.tensorflow = binding?.TF_Version;
    found.gpuDevice = gpu;
    found.threads = gpu ? undefined : tensorflowThreads();
    found.description = `TensorFlow.js backend: tensorflow (${pkg}, ${version}, ${device}) — ${found.why}`;
    return found;
  };
  const [nativeGpu, nativeCpu] = NATIVE;
  if (!forced) {
    const gpu = await native(nativeGpu, true);
    if (gpu) return gpu;
    const w = await useWebGpuBesideNative();
    if (w.ok)
      return info(
        "webgpu",
        "@tensorflow/tfjs-backend-webgpu",
        `a GPU through Dawn (${skipped.join("; ")})`,
        undefined,
        w.adapter,
      );
    skipped.push(w.reason);
    const cpu = (await native(nativeGpu, false)) ?? (await native(nativeCpu, false));
    if (cpu) return cpu;
  }
  if (forced === "tensorflow" || forced === "native") {
    for (const pkg of NATIVE) {
      const found = await native(pkg, false);
      if (found) return found;
    }
    throw new AdeflowError(
      `ADEFLOW_BACKEND=${forced} but no native backend loads: ${skipped.join("; ")}. \`npm run setup\` builds @tensorflow/tfjs-node from PyPI's TensorFlow wheel (Linux x86_64).`,
    );
  }
  if (forced === "webgpu") {
    const w = await useWebGpu(true);
    if (w.ok)
      return info(
        "webgpu",
        "@tensorflow/tfjs-backend-webgpu",
        `forced by ADEFLOW_BACKEND${w.adapter.isCpu ? "; a CPU adapter: a correctness harness, slower than wasm" : ""}`,
        undefined,
        w.adapter,
      );
    throw new AdeflowError(
      `ADEFLOW_BACKEND=webgpu but no WebGPU adapter can be had: ${w.reason}. See docs/webgpu.md for what Dawn needs.`,
    );
  }
  if (!forced || forced === "wasm") {
    const w = await useWasm();
    if (w.ok) {
      const why = forced ? "forced by ADEFLOW_BACKEND" : `fastest available (${skipped.join("; ")})`;
      return info("wasm", "@tensorflow/tfjs-backend-wasm", `${why}; SIMD ${w.simd ? "on" : "off"}`, w.threads);
    }
    if (forced) throw new AdeflowError(`ADEFLOW_BACKEND=wasm but it does not load: ${w.reason}`);
    skipped.push(w.reason);
  }
  await tf.setBackend("cpu");
  registerFastSegmentSum("cpu");
  return info(
    "cpu",
    "@tensorflow/tfjs-backend-cpu",
    forced ? "forced by ADEFLOW_BACKEND" : `fallback (${skipped.join("; ")})`,
    1,
  );
}
