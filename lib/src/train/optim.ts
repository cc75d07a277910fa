/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter), matching torch.optim.AdamW:
 *   p <- p * (1 - lr * wd)
 *   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
 *   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * tfjs's own Adam couples weight decay into the gradient (L2), hence this implementation.
 *
 * Also: the linear schedule of transformers' get_linear_schedule_with_warmup and global-norm
 * clipping as torch.nn.utils.clip_grad_norm_ (coef = max / (norm + 1e-6), applied if < 1).
 */
import * as tf from "@tensorflow/tfjs";
import { readFloat32, sumOfSquares } from "../ops/read";
import { adamStepScalars, applyAdam, nativeKernelBackend, NativeVariable } from "../ops/native-adam";

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /**
   * Keep the moments m, v as JavaScript Float32Arrays and do the update in JS instead of with
   * tensor ops. Default: true on the "wasm" and "cpu" backends. On wasm this keeps 2/3 of the
   * optimizer-related memory out of the WebAssembly heap, whose usable size (2 GiB in
   * practice) is otherwise exceeded by bert-base training (params + m + v + grads); on cpu
   * it is simply fewer allocations. Both paths are tested against torch.optim.AdamW.
   */
  hostState?: boolean;
  /**
   * On the native backend ("tensorflow"), keep the weights and moments in TensorFlow variables and update each
   * parameter with one `ResourceApplyAdam` kernel (see ops/native-adam.ts). Default: true there; false elsewhere
   * (other backends cannot). Tested against torch.optim.AdamW like the other two.
   */
  fused?: boolean;
}

