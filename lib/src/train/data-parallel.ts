/**
 * Data-parallel training over `worker_threads`: the main thread and N - 1 workers, each with its own
 * TensorFlow.js backend (WebAssembly runs one thread per backend in Node, see docs/cpu-parallel.md) and its
 * own copy of the model, each compute the gradients of their rows of a micro-batch. The workers leave theirs
 * in shared memory (one SharedArrayBuffer each); the main thread adds them to its own in a fixed order, and the
 * Trainer clips and applies the sum once. The main thread's new weights are copied into one shared buffer that
 * every worker reads before its next step.
 *
 * Why this equals one process: the loss is a mean over the micro-batch's labelled positions, so the gradient
 * of the whole is the sum of each shard's mean-loss gradient times its share of those positions; and dropout
 * masks are drawn per example from the micro-batch's seed (ops/example-dropout.ts), so a row gets the same
 * masks in whichever thread it runs. Only the order of float additions differs, so weights agree within float
 * tolerance. For a given N the order is fixed, so a resumed run is byte-identical to an uninterrupted one.
 *
 * The API is synchronous like the Trainer's: the main thread posts the jobs, computes its own shard, then
 * blocks in `Atomics.wait` until every worker has written its result.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { readFloat32, readScalar } from "../ops/read";
import { AdeflowError } from "../errors";
import { IGNORE_INDEX, type AlignedBatch } from "../bert/tokenizer";
import type { BackendName } from "../backend";
import type { MicroResult, Trainer } from "./trainer";
import type { WorkerModelRecipe } from "./worker-model";
import {
  CONTROL_WORDS,
  ERROR_BYTES,
  paramLayout,
  STATUS,
  WEIGHTS_VERSION,
  WorkerStatus,
  type ParamSlot,
  type WorkerInit,
  type WorkerJob,
} from "./data-parallel-protocol";

/** Loss of some rows of a micro-batch on the main thread's model (training mode; `seed` drives dropout). */
export type ShardLossFn = (shard: AlignedBatch, seed: number) => tf.Scalar;

export interface DataParallelOptions {
  /** Threads computing gradients, the main thread included (2 or more). */
  threads: number;
  backend: BackendName;
  /** How long to wait for a worker to load its backend and model (default 10 min: bert-base on a busy machine). */
  startTimeoutMs?: number;
  /** How long to wait for one worker's step before giving up (default 30 min). */
  stepTimeoutMs?: number;
}

interface WorkerHandle {
  worker: Worker;
  control: Int32Array;
  grads: Float32Array;
  loss: Float64Array;
  error: Uint8Array;
}

/** Rows [start, end) of each of `threads` shards of a `rows`-row batch: contiguous, the first ones one row longer. */
export function shardRows(rows: number, threads: number): [number, number][] {
  const out: [number, number][] = [];
  const base = Math.floor(rows / threads);
  const extra = rows % threads;
  let start = 0;
  for (let k = 0; k < threads; k++) {
    const end = start + base + (k < extra ? 1 : 0);
    out.push([start, end]);
    start = end;
  }
  return out;
}

/** Rows [start, end) of a batch as a batch of their own. */
export function sliceBatch(batch: AlignedBatch, start: number, end: number): AlignedBatch {
  const T = batch.seqLen;
  return {
    batch: end - start,
    seqLen: T,
    inputIds: batch.inputIds.slice(start * T, end * T),
    attentionMask: batch.attentionMask.slice(start * T, end * T),
    labels: batch.labels.slice(start * T, end * T),
    wordIndex: batch.wordIndex.slice(start * T, end * T),
    sequences: batch.sequences.slice(start, end),
    // a shard of a bucketed batch draws its dropout masks at the full length, as the whole batch does
    paddedLength: batch.paddedLength,
  };
}

function labelledPositions(labels: Int32Array): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== IGNORE_INDEX) n++;
  return n;
}

function waitWhile(control: Int32Array, status: WorkerStatus, timeoutMs: number): WorkerStatus {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = Atomics.load(control, STATUS) as WorkerStatus;
    if (now !== status) return now;
    const left = deadline - Date.now();
    if (left <= 0) return now;
    Atomics.wait(control, STATUS, status, Math.min(left, 1000));
  }
}

