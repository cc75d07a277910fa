/**
 * One model's measurement for the native rows (native.ts), in a process of its own: on TensorFlow.js's native
 * backend the tensors live in TensorFlow's allocator, which `tf.memory()` does not see, so the figure is the
 * process's peak resident memory, and that is only this model's in a fresh process. Run as
 * `node native-child.js '<NativePlan as JSON>'` with TF_NUM_INTRAOP_THREADS set; prints one `NativeBenchRow` as JSON.
 *
 * The step is `Trainer.microBatch` with accumulation 1: token-classification head, weighted CE, backward,
 * global-norm clipping, AdamW (fused into one TensorFlow kernel per parameter on this backend). One warm-up step (it
 * allocates AdamW's state), then `iters` steps timed one by one; throughput is that of the median step. With
 * `profile`, one more step runs under `tf.profile`: the share of its wall time that TensorFlow's kernels took.
 */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend";
import { TokenClassifier } from "../bert";
import { Trainer } from "../train";
import { benchEncoder, randomBatch } from "./models";
import { peakRssMb } from "./peak-rss";
import { median, type NativeBenchRow, type NativePlan } from "./native";
import { answerParent } from "./child-answer";

async function measure(plan: NativePlan): Promise<NativeBenchRow> {
  const backend = await initBackend({ force: "tensorflow" });
  const enc = benchEncoder(plan.model);
  const clf = new TokenClassifier(enc, 5, 1);
  const batch = randomBatch(enc.config, plan.batch, plan.seq, 7);
  const trainer = new Trainer(clf.params(), { totalSteps: 100, accumulationSteps: 1 });
  const step = () => trainer.microBatch((seed) => clf.loss(batch, undefined, true, seed));
  try {
    await step(); // warm-up: AdamW's state, TensorFlow's kernels and allocator
    const stepSeconds: number[] = [];
    const cpu = process.cpuUsage();
    for (let i = 0; i < plan.iters; i++) {
      const t = performance.now();
      await step();
      stepSeconds.push((performance.now() - t) / 1000);
    }
    const used = process.cpuUsage(cpu);
    const row: NativeBenchRow = {
      engine: `tfjs tensorflow (TensorFlow ${backend.tensorflow ?? "?"})`,
      model: plan.model,
      batch: plan.batch,
      seq: plan.seq,
      threads: backend.threads ?? plan.threads,
      steps: plan.iters,
      train_tokens_per_s: (plan.batch * plan.seq) / median(stepSeconds),
      step_s: stepSeconds,
      user_s_per_step: used.user / 1e6 / plan.iters,
      system_s_per_step: used.system / 1e6 / plan.iters,
      peak_rss_mb: peakRssMb(),
      load_average: os.loadavg()[0],
    };
    if (plan.profile) {
      const t = performance.now();
      const p = await tf.profile(async () => void (await step()));
      const wallMs = performance.now() - t;
      const byKernel = new Map<string, number>();
      for (const k of p.kernels)
        if (typeof k.kernelTimeMs === "number") byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + k.kernelTimeMs);
      const kernelMs = [...byKernel.values()].reduce((a, b) => a + b, 0);
      row.kernel_share = kernelMs / wallMs;
      row.profiled_step_s = wallMs / 1000;
      row.top_kernels_ms = Object.fromEntries(
        [...byKernel.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8)
          .map(([k, ms]) => [k, Math.round(ms)]),
      );
    }
    return row;
  } finally {
    trainer.dispose();
    clf.dispose();
    enc.dispose();
  }
}

answerParent(measure(JSON.parse(process.argv[2]) as NativePlan));