/** Where the moments live and how the update runs. */
export type AdamWState = "host" | "tensor" | "fused";

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly hostState: boolean;
  readonly state: AdamWState;
  /** Number of updates applied so far (t of the bias correction). */
  step = 0;
  /** Fused state: TensorFlow variables for each parameter's weights, m and v, and the tfjs tensor last synced. */
  private readonly native = new Map<
    string,
    { p: NativeVariable; m: NativeVariable; v: NativeVariable; synced?: unknown }
  >();
  private readonly mT = new Map<string, tf.Variable>();
  private readonly vT = new Map<string, tf.Variable>();
  private readonly mH = new Map<string, Float32Array>();
  private readonly vH = new Map<string, Float32Array>();

  constructor(
    readonly params: Map<string, tf.Variable>,
    opts: AdamWOptions,
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    const be = nativeKernelBackend();
    if (opts.fused && !be) throw new Error("internal: fused AdamW needs the native backend");
    this.state =
      (opts.fused ?? (be !== undefined && opts.hostState === undefined))
        ? "fused"
        : (opts.hostState ?? ["wasm", "cpu"].includes(tf.getBackend()))
          ? "host"
          : "tensor";
    this.hostState = this.state === "host";
    for (const [name, p] of params) {
      if (this.state === "fused") {
        const zeros = tf.zerosLike(p);
        this.native.set(name, {
          p: new NativeVariable(be!, p.shape, p),
          m: new NativeVariable(be!, p.shape, zeros),
          v: new NativeVariable(be!, p.shape, zeros),
        });
        zeros.dispose();
      } else if (this.hostState) {
        this.mH.set(name, new Float32Array(p.size));
        this.vH.set(name, new Float32Array(p.size));
      } else {
        this.mT.set(
          name,
          tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
        );
        this.vT.set(
          name,
          tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
        );
      }
    }
  }

  /** First and second moment of one parameter (copies). */
  async getState(name: string): Promise<{ m: Float32Array; v: Float32Array }> {
    const n = this.native.get(name);
    if (n) {
      const [m, v] = [n.m.read(), n.v.read()];
      try {
        return { m: await readFloat32(m), v: await readFloat32(v) };
      } finally {
        tf.dispose([m, v]);
      }
    }
    if (this.hostState) return { m: this.mH.get(name)!.slice(), v: this.vH.get(name)!.slice() };
    return { m: await readFloat32(this.mT.get(name)!), v: await readFloat32(this.vT.get(name)!) };
  }

  setState(name: string, m: Float32Array, v: Float32Array): void {
    const n = this.native.get(name);
    if (n) {
      const shape = this.params.get(name)!.shape;
      tf.tidy(() => {
        n.m.assign(tf.tensor(m, shape, "float32"));
        n.v.assign(tf.tensor(v, shape, "float32"));
      });
      return;
    }
    if (this.hostState) {
      this.mH.get(name)!.set(m);
      this.vH.get(name)!.set(v);
    } else {
      const shape = this.params.get(name)!.shape;
      tf.tidy(() => {
        this.mT.get(name)!.assign(tf.tensor(m, shape, "float32"));
        this.vT.get(name)!.assign(tf.tensor(v, shape, "float32"));
      });
    }
  }

  /**
   * Apply one update with learning rate `lr` given gradients by parameter name, each
   * multiplied by `gradScale` (used for clipping without materialising clipped copies).
   * Intermediates are freed parameter by parameter, so the extra memory is one parameter's
   * worth, not the whole model's.
   */
  async apply(grads: Map<string, tf.Tensor>, lr: number, gradScale = 1): Promise<void> {
    this.step++;
    const t = this.step;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    const { beta1: b1, beta2: b2, eps } = this;
    const decay = 1 - lr * this.weightDecay;
    if (this.state === "fused") {
      this.applyFused(grads, lr, gradScale, decay);
      return;
    }
    for (const [name, p] of this.params) {
      const g0 = grads.get(name);
      if (!g0) continue;
      if (this.hostState) {
        const [g, old] = await Promise.all([readFloat32(g0), readFloat32(p)]);
        const m = this.mH.get(name)!;
        const v = this.vH.get(name)!;
        const next = new Float32Array(old.length);
        for (let i = 0; i < next.length; i++) {
          const gi = g[i] * gradScale;
          const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
          const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
          next[i] = old[i] * decay - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
        }
        const nt = tf.tensor(next, p.shape, "float32");
        p.assign(nt);
        nt.dispose();
        continue;
      }
      tf.tidy(() => {
        const g = gradScale === 1 ? g0 : tf.mul(g0, gradScale);
        const m = this.mT.get(name)!;
        const v = this.vT.get(name)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        const base: tf.Tensor = this.weightDecay !== 0 ? tf.mul(p, decay) : p;
        const upd = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        p.assign(tf.sub(base, tf.mul(upd, lr)));
      });
    }
  }

  /** One `ResourceApplyAdam` per parameter; the tfjs variables then read the updated weights. */
  private applyFused(grads: Map<string, tf.Tensor>, lr: number, gradScale: number, decay: number): void {
    const be = nativeKernelBackend();
    if (!be) throw new Error("internal: fused AdamW state, but the native backend is no longer active");
    const scalars = adamStepScalars(this.step, lr, this.beta1, this.beta2, this.eps);
    try {
      for (const [name, p] of this.params) {
        const g0 = grads.get(name);
        if (!g0) continue;
        const n = this.native.get(name)!;
        tf.tidy(() => {
          // the weights were set from elsewhere (a restored checkpoint, `assign`) since the last update
          if (n.synced !== (p as unknown as { dataId: unknown }).dataId) n.p.assign(p);
          if (this.weightDecay !== 0) n.p.assign(tf.mul(n.p.read(), decay));
          applyAdam(be, n.p, n.m, n.v, scalars, gradScale === 1 ? g0 : tf.mul(g0, gradScale));
          p.assign(n.p.read());
        });
        n.synced = (p as unknown as { dataId: unknown }).dataId;
      }
    } finally {
      tf.dispose(Object.values(scalars));
    }
  }

  dispose(): void {
    for (const n of this.native.values()) for (const x of [n.p, n.m, n.v]) x.destroy();
    this.native.clear();
    for (const x of this.mT.values()) x.dispose();
    for (const x of this.vT.values()) x.dispose();
    this.mH.clear();
    this.vH.clear();
  }
}

/** LR multiplier after `step` completed updates (HF get_linear_schedule_with_warmup). */
export function linearScheduleFactor(step: number, totalSteps: number, warmupSteps = 0): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

/** Global L2 norm of all gradients (one read of the stacked per-tensor sums). */
export async function globalNorm(grads: Iterable<tf.Tensor>): Promise<number> {
  return Math.sqrt(await sumOfSquares(grads));
}

/** torch.nn.utils.clip_grad_norm_'s factor: max / (norm + 1e-6) when that is < 1, else 1. */
export function clipCoefficient(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return 1;
  const coef = maxNorm / (norm + 1e-6);
  return coef < 1 ? coef : 1;
}

/**
 * Clip gradients to global norm `maxNorm` (returns new tensors; the caller disposes the old
 * ones) and the norm before clipping.
 */
export async function clipByGlobalNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
): Promise<{ grads: Map<string, tf.Tensor>; norm: number }> {
  const norm = await globalNorm(grads.values());
  const coef = clipCoefficient(norm, maxNorm);
  const out = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) out.set(k, coef < 1 ? tf.mul(g, coef) : tf.clone(g));
  return { grads: out, norm };
}
