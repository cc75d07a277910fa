/**
 * Training mechanics: gradient accumulation, global-norm clipping, AdamW, linear LR schedule
 * (optional warm-up), seeded dropout/shuffling with a recorded PRNG, NaN detection and
 * atomic checkpoint save/resume.
 *
 * Accumulation follows the HF Trainer: each micro-batch's gradient is scaled by
 * 1/accumulationSteps and summed; after `accumulationSteps` micro-batches (or `flush()` at the
 * end of an epoch) the sum is clipped to `maxGradNorm`, AdamW is applied with
 * lr * linearScheduleFactor(step) and the schedule advances.
 *
 * Checkpoint layout (`dir/`): `ckpt-<step>/params.safetensors`, `ckpt-<step>/optimizer.safetensors`
 * (m.<name>, v.<name>), `ckpt-<step>/state.json` (step, seed, rng state, options), and
 * `latest.json` naming the newest checkpoint. A checkpoint folder is written under a
 * temporary name and renamed, then latest.json is replaced atomically, so a crash leaves
 * the previous checkpoint usable.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { AdeflowError } from "../errors";
import { readSafetensors, writeSafetensors, type TensorMap } from "../io/safetensors";
import { writeFileAtomic } from "../io";
import { AdamW } from "./optim";
import { clipCoefficient, globalNorm, linearScheduleFactor } from "./optim";
import { Rng } from "../random/rng";

export interface TrainerOptions {
  /** Peak learning rate (study: 2e-4). */
  lr?: number;
  /** Total optimizer updates, for the linear decay to 0. */
  totalSteps: number;
  warmupSteps?: number;
  weightDecay?: number;
  /** Global-norm clip (study: 1.0); 0 or Infinity disables. */
  maxGradNorm?: number;
  /** Micro-batches per update (study: 4). */
  accumulationSteps?: number;
  /** Seed of dropout masks and shuffling (recorded in checkpoints). */
  seed?: number;
}

/** Computes the loss of one micro-batch; `dropoutSeed` must drive its dropout masks. */
export type LossFn = (dropoutSeed: number) => tf.Scalar;

export interface MicroResult {
  loss: number;
  /** True when this micro-batch completed an optimizer update. */
  updated: boolean;
  /** Learning rate used by that update. */
  lr?: number;
  /** Gradient norm before clipping, of that update. */
  gradNorm?: number;
}

export class Trainer {
  readonly opts: Required<TrainerOptions>;
  readonly optimizer: AdamW;
  rng: Rng;
  /** Micro-batches accumulated towards the next update. */
  pending = 0;
  microBatches = 0;
  private acc: Map<string, tf.Tensor> | null = null;

  constructor(readonly params: Map<string, tf.Variable>, opts: TrainerOptions) {
    this.opts = {
      lr: opts.lr ?? 2e-4,
      totalSteps: opts.totalSteps,
      warmupSteps: opts.warmupSteps ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      maxGradNorm: opts.maxGradNorm ?? 1.0,
      accumulationSteps: opts.accumulationSteps ?? 4,
      seed: opts.seed ?? 42,
    };
    this.optimizer = new AdamW(params, { lr: this.opts.lr, weightDecay: this.opts.weightDecay });
    this.rng = new Rng(this.opts.seed);
  }

  /** Completed optimizer updates. */
  get step(): number {
    return this.optimizer.step;
  }

  /** Learning rate the next update will use. */
  get currentLr(): number {
    return this.opts.lr * linearScheduleFactor(this.step, this.opts.totalSteps, this.opts.warmupSteps);
  }

  /** A seeded permutation of 0..n-1 (advances the recorded RNG). */
  shuffle(n: number): number[] {
    return this.rng.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Forward + backward of one micro-batch; applies an update every accumulationSteps. */
  microBatch(lossFn: LossFn): MicroResult {
    return this.microBatchGrads((dropoutSeed) => {
      const entries = [...this.params.entries()].filter(([, v]) => v.trainable);
      const { value, grads } = tf.variableGrads(() => lossFn(dropoutSeed), entries.map(([, v]) => v));
      const loss = value.dataSync()[0];
      value.dispose();
      const byName = new Map<string, tf.Tensor>();
      for (const [name, v] of entries) if (grads[v.name]) byName.set(name, grads[v.name]);
      return { loss, grads: byName };
    });
  }

  /**
   * Same as `microBatch` for a function that computes the loss and the gradients itself;
   * gradients are keyed by parameter name and become owned by the trainer.
   */
  microBatchGrads(fn: (dropoutSeed: number) => { loss: number; grads: Map<string, tf.Tensor> }): MicroResult {
    const dropoutSeed = this.rng.nextUint32();
    let result: { loss: number; grads: Map<string, tf.Tensor> };
    try {
      result = fn(dropoutSeed);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        throw new AdeflowError(
          `the WebAssembly backend failed at optimizer step ${this.step + 1} (${e.message}); this is usually its 4 GiB ` +
            `memory limit: use smaller micro-batches with more accumulation steps, ` +
            `or the native backend (npm install @tensorflow/tfjs-node)`,
        );
      }
      throw e;
    }
    const { loss, grads } = result;
    this.microBatches++;
    if (!Number.isFinite(loss)) {
      tf.dispose([...grads.values()]);
      this.discardPending();
      throw new AdeflowError(
        `training loss is ${loss} at optimizer step ${this.step + 1} (micro-batch ${this.microBatches}); ` +
          `lower the learning rate or check the inputs and labels of that batch`,
      );
    }
    const scale = 1 / this.opts.accumulationSteps;
    const acc = this.acc ?? new Map<string, tf.Tensor>();
    // Gradients are folded into the accumulator one by one and freed at once (memory: one
    // model-sized accumulator plus the gradients not yet folded).
    for (const [name, g] of grads) {
      if (!this.params.has(name)) {
        g.dispose();
        continue;
      }
      const prev = acc.get(name);
      if (!prev && scale === 1) {
        acc.set(name, g); // take ownership, no copy
        continue;
      }
      const next = tf.tidy(() => (prev ? tf.add(prev, tf.mul(g, scale)) : tf.mul(g, scale)));
      prev?.dispose();
      g.dispose();
      acc.set(name, next);
    }
    this.acc = acc;
    this.pending++;
    if (this.pending >= this.opts.accumulationSteps) return { loss, ...this.update() };
    return { loss, updated: false };
  }

