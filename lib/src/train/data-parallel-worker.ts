/**
 * A data-parallel worker thread: its own TensorFlow.js backend and copy of the model; for each job, the
 * gradients of its rows of the micro-batch, multiplied by their share, written into shared memory.
 */
import { parentPort, workerData } from "node:worker_threads";
import { readFloat32, readScalar } from "../ops/read";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend";
import { buildWorkerModel, type WorkerModel } from "./worker-model";
import {
  CONTROL_WORDS,
  ERROR_BYTES,
  STATUS,
  WEIGHTS_VERSION,
  WorkerStatus,
  type WorkerInit,
  type WorkerJob,
} from "./data-parallel-protocol";

const init = workerData as WorkerInit;
const control = new Int32Array(init.control, 0, CONTROL_WORDS);
const weights = new Float32Array(init.weights);
const grads = new Float32Array(init.grads);
const lossOut = new Float64Array(init.loss);
let model: WorkerModel | undefined;
let params: Map<string, tf.Variable> | undefined;
let loadedVersion = -1;

function report(status: WorkerStatus): void {
  Atomics.store(control, STATUS, status);
  Atomics.notify(control, STATUS);
}

function fail(e: unknown): void {
  const text = e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e);
  const bytes = new TextEncoder().encode(text).subarray(0, ERROR_BYTES - 1);
  const out = new Uint8Array(init.error);
  out.fill(0);
  out.set(bytes);
  report(WorkerStatus.Failed);
}

function loadWeights(): void {
  const version = Atomics.load(control, WEIGHTS_VERSION);
  if (version === loadedVersion) return;
  for (const slot of init.slots) {
    const v = params!.get(slot.name)!;
    tf.tidy(() => v.assign(tf.tensor(weights.slice(slot.offset, slot.offset + slot.size), slot.shape, "float32")));
  }
  loadedVersion = version;
}

async function runJob(job: WorkerJob): Promise<void> {
  loadWeights();
  const trainable = init.slots.filter((s) => params!.get(s.name)!.trainable);
  const classWeights = job.classWeights ? tf.tensor1d(job.classWeights) : undefined;
  try {
    const { value, grads: g } = tf.variableGrads(
      () => model!.loss(job.shard, classWeights, true, job.seed),
      trainable.map((s) => params!.get(s.name)!),
    );
    lossOut[0] = (await readScalar(value)) * job.share;
    value.dispose();
    for (const slot of init.slots) {
      const tensor = g[params!.get(slot.name)!.name];
      const out = grads.subarray(slot.offset, slot.offset + slot.size);
      if (!tensor) {
        out.fill(0);
        continue;
      }
      const data = await readFloat32(tensor);
      for (let i = 0; i < data.length; i++) out[i] = data[i] * job.share;
      tensor.dispose();
    }
  } finally {
    classWeights?.dispose();
  }
}

async function start(): Promise<void> {
  await initBackend({ force: init.backend });
  model = buildWorkerModel(init.recipe);
  params = model.params();
  const problems: string[] = [];
  for (const slot of init.slots) {
    const v = params.get(slot.name);
    if (!v) problems.push(`missing ${slot.name}`);
    else if (v.shape.join(",") !== slot.shape.join(","))
      problems.push(`${slot.name} has shape [${v.shape}], the main thread's [${slot.shape}]`);
  }
  if (params.size !== init.slots.length)
    problems.push(`${params.size} parameters, the main thread's model ${init.slots.length}`);
  if (problems.length)
    throw new Error(
      `data-parallel worker ${init.index}: its model does not match the main thread's: ${problems.join("; ")}`,
    );
}

start().then(
  () => {
    report(WorkerStatus.Ready);
    // the main thread posts the next job only after this one reports Done, so jobs never overlap
    parentPort!.on("message", (job: WorkerJob) => {
      runJob(job).then(
        () => report(WorkerStatus.Done),
        (e) => fail(e),
      );
    });
  },
  (e) => fail(e),
);
