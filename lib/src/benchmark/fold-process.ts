/**
 * One benchmark fold in a process of its own (started by runBenchmark through runIsolated): loads the same
 * benchmark files and model as the notebook, checks the model by its content hash, trains, predicts, scores and
 * writes the fold as runBenchmarkFold does, and sends the result back.
 */
import { AdeflowError } from "../errors";
import { serveIsolatedJob } from "../experiment/shared/isolated-runs";
import { VariableSnapshot } from "../train/snapshot";
import { prepareBenchmark, runBenchmarkFold, type BenchmarkFoldJob, type FoldResult } from "./protocol";

serveIsolatedJob<BenchmarkFoldJob, FoldResult>(async (job, log) => {
  const setup = await prepareBenchmark(job.profile, { spertDir: job.spertDir });
  if (setup.bert.contentHash !== job.modelHash)
    throw new AdeflowError(
      `fold ${job.fold}: the fold's process loaded another model than the notebook (${setup.bert.model.dir}: content ${setup.bert.contentHash}, expected ${job.modelHash}); was it changed while the benchmark ran?`,
    );
  const snapshot = await VariableSnapshot.take(setup.bert.encoder.variables);
  try {
    return await runBenchmarkFold(setup, job.fold, snapshot, { outDir: job.outDir, log, progress: "lines" });
  } finally {
    snapshot.dispose();
  }
});
