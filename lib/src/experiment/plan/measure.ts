/**
 * A short measurement of the speeds `estimate.ts` needs: a few training micro-batches, an optimizer update and
 * forward passes of the profile's model (its architecture, seeded random weights: the time does not depend on the
 * weights) at the profile's micro-batch, on the backend that is active, for NER (each batch padded to its own
 * longest row, in the profile's length-grouped order) and RE (always `maxLength` positions).
 *
 * Each task first runs its shortest and its longest micro-batch, an update and a forward pass untimed (kernels
 * compile; memory is allocated for the largest shape, which TensorFlow's allocator would otherwise grow into
 * inside the timed steps: one such step here took 4.7 s against 0.55 s warm, and the estimate was 5x high), then
 * times micro-batches, short and long ones in turn, until its budget is spent (at least three, where there are),
 * one update and up to three forward passes in batches and three of one row alone (fewer for a large model). The rows are real training rows of the study's split, spread over the profile's sample.
 *
 * The measurement trains on this thread alone. Where `fitStudy` would train data-parallel on several (a
 * bert-base-sized model on WebAssembly), the estimate is high by up to the threads' gain (docs/cpu-parallel.md).
 */
import type { BertConfig } from "../../bert/config";
import { BertEncoder } from "../../bert/encoder";
import { TokenClassifier } from "../../bert/token-classifier";
import { stackSequences, type AlignedSequence } from "../../bert/tokenizer";
import { RelationModel } from "../../re/model";
import { lengthGroupedOrder, type TrainableTokenModel, type TrainingSettings } from "../../train/fit";
import { Trainer } from "../../train/trainer";
import type { StepSpeeds, TaskSpeed } from "./estimate";

export interface MeasureInput {
  config: BertConfig;
  /** Encoded training rows of each task (`maxLength` at most). */
  ner: readonly AlignedSequence[];
  re: readonly AlignedSequence[];
  profile: TrainingSettings;
  /** Seconds of timed training micro-batches per task (default: NER 3, RE 4). */
  budget?: { ner: number; re: number };
  log?: (line: string) => void;
}

const now = () => performance.now() / 1000;

/** Timed training micro-batches per task, however long they take. */
const MIN_TIMED_STEPS = 3;

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = now();
  await f();
  return now() - t0;
}

/** Batches of the rows as `fitStudy` forms them: the profile's micro-batch, length-grouped where it asks. */
function batchesOf(rows: readonly AlignedSequence[], profile: TrainingSettings): AlignedSequence[][] {
  const order = lengthGroupedOrder(
    rows.map((_, i) => i),
    rows.map((r) => r.length),
    profile.batchSize,
    profile.lengthBuckets,
  );
  const out: AlignedSequence[][] = [];
  for (let i = 0; i < order.length; i += profile.batchSize)
    out.push(order.slice(i, i + profile.batchSize).map((k) => rows[k]));
  return out;
}

/**
 * The batches to time after the untimed first one, shortest and longest in turn (1, n - 1, 2, n - 2, ...): a
 * length-grouped sample is sorted, and a budget spent on its first batches alone would time only short rows.
 */
export function alternating(n: number): number[] {
  if (n <= 1) return [0];
  const out: number[] = [];
  for (let lo = 1, hi = n - 1; lo <= hi; lo++, hi--) {
    out.push(lo);
    if (hi !== lo) out.push(hi);
  }
  return out;
}

