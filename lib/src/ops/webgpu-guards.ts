/**
 * Guards around tfjs-backend-webgpu 4.22 kernels that return wrong numbers without throwing.
 *
 * 1. `MatMulSplitKProgram` (chosen for a batch of one with an inner dimension of 2000 or more and few
 *    output tiles) ignores `transposeB` in its vec4 condition, so `matMul(x, W, false, true)` for the RE
 *    head's dense layer (K = 32,768) comes out wrong. Where split-K can be chosen, a transposed operand
 *    is transposed explicitly first and the product runs untransposed (which split-K gets right).
 * 2. A single sum over 2^25 or more elements returns a wrong total (2^25 ones sum to 131,070 on
 *    llvmpipe), while sums over up to 2^24 elements per output are exact. Larger sums and means are
 *    done in two stages of at most 2^22 elements each.
 * 3. A buffer bound past the adapter's `maxStorageBufferBindingSize` fails Dawn's validation and the
 *    kernel's output keeps stale data, without an exception. Every kernel's inputs and outputs are
 *    checked against that limit and a clear error names the kernel, the shape and the limit.
 *
 * The fix for 1 and 2 belongs upstream (tfjs-backend-webgpu); see docs/webgpu.md for minimal repros.
 * Installed by `installWebGpuGuards` once, when the backend is set up.
 */
import * as tf from "@tensorflow/tfjs";
import { AdeflowError } from "../errors";

/** tfjs picks split-K only at or above this inner dimension. */
export const SPLIT_K_MIN_INNER = 2000;
/** Largest reduction handed to one webgpu reduce kernel. */
export const MAX_SINGLE_REDUCTION = 2 ** 24;
/** Chunk length of a two-stage reduction. */
const REDUCTION_CHUNK = 2 ** 22;

type Info = tf.TensorInfo;
type Backend = any;
type KernelFunc = (args: {
  inputs: Record<string, Info>;
  backend: Backend;
  attrs?: Record<string, unknown>;
}) => Info | Info[];

const installedFor = new Set<string>();
let enabled = true;

/**
 * Turn the guards off (and on again) without unregistering them: only for tests that show what the
 * unguarded kernels return.
 */
export function setWebGpuGuardsEnabled(on: boolean): void {
  enabled = on;
}

function kernel(name: string, backendName: string): KernelFunc {
  const k = tf.getKernel(name, backendName);
  if (!k) throw new AdeflowError(`the ${backendName} backend has no ${name} kernel`);
  return k.kernelFunc as unknown as KernelFunc;
}

const bytesPerElement = (dtype: string) => (dtype === "complex64" ? 8 : 4);
const shapeSize = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Throws when a tensor would be bound past the adapter's storage-buffer binding limit. */
export function checkBindingSize(kernelName: string, role: string, t: Info, limitBytes: number): void {
  const bytes = shapeSize(t.shape) * bytesPerElement(t.dtype);
  if (bytes > limitBytes) {
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    throw new AdeflowError(
      `WebGPU: ${kernelName} ${role} of shape [${t.shape.join(", ")}] (${t.dtype}, ${mib(bytes)}) exceeds this adapter's ` +
        `maxStorageBufferBindingSize of ${mib(limitBytes)}; the kernel would return stale data. ` +
        `Use smaller batches, or a backend without this limit (ADEFLOW_BACKEND=wasm or tensorflow)`,
    );
  }
}

/** The same product with every transposed operand transposed explicitly, where split-K may run. */
function guardedMatMul(original: KernelFunc, backendName: string): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs;
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!enabled || (!attrs.transposeA && !attrs.transposeB)) return original(args);
    const inner = attrs.transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
    const batch = Math.max(shapeSize(a.shape.slice(0, -2)), shapeSize(b.shape.slice(0, -2)));
    if (batch !== 1 || inner < SPLIT_K_MIN_INNER) return original(args);
    const transpose = kernel("Transpose", backendName);
    const swapLast = (t: Info) => {
      const perm = t.shape.map((_, i) => i);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
      return transpose({ inputs: { x: t }, backend: args.backend, attrs: { perm } }) as Info;
    };
    const made: Info[] = [];
    const aa = attrs.transposeA ? (made.push(swapLast(a)), made[made.length - 1]) : a;
    const bb = attrs.transposeB ? (made.push(swapLast(b)), made[made.length - 1]) : b;
    try {
      return original({
        ...args,
        inputs: { ...args.inputs, a: aa, b: bb },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of made) args.backend.disposeData(t.dataId);
    }
  };
}

