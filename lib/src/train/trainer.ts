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
 * the previous checkpoint usable. Only the newest `KEPT_CHECKPOINTS` stay: resume needs the
 * newest, and the one before it is the fallback when the newest cannot be read.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { AdeflowError, describeFault } from "../errors";
import { readSafetensors, writeSafetensors, type TensorMap } from "../io/safetensors";
import { readJsonFile, sweepDeadTemporaries, writeFileAtomic } from "../io";
import { readFloat32, readScalar } from "../ops/read";
import { AdamW } from "./optim";
import { clipCoefficient, globalNorm, linearScheduleFactor } from "./optim";
import { Rng } from "../random/rng";

/** Checkpoints kept in a folder: the newest, and the previous one to fall back on. */
export const KEPT_CHECKPOINTS = 2;

const CHECKPOINT_NAME = /^ckpt-(\d+)$/;

/** The checkpoint folders of `dir`, newest (highest step) first. */
export function listCheckpoints(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => CHECKPOINT_NAME.test(n) && fs.statSync(path.join(dir, n)).isDirectory())
    .sort((a, b) => Number(CHECKPOINT_NAME.exec(b)![1]) - Number(CHECKPOINT_NAME.exec(a)![1]));
}

/** Whether `dir` holds anything to resume from. */
export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, "latest.json")) || listCheckpoints(dir).length > 0;
}

export interface CheckpointFiles {
  dir: string;
  state: Record<string, unknown>;
  params: TensorMap;
  optimizer: TensorMap;
}

/**
 * The checkpoints to try, in order: the one `latest.json` names, then every other by step, newest first. A
 * `latest.json` that cannot be read is reported through `skipped` and the folders are tried on their own.
 */
function checkpointCandidates(dir: string, skipped: string[]): string[] {
  const order: string[] = [];
  const latestFile = path.join(dir, "latest.json");
  if (fs.existsSync(latestFile)) {
    try {
      const latest = readJsonFile<{ checkpoint?: unknown }>(latestFile, "checkpoint index");
      if (typeof latest.checkpoint === "string" && CHECKPOINT_NAME.test(latest.checkpoint))
        order.push(latest.checkpoint);
      else skipped.push(`${latestFile}: names no checkpoint folder`);
    } catch (err) {
      skipped.push((err as Error).message);
    }
  }
  for (const name of listCheckpoints(dir)) if (!order.includes(name)) order.push(name);
  return order.map((n) => path.join(dir, n));
}

/** Read one checkpoint folder whole; throws (naming the file) when any part is missing or corrupt. */
function readCheckpointFiles(ck: string): CheckpointFiles {
  const state = readJsonFile<Record<string, unknown>>(path.join(ck, "state.json"), "checkpoint state");
  if (typeof state.step !== "number") throw new AdeflowError(`${path.join(ck, "state.json")}: has no step number`);
  return {
    dir: ck,
    state,
    params: readSafetensors(path.join(ck, "params.safetensors")),
    optimizer: readSafetensors(path.join(ck, "optimizer.safetensors")),
  };
}

/**
 * The newest checkpoint of `dir` that reads whole, and what was skipped on the way (a corrupt `latest.json`,
 * a torn newer checkpoint); `files` is undefined when none reads.
 */