/** Times one task's steps on `model` (see the module comment). */
export async function measureTask(
  model: TrainableTokenModel,
  rows: readonly AlignedSequence[],
  profile: TrainingSettings,
  budgetSeconds: number,
): Promise<TaskSpeed & { rowsTimed: number; positions: number }> {
  if (rows.length === 0) throw new RangeError("no rows to measure on");
  const batches = batchesOf(rows, profile).map((chunk) =>
    stackSequences(chunk, model.seqLen ?? Math.max(...chunk.map((r) => r.length))),
  );
  // no update inside the micro-batches: the update is timed on its own
  const trainer = new Trainer(model.params(), {
    lr: profile.learningRate,
    totalSteps: 1000,
    accumulationSteps: Number.MAX_SAFE_INTEGER,
    maxGradNorm: profile.maxGradNorm,
    seed: profile.seed,
  });
  try {
    const step = (b: number) => trainer.microBatch((seed) => model.loss(batches[b], undefined, true, seed));
    await step(0);
    if (batches.length > 1) await step(batches.length - 1);
    await trainer.flush();
    await model.predict(batches[0]);
    let train = 0;
    let rowsTimed = 0;
    let positions = 0;
    let steps = 0;
    for (const b of alternating(batches.length)) {
      train += await timed(() => step(b));
      rowsTimed += batches[b].batch;
      positions += batches[b].batch * batches[b].seqLen;
      // three at least: one slow step (a page fault, a neighbour's burst) should not set the whole estimate
      if (++steps >= MIN_TIMED_STEPS && train >= budgetSeconds) break;
    }
    const update = await timed(() => trainer.flush());
    // forward passes: up to three of each kind, fewer once they have taken half the budget (a large model)
    let infer = 0;
    let inferRows = 0;
    for (const b of alternating(batches.length).slice(0, 3)) {
      infer += await timed(() => model.predict(batches[b]));
      inferRows += batches[b].batch;
      if (infer >= budgetSeconds / 2) break;
    }
    let single = 0;
    let singles = 0;
    for (const row of rows.slice(0, 3)) {
      single += await timed(() => model.predict(stackSequences([row], model.seqLen ?? row.length)));
      singles++;
      if (single >= budgetSeconds / 2) break;
    }
    return {
      trainPerRow: train / rowsTimed,
      update,
      inferPerRow: infer / inferRows,
      singleRow: single / singles,
      rowsTimed,
      positions: positions / rowsTimed,
    };
  } finally {
    trainer.dispose();
  }
}

export interface Measurement {
  speeds: StepSpeeds;
  /** Rows timed in training micro-batches, and their mean padded length, per task. */
  timed: { ner: { rows: number; positions: number }; re: { rows: number; positions: number } };
  /** Float32 parameters of the encoder. */
  parameters: number;
  /** Wall seconds the measurement took, building the model included. */
  seconds: number;
}

/** NER, then RE, on one encoder of the profile's architecture with seeded random weights. */
export async function measureSpeeds(input: MeasureInput): Promise<Measurement> {
  const started = now();
  const budget = input.budget ?? { ner: 3, re: 4 };
  const log = input.log ?? (() => {});
  const encoder = BertEncoder.random(input.config, input.profile.seed);
  try {
    const parameters = [...encoder.variables.values()].reduce((n, v) => n + v.size, 0);
    // one task's head on the shared encoder, timed, then freed (the encoder stays for the next)
    const timeTask = async (
      name: string,
      model: TrainableTokenModel & { dispose(): void },
      rows: readonly AlignedSequence[],
      seconds: number,
    ) => {
      try {
        const { rowsTimed, positions, ...speed } = await measureTask(model, rows, input.profile, seconds);
        log(`${name}: ${(speed.trainPerRow * input.profile.batchSize).toFixed(3)} s per training micro-batch`);
        return { speed, rows: rowsTimed, positions };
      } finally {
        model.dispose();
      }
    };
    const n = await timeTask("NER", new TokenClassifier(encoder, 5, input.profile.seed), input.ner, budget.ner);
    const r = await timeTask(
      "RE",
      new RelationModel(encoder, { seed: input.profile.seed, seqLen: input.profile.maxLength, numClasses: 5 }),
      input.re,
      budget.re,
    );
    return {
      speeds: { ner: n.speed, re: r.speed },
      timed: { ner: { rows: n.rows, positions: n.positions }, re: { rows: r.rows, positions: r.positions } },
      parameters,
      seconds: now() - started,
    };
  } finally {
    encoder.dispose();
  }
}