/** Sum (or mean) over more than MAX_SINGLE_REDUCTION elements per output, in two stages. */
function guardedReduction(original: KernelFunc, backendName: string, mean: boolean): KernelFunc {
  return (args) => {
    const { x } = args.inputs;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const inSize = shapeSize(axes.map((a) => x.shape[a]));
    if (!enabled || inSize <= MAX_SINGLE_REDUCTION || x.dtype === "bool") return original(args);
    const be = args.backend;
    const made: Info[] = [];
    const keep = (t: Info) => (made.push(t), t);
    try {
      const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const perm = [...kept, ...axes];
      const permuted = perm.some((p, i) => p !== i)
        ? keep(kernel("Transpose", backendName)({ inputs: { x }, backend: be, attrs: { perm } }) as Info)
        : x;
      const outSize = shapeSize(kept.map((i) => x.shape[i]));
      const reshape = kernel("Reshape", backendName);
      const flat = keep(reshape({ inputs: { x: permuted }, backend: be, attrs: { shape: [outSize, inSize] } }) as Info);
      const chunks = Math.ceil(inSize / REDUCTION_CHUNK);
      const padded =
        chunks * REDUCTION_CHUNK === inSize
          ? flat
          : keep(
              kernel(
                "PadV2",
                backendName,
              )({
                inputs: { x: flat },
                backend: be,
                attrs: {
                  paddings: [
                    [0, 0],
                    [0, chunks * REDUCTION_CHUNK - inSize],
                  ],
                  constantValue: 0,
                },
              }) as Info,
            );
      const blocks = keep(
        reshape({ inputs: { x: padded }, backend: be, attrs: { shape: [outSize, chunks, REDUCTION_CHUNK] } }) as Info,
      );
      const sum = kernel("Sum", backendName);
      const partial = keep(sum({ inputs: { x: blocks }, backend: be, attrs: { axis: [2], keepDims: false } }) as Info);
      let total = keep(sum({ inputs: { x: partial }, backend: be, attrs: { axis: [1], keepDims: false } }) as Info);
      if (mean) {
        const n = keep(be.makeTensorInfo([], "float32", new Float32Array([inSize])) as Info);
        total = keep(kernel("RealDiv", backendName)({ inputs: { a: total, b: n }, backend: be }) as Info);
      }
      const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((i) => x.shape[i]);
      return reshape({ inputs: { x: total }, backend: be, attrs: { shape: outShape } }) as Info;
    } finally {
      for (const t of made) be.disposeData(t.dataId);
    }
  };
}

/** Every kernel's inputs checked before it runs, its outputs after (a failed binding throws nothing). */
function checkedKernel(name: string, inner: KernelFunc, limitBytes: number): KernelFunc {
  return (args) => {
    if (!enabled) return inner(args);
    for (const [role, t] of Object.entries(args.inputs))
      if (t && (t as Info).shape) checkBindingSize(name, `input ${role}`, t as Info, limitBytes);
    const out = inner(args);
    for (const t of Array.isArray(out) ? out : [out]) {
      try {
        checkBindingSize(name, "output", t, limitBytes);
      } catch (e) {
        for (const o of Array.isArray(out) ? out : [out]) args.backend.disposeData(o.dataId);
        throw e;
      }
    }
    return out;
  };
}

/** Wrap the webgpu backend's kernels once (see the module comment); `bindingLimitBytes` is the adapter's. */
export function installWebGpuGuards(bindingLimitBytes: number, backendName = "webgpu"): void {
  if (installedFor.has(backendName)) return;
  installedFor.add(backendName);
  for (const config of tf.getKernelsForBackend(backendName)) {
    const original = config.kernelFunc as unknown as KernelFunc;
    let guarded = original;
    if (config.kernelName === "BatchMatMul" || config.kernelName === "_FusedMatMul")
      guarded = guardedMatMul(original, backendName);
    if (config.kernelName === "Sum") guarded = guardedReduction(original, backendName, false);
    if (config.kernelName === "Mean") guarded = guardedReduction(original, backendName, true);
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: checkedKernel(config.kernelName, guarded, bindingLimitBytes) as unknown as tf.KernelFunc,
    });
  }
}
