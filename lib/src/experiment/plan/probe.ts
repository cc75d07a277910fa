/**
 * The probe `adeflow reproduce` makes before the notebooks run: in a process of its own (its TensorFlow.js memory
 * goes back when it ends, before the first kernel starts), the backend the kernels will choose from the same
 * environment, and the speeds of the profile's model on it (`measure.ts`). The parent learns the backend, the
 * training threads, the micro-batch the profile takes on that backend, and the speeds, or why there are none.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readBertConfig, BERT_BASE_CASED_CONFIG, type BertConfig } from "../../bert/config";
import { DEFAULT_MODEL, resolveModel } from "../../bert/checkpoint";
import { WordAlignedTokenizer } from "../../bert/tokenizer";
import type { Corpus } from "../../corpus/records";
import { AdeflowError } from "../../errors";
import { tinyCheckpointDir } from "../../paths";
import type { StudyPipelineOutput } from "../../pipeline/study-pipeline";
import { setting } from "../../settings";
import type { ThreadChoice } from "../../train/worker-count";
import { runIsolated } from "../shared/isolated-runs";
import { localBertCacheDir, localBertConfig, localBertFingerprint, pretrainingSentences } from "../shared/local-bert";
import { LOCAL_MODEL, type Profile } from "../shared/profile";
import type { Measurement } from "./measure";

/** What the probe's process sends back. */
export interface ProbeResult {
  backend: { name: string; description: string; threads?: number; tensorflow?: string };
  /** The micro-batch split the profile trains with on this backend (quick's 2 x 16 becomes 8 x 4 off WebAssembly). */
  batch: { batchSize: number; accumulationSteps: number; refitted?: string };
  /** Threads `fitStudy` trains the model on, and why. */
  threads: ThreadChoice;
  /** The architecture timed ("4 layers x 128"), and where its tokenizer came from when it is a stand-in. */
  architecture: string;
  tokenizerNote?: string;
  /** Whether the `local` profile's corpus BERT is already built (undefined for other profiles). */
  localBertCached?: boolean;
  measurement?: Measurement;
  /** Why there is no measurement. */
  noMeasurement?: string;
}

export interface ProbeJob {
  /** Seconds of timed micro-batches per task. */
  budget?: { ner: number; re: number };
}

/** The architecture and tokenizer to time, without downloading anything. */
export async function modelToTime(
  profile: Profile,
  data: { corpus: Pick<Corpus, "negatives">; pipeline: StudyPipelineOutput },
): Promise<{ config: BertConfig; tokenizer: WordAlignedTokenizer; tokenizerNote?: string; localBertCached?: boolean }> {
  const stand = () => WordAlignedTokenizer.fromDirectory(tinyCheckpointDir());
  if (profile.model === LOCAL_MODEL && profile.localBert) {
    const settings = profile.localBert;
    const fingerprint = localBertFingerprint(settings, pretrainingSentences(data.corpus, data.pipeline).sentences);
    const dir = path.join(localBertCacheDir(), `${settings.initialisation}-${fingerprint}`);
    if (fs.existsSync(path.join(dir, "model.safetensors")) && fs.existsSync(path.join(dir, "config.json")))
      return {
        config: readBertConfig(path.join(dir, "config.json")),
        tokenizer: await WordAlignedTokenizer.fromDirectory(dir),
        localBertCached: true,
      };
    return {
      config: localBertConfig(settings, settings.vocabSize),
      tokenizer: await stand(),
      tokenizerNote: "rows cut by the tiny checkpoint's tokenizer: the corpus vocabulary is not built yet",
      localBertCached: false,
    };
  }
  try {
    const model = await resolveModel(profile.model, { allowDownload: false });
    return {
      config: readBertConfig(path.join(model.dir, "config.json")),
      tokenizer: await WordAlignedTokenizer.fromDirectory(model.dir),
    };
  } catch (err) {
    if (!(err instanceof AdeflowError)) throw err;
    if (profile.model !== DEFAULT_MODEL) throw new AdeflowError(`${profile.model} is not on this machine yet`);
    return {
      config: BERT_BASE_CASED_CONFIG,
      tokenizer: await stand(),
      tokenizerNote: `${DEFAULT_MODEL} is not downloaded yet: its architecture, rows cut by the tiny checkpoint's tokenizer`,
    };
  }
}

/** The compiled module the probe's process starts from. */
const PROBE_PROCESS = path.join(__dirname, "measure-process.js");

/**
 * Runs the probe in a child process with the kernels' environment `env`; a probe that fails or takes longer than
 * `timeoutMs` is reported as an error (the caller goes on without an estimate).
 */
export async function probeRun(
  env: NodeJS.ProcessEnv,
  options: ProbeJob & { timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const [outcome] = await runIsolated<ProbeJob, ProbeResult>(
    PROBE_PROCESS,
    [{ label: "measurement", message: { budget: options.budget } }],
    {
      plan: { processes: 1, why: "one probe" },
      // empty: the child chooses as the kernels will, unless the environment forces a backend
      backend: setting("ADEFLOW_BACKEND", env) ?? "",
      env,
      // bert-base on WebAssembly, one thread: 78 s here; a loaded machine takes longer
      timeoutMs: options.timeoutMs ?? 300_000,
    },
  );
  return outcome.value;
}
