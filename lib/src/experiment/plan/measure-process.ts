/**
 * The probe's process (started by `probeRun`): chooses the backend as a kernel does, fits the profile to it, and
 * times the profile's model on real training rows (`measure.ts`). Its TensorFlow.js memory goes back when it ends.
 */
import { initBackend } from "../../backend";
import { loadCorpus } from "../../corpus/load";
import { AdeflowError } from "../../errors";
import { runStudyPipeline } from "../../pipeline/study-pipeline";
import { chooseTrainingThreads } from "../../train/worker-count";
import { encodeNerRows } from "../ner/data";
import { encodeReRows } from "../re/data";
import { serveIsolatedJob } from "../shared/isolated-runs";
import { currentProfile, fitProfileToBackend } from "../shared/profile";
import { takeRows } from "../shared/task";
import { measureSpeeds } from "./measure";
import { modelToTime, type ProbeJob, type ProbeResult } from "./probe";

/** Micro-batches of rows to time at most, spread over the profile's training rows. */
const SAMPLE_BATCHES = 12;

serveIsolatedJob<ProbeJob, ProbeResult>(async (job, log) => {
  const backend = await initBackend();
  const profile = currentProfile();
  const refitted = fitProfileToBackend(profile, backend.name);
  const result: ProbeResult = {
    backend: {
      name: backend.name,
      description: backend.description,
      threads: backend.threads,
      tensorflow: backend.tensorflow,
    },
    batch: { batchSize: profile.batchSize, accumulationSteps: profile.accumulationSteps, refitted },
    threads: { threads: 1, why: "not measured" },
    architecture: "",
  };
  const corpus = await loadCorpus({ download: false });
  const pipeline = runStudyPipeline(corpus, profile.seed);
  let model: Awaited<ReturnType<typeof modelToTime>>;
  try {
    model = await modelToTime(profile, { corpus, pipeline });
  } catch (err) {
    if (!(err instanceof AdeflowError)) throw err;
    return { ...result, noMeasurement: err.message };
  }
  const c = model.config;
  result.architecture = `${c.num_hidden_layers} layers x ${c.hidden_size}`;
  result.tokenizerNote = model.tokenizerNote;
  result.localBertCached = model.localBertCached;
  const train = takeRows(pipeline.split.train, profile.maxRows.train);
  const n = Math.min(train.length, SAMPLE_BATCHES * profile.batchSize);
  const sample = Array.from({ length: n }, (_, i) => train[Math.floor((i * train.length) / n)]);
  const measurement = await measureSpeeds({
    config: c,
    ner: encodeNerRows(pipeline.ner, sample, model.tokenizer, profile.maxLength).map((e) => e.sequence),
    re: encodeReRows(pipeline.re, sample, model.tokenizer, profile.maxLength).map((e) => e.sequence),
    profile,
    budget: job.budget,
    log,
  });
  result.threads = chooseTrainingThreads({
    backend: backend.name,
    parameters: measurement.parameters,
    rows: profile.batchSize,
  });
  return { ...result, measurement };
});
