/**
 * WebGPU for TensorFlow.js in Node, through Dawn (the npm package `webgpu`), set up in this one place.
 *
 * - `webgpu` is an ES module, so it is loaded with `import()`; its globals (`GPUBufferUsage`, ...) and
 *   `navigator.gpu` must exist before `@tensorflow/tfjs-backend-webgpu` is required, because that module
 *   checks `navigator.gpu` when it loads.
 * - Dawn's default backend is tried first (Vulkan on Linux, Metal on macOS, D3D12 on Windows), then its
 *   OpenGL backend in compatibility mode (the only one that gives an adapter on Mesa's llvmpipe; EGL runs
 *   surfaceless, without a display).
 * - A CPU adapter (llvmpipe, lavapipe, SwiftShader) is never taken unless asked for (`allowCpuAdapter`):
 *   it is 10-19x slower than WebAssembly and is only good as a correctness harness.
 * - The device is requested with the adapter's own storage-buffer and uniform limits: with tfjs's
 *   defaults some kernels (a concat of many inputs, for one) bind more buffers than the default device
 *   allows, and Dawn then fails validation and the kernel returns stale data without throwing.
 */
import { defaultSetting } from "./settings";
import * as tf from "@tensorflow/tfjs";
import { pathToFileURL } from "node:url";
import { installWebGpuGuards } from "./ops/webgpu-guards";

/** What every notebook and command prints beside the backend. */
export interface WebGpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Dawn backend that gave the adapter: "default" (Vulkan / Metal / D3D12) or "opengl". */
  dawnBackend: "default" | "opengl";
  /** A software rasteriser on the CPU (llvmpipe, lavapipe, SwiftShader). */
  isCpu: boolean;
  /** The device limits that bound the size of one tensor and one reduction. */
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxStorageBuffersPerShaderStage: number };
}

export type WebGpuSetup = { ok: true; adapter: WebGpuAdapter } | { ok: false; reason: string };

/** Device limits tfjs needs raised to the adapter's (its own list, plus the two whose defaults break kernels). */
const LIMITS_TO_REQUEST = [
  "maxComputeWorkgroupStorageSize",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupSizeX",
  "maxComputeInvocationsPerWorkgroup",
  "maxStorageBuffersPerShaderStage",
  "maxUniformBufferBindingSize",
] as const;

const CPU_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

/** A one-line name of the adapter, e.g. "nvidia ampere (NVIDIA GeForce RTX 3080) via Vulkan". */
export function describeAdapter(a: WebGpuAdapter): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(" ") || a.device || "unknown adapter";
  const detail = [a.device !== name ? a.device : "", a.description].filter(Boolean).join("; ");
  const via = a.dawnBackend === "opengl" ? "Dawn OpenGL (compatibility)" : "Dawn default backend";
  return `${name}${detail ? ` (${detail})` : ""} via ${via}${a.isCpu ? ", a CPU rasteriser" : ""}`;
}

type Any = any;

interface DawnModule {
  create(options: string[]): Any;
  globals: Record<string, unknown>;
}

let dawn: Promise<DawnModule> | undefined;
let active: WebGpuAdapter | undefined;

/** The adapter the registered "webgpu" backend runs on, once `setupWebGpu` succeeded. */
export function activeWebGpuAdapter(): WebGpuAdapter | undefined {
  return active;
}

function loadDawn(): Promise<DawnModule> {
  // import() of a file URL: the package is ESM-only and this library is CommonJS
  dawn ??= import(pathToFileURL(require.resolve("webgpu")).href) as Promise<DawnModule>;
  return dawn;
}

function adapterOf(adapter: Any, dawnBackend: WebGpuAdapter["dawnBackend"]): WebGpuAdapter {
  const info = adapter.info ?? {};
  const text = (k: string) => String(info[k] ?? "");
  const isCpu =
    Boolean(info.isFallbackAdapter) ||
    CPU_ADAPTER.test([text("vendor"), text("architecture"), text("device"), text("description")].join(" "));
  return {
    vendor: text("vendor"),
    architecture: text("architecture"),
    device: text("device"),
    description: text("description"),
    dawnBackend,
    isCpu,
    limits: {
      maxStorageBufferBindingSize: Number(adapter.limits.maxStorageBufferBindingSize),
      maxBufferSize: Number(adapter.limits.maxBufferSize),
      maxStorageBuffersPerShaderStage: Number(adapter.limits.maxStorageBuffersPerShaderStage),
    },
  };
}

/**
 * Find an adapter and register tfjs's "webgpu" backend on it (does not switch to it).
 * Returns why not when no acceptable adapter exists.
 */
export async function setupWebGpu(opts: { allowCpuAdapter: boolean }): Promise<WebGpuSetup> {
  if (active && (opts.allowCpuAdapter || !active.isCpu)) return { ok: true, adapter: active };
  // EGL without a display (a server, CI); a user's own setting wins
  defaultSetting("EGL_PLATFORM", "surfaceless");
  let mod: DawnModule;
  try {
    mod = await loadDawn();
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0];
    return {
      ok: false,
      reason: /Cannot find (module|package)/.test(msg)
        ? "webgpu (Dawn) not installed"
        : `webgpu (Dawn) failed to load (${msg})`,
    };
  }
  const tried: string[] = [];
  const attempts: { dawnBackend: WebGpuAdapter["dawnBackend"]; flags: string[]; request: Record<string, unknown> }[] = [
    { dawnBackend: "default", flags: [], request: { powerPreference: "high-performance" } },
    {
      dawnBackend: "opengl",
      flags: ["backend=opengl"],
      request: { powerPreference: "high-performance", featureLevel: "compatibility" },
    },
  ];
  for (const attempt of attempts) {
    let gpu: Any;
    let adapter: Any;
    try {
      gpu = mod.create(attempt.flags);
      adapter = await gpu.requestAdapter(attempt.request);
    } catch (e) {
      tried.push(`${attempt.dawnBackend}: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    if (!adapter) {
      tried.push(`${attempt.dawnBackend}: no adapter`);
      continue;
    }
    const described = adapterOf(adapter, attempt.dawnBackend);
    if (described.isCpu && !opts.allowCpuAdapter) {
      tried.push(
        `${attempt.dawnBackend}: only a CPU adapter (${described.device || described.description}), not chosen automatically; ADEFLOW_BACKEND=webgpu forces it`,
      );
      continue;
    }
    await registerOn(mod, gpu, adapter);
    active = described;
    return { ok: true, adapter: described };
  }
  return { ok: false, reason: `no WebGPU adapter (${tried.join("; ")})` };
}

async function registerOn(mod: DawnModule, gpu: Any, adapter: Any): Promise<void> {
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Any)[k] = v;
  const g = globalThis as Any;
  if (!g.navigator) g.navigator = {};
  if (!g.navigator.gpu) Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const backendModule = require("@tensorflow/tfjs-backend-webgpu") as {
    WebGPUBackend: new (device: Any, info: Any) => tf.KernelBackend;
  };
  installWebGpuGuards(Number(adapter.limits.maxStorageBufferBindingSize));
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS_TO_REQUEST) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures = ["timestamp-query"].filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const backend = new backendModule.WebGPUBackend(device, adapter.info);
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", () => backend, 3);
}
