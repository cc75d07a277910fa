/**
 * Training-step costs of the `local` profile's model (`adeflow bench --models steps`), each arm timed against its
 * peer in alternation, round after round, so that a shared machine's drift hits both alike; each ratio is the
 * median of the rounds' ratios:
 *
 * - NER: one micro-batch of real training rows (the study's split) padded to 128 against the same rows padded to
 *   their longest (the bucketed batch; a length-grouped order makes batches shorter still);
 * - RE: one micro-batch of the RE model (encoder + head, 128 positions) with each of the three BiLSTM kernels
 *   (per-direction, fused, bptt) against the per-direction one, and the BiLSTM's own share of the step (its
 *   forward and backward alone on features of that shape).
 *
 * The encoder has the local profile's size with seeded random weights (the cost does not depend on the weights)
 * and the tiny checkpoint's tokenizer and vocabulary.
 */
import * as tf from "@tensorflow/tfjs";
import { readScalar } from "../ops/read";
import { loadBert } from "../bert/checkpoint";
import { BertEncoder } from "../bert/encoder";
import { longestLength, stackSequences } from "../bert/tokenizer";
import { loadCorpus } from "../corpus/load";
import { encodeNerRows } from "../experiment/ner/data";
import { localBertConfig } from "../experiment/shared/local-bert";
import { PROFILES, TINY_CHECKPOINT } from "../experiment/shared/profile";
import { encodeReRows } from "../experiment/re/data";
import { runStudyPipeline } from "../pipeline/study-pipeline";
import { bidirectionalLstmKernel, setLstmKernel, type LstmKernel } from "../re/lstm";
import { RelationModel } from "../re/model";
import { TokenClassifier } from "../bert/token-classifier";
import { Trainer } from "../train/trainer";

export interface StepBenchRow {
  step: string;
  arm: string;
  batch: number;
  positions: number;
  seconds_per_step: number;
  /** Peer's time over this arm's, median over rounds (> 1: this arm is faster; 1 for the peer itself). */
  speedup: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (f: () => unknown) => {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
};

async function alternate(arms: { arm: string; run: () => unknown }[], rounds: number): Promise<number[][]> {
  for (const a of arms) await a.run(); // warm-up
  const times = arms.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) for (const [i, a] of arms.entries()) times[i].push(await time(a.run));
  return times;
}

