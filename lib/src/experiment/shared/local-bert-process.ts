/**
 * Builds a pretrained local BERT in a process of its own (started by ensureLocalBert through runIsolated): the
 * same build as in-process, into the same cache folder, whose memory goes back to the system when it exits.
 */
import { initBackend } from "../../backend";
import { serveIsolatedJob } from "./isolated-runs";
import { ensureLocalBert, type LocalBert, type LocalBertJob } from "./local-bert";

serveIsolatedJob<LocalBertJob, LocalBert>(async (job, log) => {
  await initBackend();
  log(`building in a process of its own (pid ${process.pid}): its memory goes back when it ends`);
  return ensureLocalBert(job.settings, job.data, {
    variant: job.variant,
    cacheDir: job.cacheDir,
    log,
    isolate: false,
  });
});