export class DataParallelGroup {
  private readonly workers: WorkerHandle[] = [];
  private readonly slots: ParamSlot[];
  private readonly weights: Float32Array;
  private readonly stepTimeoutMs: number;
  private weightsVersion = 0;
  private published: { trainer: Trainer; step: number } | undefined;
  private closed = false;
  /** Workers (1-based) that died, with their error. */
  private readonly deaths = new Map<number, string>();

  private constructor(
    private readonly params: Map<string, tf.Variable>,
    recipe: WorkerModelRecipe,
    options: DataParallelOptions,
  ) {
    if (!(Number.isInteger(options.threads) && options.threads >= 2))
      throw new AdeflowError(`data-parallel training needs 2 or more threads, got ${options.threads}`);
    const { slots, total } = paramLayout(params);
    this.slots = slots;
    this.weights = new Float32Array(new SharedArrayBuffer(total * 4));
    this.stepTimeoutMs = options.stepTimeoutMs ?? 30 * 60_000;
    const file = path.join(__dirname, "data-parallel-worker.js");
    for (let index = 1; index < options.threads; index++) {
      const init: WorkerInit = {
        index,
        backend: options.backend,
        recipe,
        slots,
        weights: this.weights.buffer as SharedArrayBuffer,
        grads: new SharedArrayBuffer(total * 4),
        control: new SharedArrayBuffer(CONTROL_WORDS * 4),
        loss: new SharedArrayBuffer(8),
        error: new SharedArrayBuffer(ERROR_BYTES),
      };
      const worker = new Worker(file, { workerData: init });
      worker.unref();
      // a worker that dies (its own uncaught error) must not become an unhandled 'error' event, which is an
      // uncaught exception of the whole process (a Jupyter kernel may die of it); its step times out instead,
      // with this message
      worker.on("error", (err) => {
        this.deaths.set(index, err.message);
      });
      this.workers.push({
        worker,
        control: new Int32Array(init.control),
        grads: new Float32Array(init.grads),
        loss: new Float64Array(init.loss),
        error: new Uint8Array(init.error),
      });
    }
  }

  /**
   * Start `threads - 1` workers for the model whose parameters are `params` (rebuilt in each worker from
   * `recipe`) and wait until each has loaded its backend and model.
   */
  static start(
    params: Map<string, tf.Variable>,
    recipe: WorkerModelRecipe,
    options: DataParallelOptions,
  ): DataParallelGroup {
    const group = new DataParallelGroup(params, recipe, options);
    try {
      for (const [i, w] of group.workers.entries()) {
        const status = waitWhile(w.control, WorkerStatus.Starting, options.startTimeoutMs ?? 10 * 60_000);
        if (status === WorkerStatus.Starting)
          throw new AdeflowError(
            `data-parallel worker ${i + 1} did not start within ${Math.round((options.startTimeoutMs ?? 600_000) / 1000)} s`,
          );
        if (status === WorkerStatus.Failed)
          throw new AdeflowError(`data-parallel worker ${i + 1} failed to start: ${group.errorOf(w)}`);
      }
    } catch (e) {
      void group.close();
      throw e;
    }
    return group;
  }

  /** Threads computing gradients, the main thread included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** One micro-batch through `trainer`, its rows spread over the threads (see module comment). */
  async microBatch(
    trainer: Trainer,
    batch: AlignedBatch,
    classWeights: tf.Tensor1D | undefined,
    loss: ShardLossFn,
  ): Promise<MicroResult> {
    if (this.closed) throw new AdeflowError("internal: data-parallel group used after close()");
    if (
      trainer.params.size !== this.params.size ||
      this.slots.some((s) => trainer.params.get(s.name) !== this.params.get(s.name))
    )
      throw new AdeflowError("internal: data-parallel group used with another model's trainer");
    await this.publishIfStale(trainer);
    const cw = classWeights ? (await readFloat32(classWeights)).slice() : null;
    const result = await trainer.microBatchGrads((seed) => this.gradients(batch, cw, seed, loss));
    if (result.updated) await this.publish(trainer);
    return result;
  }

  /** `trainer.flush()`, then the new weights to the workers. */
  async flush(trainer: Trainer): ReturnType<Trainer["flush"]> {
    const result = await trainer.flush();
    if (result.updated) await this.publish(trainer);
    return result;
  }

  private async publishIfStale(trainer: Trainer): Promise<void> {
    if (this.published?.trainer !== trainer || this.published.step !== trainer.step) await this.publish(trainer);
  }

