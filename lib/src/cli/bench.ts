/**
 * `adeflow bench`: the flags, then one call into the benches (lib/src/bench/, where each part says what it times).
 */
import type { BackendName } from "../backend";
import { BENCH_MODELS, BENCH_PARTS, runBench, type BenchModel } from "../bench";
import { listFlag, numberFlag, UsageError, type Command, type Flags } from "./command";

/** `--workers 1,2,4`: positive whole thread counts, or undefined for the default. */
function threadCountsFlag(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const counts = raw.split(",").map((s) => Number(s.trim()));
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1))
    throw new UsageError(`--workers ${raw}: expected a comma-separated list of thread counts (1, 2, ...)`);
  return counts;
}

/** An optional whole-number flag: undefined when not given. */
function optionalCount(flags: Flags, name: string, rule: { min: number; max?: number }): number | undefined {
  return flags.values.has(name) ? numberFlag(flags, name, 0, { integer: true, ...rule }) : undefined;
}

const BACKENDS: BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

export const benchCommand: Command = {
  path: ["bench"],
  summary: "BERT forward/training throughput and memory per backend (and PyTorch when available)",
  flags: {
    backends: {
      type: "string",
      value: "LIST",
      description: "backends to time, in order (tensorflow, webgpu, wasm, cpu; default all four)",
    },
    models: {
      type: "string",
      value: "LIST",
      description: `what to time: ${BENCH_PARTS.join(", ")} (default all)`,
    },
    workers: {
      type: "string",
      value: "LIST",
      description: "thread counts for the workers rows (default 1, 2, 4 .. cores)",
    },
    "worker-models": {
      type: "string",
      value: "LIST",
      description: "models for the workers rows: tiny, base (default both)",
    },
    "native-models": {
      type: "string",
      value: "LIST",
      description: "models for the native rows: tiny, minilm, base (default all three)",
    },
    "native-batch": { type: "string", value: "N", description: "native rows' micro-batch (default 8)" },
    "native-seq": { type: "string", value: "N", description: "native rows' sequence length, 2..512 (default 128)" },
    "native-iters": {
      type: "string",
      value: "N",
      description: "native rows' timed steps after a warm-up step (default 5; bert-base 3)",
    },
    "native-threads": {
      type: "string",
      value: "N",
      description:
        "threads of TensorFlow and PyTorch in the native rows (default TF_NUM_INTRAOP_THREADS, else the cores)",
    },
    "native-profile": {
      type: "boolean",
      description: "native rows: one more step under tf.profile (kernel time against wall time)",
    },
    full: { type: "boolean", description: "also train bert-base on the slower backends" },
    "no-torch": { type: "boolean", description: "skip the PyTorch comparison" },
    iters: { type: "string", value: "N", description: "timed iterations of the tiny model (default 5)" },
    "base-batch": { type: "string", value: "N", description: "bert-base micro-batch (default 1)" },
    "base-seq": { type: "string", value: "N", description: "bert-base sequence length, 2..512 (default 128)" },
    "base-iters": { type: "string", value: "N", description: "timed iterations of bert-base (default 1)" },
    json: { type: "string", value: "FILE", description: "also write the result as JSON to FILE" },
  },
  async run(flags) {
    await runBench({
      backends: listFlag<BackendName>(flags, "backends", BACKENDS, BACKENDS),
      parts: listFlag(flags, "models", BENCH_PARTS, BENCH_PARTS),
      full: flags.switches.has("full"),
      torch: !flags.switches.has("no-torch"),
      tinyIters: numberFlag(flags, "iters", 5, { integer: true, min: 1 }),
      base: {
        batch: numberFlag(flags, "base-batch", 1, { integer: true, min: 1 }),
        seq: numberFlag(flags, "base-seq", 128, { integer: true, min: 2, max: 512 }),
        iters: numberFlag(flags, "base-iters", 1, { integer: true, min: 1 }),
      },
      workers: {
        threads: threadCountsFlag(flags.values.get("workers")),
        models: listFlag(flags, "worker-models", ["tiny", "base"], ["tiny", "base"]),
      },
      native: {
        models: listFlag<BenchModel>(flags, "native-models", BENCH_MODELS, BENCH_MODELS),
        batch: numberFlag(flags, "native-batch", 8, { integer: true, min: 1 }),
        seq: numberFlag(flags, "native-seq", 128, { integer: true, min: 2, max: 512 }),
        iters: optionalCount(flags, "native-iters", { min: 1 }),
        threads: optionalCount(flags, "native-threads", { min: 1 }),
        profile: flags.switches.has("native-profile"),
      },
      json: flags.values.get("json"),
    });
  },
};