  /** Apply a partial accumulation (end of epoch); no-op when nothing is pending. */
  flush(): { updated: boolean; lr?: number; gradNorm?: number } {
    return this.pending > 0 ? this.update() : { updated: false };
  }

  private discardPending(): void {
    if (this.acc) for (const g of this.acc.values()) g.dispose();
    this.acc = null;
    this.pending = 0;
  }

  private update(): { updated: boolean; lr: number; gradNorm: number } {
    const acc = this.acc!;
    const lr = this.currentLr;
    const gradNorm = globalNorm(acc.values());
    this.optimizer.apply(acc, lr, clipCoefficient(gradNorm, this.opts.maxGradNorm));
    this.discardPending();
    return { updated: true, lr, gradNorm };
  }

  /** Save an atomic checkpoint under `dir` (must be called between updates). Returns its folder. */
  save(dir: string, extra: Record<string, unknown> = {}): string {
    if (this.pending > 0) throw new AdeflowError(`cannot checkpoint in the middle of a gradient accumulation (${this.pending} micro-batches pending)`);
    fs.mkdirSync(dir, { recursive: true });
    const name = `ckpt-${this.step}`;
    const final = path.join(dir, name);
    const tmp = path.join(dir, `.${name}.tmp-${process.pid}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    const params: TensorMap = new Map();
    for (const [k, v] of this.params) params.set(k, { shape: v.shape.slice(), data: v.dataSync() as Float32Array });
    writeSafetensors(path.join(tmp, "params.safetensors"), params);
    const opt: TensorMap = new Map();
    for (const [k, p] of this.params) {
      const st = this.optimizer.getState(k);
      opt.set(`m.${k}`, { shape: p.shape.slice(), data: st.m });
      opt.set(`v.${k}`, { shape: p.shape.slice(), data: st.v });
    }
    writeSafetensors(path.join(tmp, "optimizer.safetensors"), opt);
    const state = {
      step: this.step,
      microBatches: this.microBatches,
      seed: this.rng.seed,
      rngState: this.rng.state,
      options: this.opts,
      savedAt: new Date().toISOString(),
      ...extra,
    };
    fs.writeFileSync(path.join(tmp, "state.json"), JSON.stringify(state, null, 2) + "\n");
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(tmp, final);
    writeFileAtomic(path.join(dir, "latest.json"), JSON.stringify({ checkpoint: name, step: this.step }) + "\n");
    return final;
  }

  /** Restore the newest checkpoint of `dir` into this trainer's variables; returns its state.json. */
  restore(dir: string): Record<string, unknown> {
    const latestFile = path.join(dir, "latest.json");
    if (!fs.existsSync(latestFile)) throw new AdeflowError(`${latestFile}: no checkpoint to resume from`);
    const latest = JSON.parse(fs.readFileSync(latestFile, "utf8")) as { checkpoint: string };
    const ck = path.join(dir, latest.checkpoint);
    const stateFile = path.join(ck, "state.json");
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as Record<string, unknown>;
    const params = readSafetensors(path.join(ck, "params.safetensors"));
    const opt = readSafetensors(path.join(ck, "optimizer.safetensors"));
    const problems: string[] = [];
    const check = (file: string, map: TensorMap, key: string, v: tf.Variable) => {
      const t = map.get(key);
      if (!t) problems.push(`${file}: missing ${key}`);
      else if (t.shape.join(",") !== v.shape.join(",")) problems.push(`${file}: ${key} has shape [${t.shape}] but the model needs [${v.shape}]`);
    };
    for (const [k, v] of this.params) {
      check("params.safetensors", params, k, v);
      check("optimizer.safetensors", opt, `m.${k}`, v);
      check("optimizer.safetensors", opt, `v.${k}`, v);
    }
    if (problems.length) throw new AdeflowError(`${ck}: checkpoint does not fit this model: ${problems.join("; ")}`);
    for (const [k, v] of this.params) {
      tf.tidy(() => v.assign(tf.tensor(params.get(k)!.data, v.shape, "float32")));
      this.optimizer.setState(k, opt.get(`m.${k}`)!.data, opt.get(`v.${k}`)!.data);
    }
    this.discardPending();
    this.optimizer.step = state.step as number;
    this.microBatches = (state.microBatches as number) ?? 0;
    this.rng = new Rng(state.seed as number, state.rngState as number);
    return state;
  }

  dispose(): void {
    this.discardPending();
    this.optimizer.dispose();
  }
}