export async function benchSteps(
  options: { rounds?: number; batch?: number; log?: (s: string) => void } = {},
): Promise<StepBenchRow[]> {
  const rounds = options.rounds ?? 7;
  const B = options.batch ?? 8;
  const log = options.log ?? (() => {});
  const local = PROFILES.local().localBert!;
  const tiny = await loadBert(TINY_CHECKPOINT());
  tiny.encoder.dispose();
  const cfg = localBertConfig(local, tiny.config.vocab_size);
  const pipeline = runStudyPipeline(await loadCorpus(), 0);
  const rows = pipeline.split.train.slice(0, B);
  const out: StepBenchRow[] = [];

  // NER: padded to 128 against padded to the batch's longest row
  {
    const encoder = BertEncoder.random(cfg, 1);
    const model = new TokenClassifier(encoder, 5, 0);
    const trainer = new Trainer(model.params(), { lr: 1e-4, totalSteps: 1000, accumulationSteps: 1, seed: 1 });
    const seqs = encodeNerRows(pipeline.ner, rows, tiny.tokenizer, 128).map((e) => e.sequence);
    const T = longestLength(seqs);
    const padded = stackSequences(seqs, 128);
    const bucketed = stackSequences(seqs, T);
    const [tp, tb] = await alternate(
      [
        { arm: "padded to 128", run: () => trainer.microBatch((s) => model.loss(padded, undefined, true, s)) },
        {
          arm: `bucketed (longest row: ${T})`,
          run: () => trainer.microBatch((s) => model.loss(bucketed, undefined, true, s)),
        },
      ],
      rounds,
    );
    out.push({
      step: "NER training step",
      arm: "padded to 128",
      batch: B,
      positions: 128,
      seconds_per_step: median(tp),
      speedup: 1,
    });
    out.push({
      step: "NER training step",
      arm: "bucketed",
      batch: B,
      positions: T,
      seconds_per_step: median(tb),
      speedup: median(tp.map((t, i) => t / tb[i])),
    });
    trainer.dispose();
    model.dispose();
    encoder.dispose();
  }

  // RE: the BiLSTM kernels against the per-direction one, and the BiLSTM's share of the step
  {
    const encoder = BertEncoder.random(cfg, 1);
    const model = new RelationModel(encoder, { seed: 0, seqLen: 128, numClasses: 5 });
    const trainer = new Trainer(model.params(), { lr: 1e-4, totalSteps: 1000, accumulationSteps: 1, seed: 1 });
    const batch = stackSequences(
      encodeReRows(pipeline.re, rows, tiny.tokenizer, 128).map((e) => e.sequence),
      128,
    );
    const step = (k: LstmKernel) => () => {
      setLstmKernel(k);
      return trainer.microBatch((s) => model.loss(batch, undefined, true, s));
    };
    const F = model.layers.length * cfg.hidden_size;
    const feats = tf.randomNormal([B, 128, F], 0, 1, "float32", 3) as tf.Tensor3D;
    const lstmVars = [...model.head.variables.entries()].filter(([k]) => k.startsWith("lstm.")).map(([, v]) => v);
    const byName = (sfx: string) => ({
      weightIh: model.head.variables.get(`lstm.weight_ih_l0${sfx}`)!,
      weightHh: model.head.variables.get(`lstm.weight_hh_l0${sfx}`)!,
      biasIh: model.head.variables.get(`lstm.bias_ih_l0${sfx}`)!,
      biasHh: model.head.variables.get(`lstm.bias_hh_l0${sfx}`)!,
    });
    const lstmAlone = (k: LstmKernel) => async () => {
      setLstmKernel(k);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(bidirectionalLstmKernel(feats, byName(""), byName("_reverse"), true)) as tf.Scalar,
        lstmVars,
      );
      await readScalar(value);
      tf.dispose([value, ...Object.values(grads)]);
    };
    try {
      // the per-direction kernel (the tape's backward) is every other arm's peer
      const kernels: LstmKernel[] = ["per-direction", "fused", "bptt"];
      const times = await alternate(
        [
          ...kernels.map((k) => ({ arm: k, run: step(k) })),
          ...kernels.map((k) => ({ arm: `BiLSTM alone, ${k}`, run: lstmAlone(k) })),
        ],
        rounds,
      );
      const stepTimes = times.slice(0, kernels.length);
      const aloneTimes = times.slice(kernels.length);
      const rowsOf = (what: string, arm: (k: LstmKernel) => string, ts: number[][]) =>
        kernels.map((k, j) => ({
          step: what,
          arm: arm(k),
          batch: B,
          positions: 128,
          seconds_per_step: median(ts[j]),
          speedup: j === 0 ? 1 : median(ts[0].map((t, i) => t / ts[j][i])),
        }));
      out.push(...rowsOf("RE training step", (k) => `${k} BiLSTM`, stepTimes));
      out.push(...rowsOf("BiLSTM forward + backward alone", (k) => k, aloneTimes));
      log(
        `  BiLSTM share of an RE step: ${kernels.map((k, j) => `${((100 * median(aloneTimes[j])) / median(stepTimes[j])).toFixed(0)} % ${k}`).join(", ")}`,
      );
    } finally {
      setLstmKernel("per-direction");
      feats.dispose();
      trainer.dispose();
      model.dispose();
      encoder.dispose();
    }
  }
  return out;
}

export function stepTable(rows: readonly StepBenchRow[]): string {
  const head =
    "| step | arm | batch x positions | s per step | speed-up against the first arm |\n| --- | --- | --- | ---: | ---: |";
  return [
    head,
    ...rows.map(
      (r) =>
        `| ${r.step} | ${r.arm} | ${r.batch} x ${r.positions} | ${r.seconds_per_step.toFixed(3)} | ${r.speedup.toFixed(2)} |`,
    ),
  ].join("\n");
}
