/**
 * One ablation run in a process of its own (started by runPosAblation through runIsolated): prepares the same
 * rows and model the notebook prepared, checks that they are the same by the run's fingerprint, trains and
 * evaluates the run, and sends the result back. Its WebAssembly heap goes back to the system when it exits.
 */
import { AdeflowError } from "../../errors";
import { serveIsolatedJob } from "../shared/isolated-runs";
import { ablationRunFingerprint, preparePosAblation, runAblationArm, type AblationJob, type AblationRun } from "./run";

serveIsolatedJob<AblationJob, AblationRun>(async (job, log) => {
  const setup = await preparePosAblation(job.profile);
  const fingerprint = ablationRunFingerprint(setup, job.arm, job.seed, job.posEmbeddingSize);
  if (fingerprint !== job.fingerprint)
    throw new AdeflowError(
      `${job.arm}, seed ${job.seed}: the run's process prepared other rows or another model than the notebook (fingerprints differ: ${fingerprint} vs ${job.fingerprint}); was the corpus or the model changed while it ran?`,
    );
  log(`${job.arm}, seed ${job.seed}: training (pid ${process.pid})`);
  return runAblationArm(setup, job.arm, job.seed, job.posEmbeddingSize, log);
});
