/**
 * The attention's scores on each backend (`adeflow bench`, part `attention`): `q kᵀ` as the encoder computes it,
 * `matMul(q, k, false, true)` with k laid out [batch, heads, positions, head size], against the same product with
 * k laid out transposed by the permutation that splits the heads ([batch, heads, head size, positions]), so that
 * the kernel's untransposed path runs and no extra transpose is paid. Forward and backward (the gradient to q and
 * k), at the MiniLM and bert-base head sizes, 8 x 128.
 *
 * Why it is measured: on WebAssembly a transposed 2-D operand of BERT's linear layers costs 10-60x (ops/matmul.ts),
 * and issue 21 asked for the attention to be moved the same way. The two layouts alternate round after round and
 * each ratio is the median of the rounds' ratios (the same drift hits both); a ratio above 1 means the
 * untransposed layout is faster.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../random/rng";
import { fmt, textTable } from "./text-table";

export interface AttentionBenchRow {
  backend: string;
  model: "MiniLM" | "bert-base";
  /** batch x heads x positions x head size */
  shape: string;
  flag_ms: number;
  untransposed_ms: number;
  /** flag time / untransposed time, median over rounds: above 1, the untransposed layout is faster. */
  ratio: number;
}

const SHAPES = [
  { model: "MiniLM", heads: 12, headSize: 32 },
  { model: "bert-base", heads: 12, headSize: 64 },
] as const;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Forward and backward of one layout; returns milliseconds. */
async function timedGrad(f: (q: tf.Tensor, k: tf.Tensor) => tf.Tensor, q: tf.Tensor, k: tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(f(a, b)))([q, k]);
  await Promise.all(grads.map((g) => g.data()));
  tf.dispose(grads);
  return performance.now() - t0;
}

export async function benchAttention(
  backend: string,
  options: { batch?: number; seq?: number; rounds?: number; log?: (s: string) => void } = {},
): Promise<AttentionBenchRow[]> {
  const batch = options.batch ?? 8;
  const seq = options.seq ?? 128;
  const rounds = options.rounds ?? 9;
  const rows: AttentionBenchRow[] = [];
  for (const s of SHAPES) {
    const rng = new Rng(5);
    const hidden = (): tf.Tensor =>
      tf.tensor(
        Float32Array.from({ length: batch * seq * s.heads * s.headSize }, () => rng.normal()),
        [batch, seq, s.heads, s.headSize],
      );
    // as the encoder splits its heads: [B, T, nH, dH] -> [B, nH, T, dH]
    const q = tf.transpose(hidden(), [0, 2, 1, 3]);
    const kByRow = hidden();
    const flag = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, tf.transpose(b, [0, 2, 1, 3]), false, true);
    const untransposed = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, tf.transpose(b, [0, 2, 3, 1]));
    try {
      // the same product, or the comparison means nothing
      const [x, y] = [flag(q, kByRow), untransposed(q, kByRow)];
      const diff = (await tf.max(tf.abs(tf.sub(x, y))).data())[0];
      tf.dispose([x, y]);
      if (!(diff < 1e-3)) throw new Error(`attention layouts differ by ${diff}`);
      await timedGrad(flag, q, kByRow);
      await timedGrad(untransposed, q, kByRow);
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < rounds; i++) {
        a.push(await timedGrad(flag, q, kByRow));
        b.push(await timedGrad(untransposed, q, kByRow));
      }
      const row: AttentionBenchRow = {
        backend,
        model: s.model,
        shape: `${batch}x${s.heads}x${seq}x${s.headSize}`,
        flag_ms: median(a),
        untransposed_ms: median(b),
        ratio: median(a.map((t, i) => t / b[i])),
      };
      options.log?.(
        `  ${backend} attention ${s.model}: flag ${row.flag_ms.toFixed(1)} ms, untransposed ${row.untransposed_ms.toFixed(1)} ms`,
      );
      rows.push(row);
    } finally {
      tf.dispose([q, kByRow]);
    }
  }
  return rows;
}

export function attentionTable(rows: AttentionBenchRow[]): string {
  return textTable(
    ["backend", "attention q kT, fwd + bwd", "shape", "flag ms", "untransposed ms", "flag / untransposed"],
    rows.map((r) => [r.backend, r.model, r.shape, fmt(r.flag_ms), fmt(r.untransposed_ms), fmt(r.ratio, 2)]),
  );
}