export function newestReadableCheckpoint(dir: string): { files?: CheckpointFiles; skipped: string[] } {
  const skipped: string[] = [];
  for (const ck of checkpointCandidates(dir, skipped)) {
    try {
      return { files: readCheckpointFiles(ck), skipped };
    } catch (err) {
      skipped.push((err as Error).message);
    }
  }
  return { skipped };
}

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

  constructor(
    readonly params: Map<string, tf.Variable>,
    opts: TrainerOptions,
  ) {
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
  async microBatch(lossFn: LossFn): Promise<MicroResult> {
    return this.microBatchGrads(async (dropoutSeed) => {
      const entries = [...this.params.entries()].filter(([, v]) => v.trainable);
      const { value, grads } = tf.variableGrads(
        () => lossFn(dropoutSeed),
        entries.map(([, v]) => v),
      );
      const loss = await readScalar(value);
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
  async microBatchGrads(
    fn: (
      dropoutSeed: number,
    ) => { loss: number; grads: Map<string, tf.Tensor> } | Promise<{ loss: number; grads: Map<string, tf.Tensor> }>,
  ): Promise<MicroResult> {
    const dropoutSeed = this.rng.nextUint32();
    let result: { loss: number; grads: Map<string, tf.Tensor> };
    try {
      result = await fn(dropoutSeed);
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
    if (this.pending >= this.opts.accumulationSteps) return { loss, ...(await this.update()) };
    return { loss, updated: false };
  }

  /** Apply a partial accumulation (end of epoch); no-op when nothing is pending. */
  async flush(): Promise<{ updated: boolean; lr?: number; gradNorm?: number }> {
    return this.pending > 0 ? this.update() : { updated: false };
  }

  private discardPending(): void {
    if (this.acc) for (const g of this.acc.values()) g.dispose();
    this.acc = null;
    this.pending = 0;
  }

  private async update(): Promise<{ updated: boolean; lr: number; gradNorm: number }> {
    const acc = this.acc!;
    const lr = this.currentLr;
    const gradNorm = await globalNorm(acc.values());
    await this.optimizer.apply(acc, lr, clipCoefficient(gradNorm, this.opts.maxGradNorm));
    this.discardPending();
    return { updated: true, lr, gradNorm };
  }

  /** Save an atomic checkpoint under `dir` (must be called between updates). Returns its folder. */
  async save(dir: string, extra: Record<string, unknown> = {}): Promise<string> {
    if (this.pending > 0)
      throw new AdeflowError(
        `cannot checkpoint in the middle of a gradient accumulation (${this.pending} micro-batches pending)`,
      );
    const name = `ckpt-${this.step}`;
    const final = path.join(dir, name);
    const tmp = path.join(dir, `.${name}.tmp-${process.pid}`);
    try {
      fs.mkdirSync(dir, { recursive: true });
      sweepDeadTemporaries(dir);
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp);
      await this.writeCheckpoint(tmp, extra);
      fs.rmSync(final, { recursive: true, force: true });
      fs.renameSync(tmp, final);
    } catch (err) {
      try {
        fs.rmSync(tmp, { recursive: true, force: true });
      } catch {
        // nothing more can be done; the next start sweeps it
      }
      const line = err instanceof AdeflowError ? err.message : describeFault(err);
      if (line === undefined) throw err;
      throw new AdeflowError(`saving the checkpoint ${final} failed, the previous one is kept: ${line}`);
    }
    writeFileAtomic(path.join(dir, "latest.json"), JSON.stringify({ checkpoint: name, step: this.step }) + "\n");
    for (const old of listCheckpoints(dir).slice(KEPT_CHECKPOINTS))
      fs.rmSync(path.join(dir, old), { recursive: true, force: true });
    return final;
  }

  private async writeCheckpoint(tmp: string, extra: Record<string, unknown>): Promise<void> {
    const params: TensorMap = new Map();
    for (const [k, v] of this.params) params.set(k, { shape: v.shape.slice(), data: await readFloat32(v) });
    writeSafetensors(path.join(tmp, "params.safetensors"), params);
    const opt: TensorMap = new Map();
    for (const [k, p] of this.params) {
      const st = await this.optimizer.getState(k);
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
  }

  /**
   * Restore the newest checkpoint of `dir` that reads whole into this trainer's variables; returns its
   * state.json. When the newest is corrupt (or `latest.json` is), the previous one is used and `log` says why.
   */
  restore(dir: string, log: (line: string) => void = () => {}): Record<string, unknown> {
    const found = newestReadableCheckpoint(dir);
    if (!found.files)
      throw new AdeflowError(
        `${dir}: no checkpoint to resume from${found.skipped.length ? `: ${found.skipped.join("; ")}` : ""}`,
      );
    return this.restoreFrom(found as { files: CheckpointFiles; skipped: string[] }, log);
  }

  /** Restore a checkpoint already read by `newestReadableCheckpoint`. */
  restoreFrom(
    found: { files: CheckpointFiles; skipped: string[] },
    log: (line: string) => void = () => {},
  ): Record<string, unknown> {
    for (const line of found.skipped) log(`skipped unreadable checkpoint data: ${line}`);
    if (found.skipped.length) log(`resuming from ${found.files.dir} instead`);
    const { dir: ck, state, params, optimizer: opt } = found.files;
    const problems: string[] = [];
    const check = (file: string, map: TensorMap, key: string, v: tf.Variable) => {
      const t = map.get(key);
      if (!t) problems.push(`${file}: missing ${key}`);
      else if (t.shape.join(",") !== v.shape.join(","))
        problems.push(`${file}: ${key} has shape [${t.shape}] but the model needs [${v.shape}]`);
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
