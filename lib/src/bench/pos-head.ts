/**
 * The cost of the POS embedding, isolated (`adeflow bench`, model `re-head`): the study-size RE head on
 * bert-base-sized features (4 x 768 per position, so the encoder's cost is left out and the head's
 * difference is not drowned in it), timed without and with a POS embedding on the same batch. The gradient
 * reaches the features in both arms, as it does when the encoder is fine-tuned (the study's setting). Each arm is
 * the other's peer: the with-POS row carries its throughput ratio against the without-POS row of the same
 * backend and run.
 */
import { POS_VOCAB } from "../pos/tags";
import { RelationHead, type FeatureBatch } from "../re/head";
import { Trainer } from "../train/trainer";
import { Rng } from "../random/rng";
import { fmt, textTable } from "./text-table";

export interface PosHeadBenchRow {
  engine: string;
  arm: "without POS" | "with POS";
  pos_embedding_size: number;
  batch: number;
  seq: number;
  parameters: number;
  forward_tokens_per_s: number;
  train_tokens_per_s: number;
  /** Against the without-POS row of the same engine (1 for that row itself). */
  forward_ratio: number;
  train_ratio: number;
}

function featureBatch(batch: number, seq: number, features: number, seed: number): FeatureBatch {
  const rng = new Rng(seed);
  return {
    batch,
    seqLen: seq,
    features: Float32Array.from({ length: batch * seq * features }, () => rng.normal()),
    labels: Int32Array.from({ length: batch * seq }, () => (rng.next() < 0.1 ? 1 + rng.int(4) : 0)),
    posIds: Int32Array.from({ length: batch * seq }, () => 2 + rng.int(POS_VOCAB.length - 2)),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function seconds(step: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await step();
  return (performance.now() - t0) / 1000;
}

/**
 * Both arms timed in alternation, round after round, after one warm-up call each: the machine's drift (other
 * processes on a shared 2-core box) hits both alike, and each ratio is the median of the rounds' ratios.
 */
export async function benchPosHead(
  engine: string,
  options: { batch?: number; iters?: number; posEmbeddingSize?: number; log?: (s: string) => void } = {},
): Promise<PosHeadBenchRow[]> {
  const batch = options.batch ?? 2;
  const seq = 128;
  const iters = options.iters ?? 15;
  const size = options.posEmbeddingSize ?? 32;
  const tokens = batch * seq;
  const fb = featureBatch(batch, seq, 4 * 768, 11);
  const arms = (
    [
      ["without POS", 0],
      ["with POS", size],
    ] as const
  ).map(([arm, E]) => {
    const head = new RelationHead(4 * 768, {
      seed: 1,
      inputGradient: true,
      posEmbeddingSize: E,
      posVocabSize: POS_VOCAB.length,
    });
    const trainer = new Trainer(head.params(), {
      lr: 1e-4,
      totalSteps: iters + 1,
      accumulationSteps: 1,
      maxGradNorm: 1,
      seed: 1,
    });
    const forward = async () => void (await head.batchPredict(fb));
    const train = async () => void (await trainer.microBatch((s) => head.batchLoss(fb, undefined, true, s)));
    return { arm, E, head, trainer, forward, train, fwd: [] as number[], trn: [] as number[] };
  });
  try {
    for (const a of arms) {
      await a.forward();
      await a.train();
    }
    for (let i = 0; i < iters; i++) {
      for (const a of arms) a.fwd.push(await seconds(a.forward));
      for (const a of arms) a.trn.push(await seconds(a.train));
    }
    const [base] = arms;
    return arms.map((a) => {
      const row: PosHeadBenchRow = {
        engine,
        arm: a.arm,
        pos_embedding_size: a.E,
        batch,
        seq,
        parameters: a.head.parameterCount().head,
        forward_tokens_per_s: tokens / median(a.fwd),
        train_tokens_per_s: tokens / median(a.trn),
        forward_ratio: median(a.fwd.map((t, i) => base.fwd[i] / t)),
        train_ratio: median(a.trn.map((t, i) => base.trn[i] / t)),
      };
      options.log?.(
        `  ${engine} RE head ${a.arm}: forward ${row.forward_tokens_per_s.toFixed(1)}, train ${row.train_tokens_per_s.toFixed(1)} tokens/s`,
      );
      return row;
    });
  } finally {
    for (const a of arms) {
      a.trainer.dispose();
      a.head.dispose();
    }
  }
}

export function posHeadTable(rows: PosHeadBenchRow[]): string {
  const head = [
    "engine",
    "RE head (bert-base features)",
    "tokens",
    "parameters",
    "fwd tok/s",
    "train tok/s",
    "fwd ratio",
    "train ratio",
  ];
  const body = rows.map((r) => [
    r.engine,
    `${r.arm}${r.pos_embedding_size ? ` (E=${r.pos_embedding_size})` : ""}`,
    `${r.batch}x${r.seq}`,
    String(r.parameters),
    fmt(r.forward_tokens_per_s),
    fmt(r.train_tokens_per_s),
    fmt(r.forward_ratio, 3),
    fmt(r.train_ratio, 3),
  ]);
  return textTable(head, body);
}
