/**
 * The benches of `adeflow bench`: throughput and memory of the models on every backend, against a peer measured in
 * the same run (PyTorch, or the other arm). A layer of its own, between the experiments (whose models and rows it
 * times) and the applications (the command that calls `runBench`).
 */
export { runBench, benchReport, BENCH_PARTS, type BenchOptions, type BenchPart, type BenchResult } from "./run";
export {
  BENCH_MODELS,
  MINILM_L6_CONFIG,
  randomBatch,
  tinyEncoder,
  benchConfig,
  benchEncoder,
  type BenchModel,
} from "./models";
export { addRatios, benchTable, type BenchRow } from "./backend-rows";
export { addTorchRatios, nativeTable, median, DEFAULT_NATIVE_ITERS, type NativeBenchRow } from "./native";
export { addScaling, defaultThreadCounts, workersTable, type WorkerBenchRow } from "./workers";
export { benchTagging, taggingTable, type TaggingBenchRow } from "./tagging";
export { benchPosHead, posHeadTable, type PosHeadBenchRow } from "./pos-head";
export { benchSteps, stepTable, type StepBenchRow } from "./steps";
export { findTorchPeer, torchCandidates, describeTorchPeer, type TorchPeer } from "./torch-peer";
