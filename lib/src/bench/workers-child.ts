/**
 * One measurement of the workers bench (workers.ts), in a process of its own so that its peak resident memory
 * (the kernel's VmHWM: the main thread and its workers together) is its own: a WebAssembly heap never shrinks, so a
 * second measurement in the same process would inherit the first one's. Run as
 * `node workers-child.js '<WorkerPlan as JSON>'`; prints one `WorkerBenchRow` as JSON.
 *
 * One training step is the study's micro-batch step: token-classification head, weighted CE, backward, the
 * gradients of every thread summed, global-norm clip, AdamW (accumulation 1, so the serial optimizer update and the
 * weight copy to the workers count in every step: the worst case for scaling). One warm-up step (it allocates
 * AdamW's state and loads the workers' weights), then `iters` timed steps.
 */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend";
import { TokenClassifier } from "../bert";
import { Trainer, DataParallelGroup, workerRecipeFor } from "../train";
import { benchEncoder, randomBatch } from "./models";
import { peakRssMb } from "./peak-rss";
import type { WorkerBenchRow, WorkerPlan } from "./workers";
import { answerParent } from "./child-answer";

async function measure(plan: WorkerPlan): Promise<WorkerBenchRow> {
  const backend = await initBackend({ force: "wasm" });
  const enc = benchEncoder(plan.model);
  const clf = new TokenClassifier(enc, 5, 1);
  const batch = randomBatch(enc.config, plan.batch, plan.seq, 7);
  const trainer = new Trainer(clf.params(), { totalSteps: 100, accumulationSteps: 1 });
  const group =
    plan.threads > 1
      ? DataParallelGroup.start(clf.params(), workerRecipeFor(clf)!, { threads: plan.threads, backend: backend.name })
      : undefined;
  const step = () =>
    group
      ? group.microBatch(trainer, batch, undefined, (shard, seed) => clf.loss(shard, undefined, true, seed))
      : trainer.microBatch((seed) => clf.loss(batch, undefined, true, seed));
  try {
    await step();
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < plan.iters; i++) await step();
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    return {
      engine: "tfjs wasm, data-parallel workers",
      ...plan,
      train_tokens_per_s: (plan.batch * plan.seq * plan.iters) / seconds,
      tokens_per_cpu_s: (plan.batch * plan.seq * plan.iters) / cpuSeconds,
      peak_rss_mb: peakRssMb(),
      load_average: os.loadavg()[0],
      note: `${tf.getBackend()} backend in every thread`,
    };
  } finally {
    await group?.close();
  }
}

answerParent(measure(JSON.parse(process.argv[2]) as WorkerPlan));