  private async publish(trainer: Trainer): Promise<void> {
    for (const slot of this.slots) this.weights.set(await readFloat32(this.params.get(slot.name)!), slot.offset);
    this.weightsVersion++;
    for (const w of this.workers) Atomics.store(w.control, WEIGHTS_VERSION, this.weightsVersion);
    this.published = { trainer, step: trainer.step };
  }

  private async gradients(
    batch: AlignedBatch,
    classWeights: Float32Array | null,
    seed: number,
    loss: ShardLossFn,
  ): Promise<{ loss: number; grads: Map<string, tf.Tensor> }> {
    const shards = shardRows(batch.batch, this.threads).map(([start, end]) => ({
      start,
      end,
      batch: sliceBatch(batch, start, end),
    }));
    const total = labelledPositions(batch.labels);
    const share = (b: AlignedBatch) => (total === 0 ? 0 : labelledPositions(b.labels) / total);
    const busy: WorkerHandle[] = [];
    shards.slice(1).forEach((s, k) => {
      if (s.batch.batch === 0) return;
      const w = this.workers[k];
      Atomics.store(w.control, STATUS, WorkerStatus.Busy);
      const job: WorkerJob = { shard: s.batch, classWeights, seed: (seed + s.start) >>> 0, share: share(s.batch) };
      w.worker.postMessage(job);
      busy.push(w);
    });
    // the main thread's own rows, while the workers compute theirs
    const own = shards[0].batch;
    const ownShare = share(own);
    const trainable = this.slots.filter((s) => this.params.get(s.name)!.trainable);
    let ownLoss: number;
    let ownGrads: tf.NamedTensorMap;
    try {
      const r = tf.variableGrads(
        () => loss(own, seed),
        trainable.map((s) => this.params.get(s.name)!),
      );
      ownLoss = await readScalar(r.value);
      r.value.dispose();
      ownGrads = r.grads;
    } catch (e) {
      this.awaitWorkers(busy, true);
      throw e;
    }
    this.awaitWorkers(busy, false);
    let lossSum = ownLoss * ownShare;
    for (const w of busy) lossSum += w.loss[0];
    const grads = new Map<string, tf.Tensor>();
    for (const slot of trainable) {
      const mine = ownGrads[this.params.get(slot.name)!.name];
      const sum = new Float32Array(slot.size);
      if (mine) {
        const data = await readFloat32(mine);
        for (let i = 0; i < sum.length; i++) sum[i] = data[i] * ownShare;
        mine.dispose();
      }
      for (const w of busy) {
        const theirs = w.grads.subarray(slot.offset, slot.offset + slot.size);
        for (let i = 0; i < sum.length; i++) sum[i] += theirs[i];
      }
      grads.set(slot.name, tf.tensor(sum, slot.shape, "float32"));
    }
    return { loss: lossSum, grads };
  }

  /** Wait for the busy workers; a failure is an error, unless the main thread is already failing. */
  private awaitWorkers(busy: WorkerHandle[], quiet: boolean): void {
    for (const w of busy) {
      const status = waitWhile(w.control, WorkerStatus.Busy, this.stepTimeoutMs);
      if (quiet) continue;
      const index = this.workers.indexOf(w) + 1;
      if (status === WorkerStatus.Busy)
        throw new AdeflowError(
          `data-parallel worker ${index} did not finish its step within ${Math.round(this.stepTimeoutMs / 1000)} s${this.deaths.has(index) ? ` (it died: ${this.deaths.get(index)})` : ""}`,
        );
      if (status === WorkerStatus.Failed) {
        const message = this.errorOf(w);
        if (/RuntimeError/.test(message)) {
          throw new AdeflowError(
            `data-parallel worker ${index} failed in WebAssembly (${message}); this is usually its 4 GiB memory limit: use fewer rows per micro-batch, or fewer workers (ADEFLOW_WORKERS)`,
          );
        }
        throw new AdeflowError(`data-parallel worker ${index} failed: ${message}`);
      }
    }
  }

  private errorOf(w: WorkerHandle): string {
    const end = w.error.indexOf(0);
    return new TextDecoder().decode(w.error.slice(0, end < 0 ? undefined : end)) || "no message";
  }

  /** Stop the workers (their memory goes with them); resolves when they have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
