/**
 * A small BERT made from the corpus alone, for the `local` profile: a cased WordPiece vocabulary learnt from the
 * pretraining sentences, a BERT of the profile's size with BERT's own initialisation, and masked-language-model
 * pretraining on ADE-NEG's sentences and the training part's DRUG-AE sentences. No test sentence is ever read:
 * the sentences of the test rows of the study's split and of the leak-free split (by document) are removed, and
 * so are ADE-NEG's sentences from the leak-free split's test abstracts.
 *
 * The result is a folder in the Hugging Face layout (config.json, model.safetensors, tokenizer.json,
 * tokenizer_config.json, vocab.txt), so `loadBert`, `adeflow encode` and `adeflow predict` read it unchanged,
 * plus `local-bert.json` (what made it, the fingerprint, the pretraining losses). It is cached under
 * `data/local-bert/<variant>-<fingerprint>/`; the fingerprint covers the settings, the sentences and the
 * format, so a changed corpus or setting builds a new one and an unchanged one is reused. `random` is the
 * same vocabulary and architecture with its initial weights and no pretraining: the comparison arm.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { setting } from "../../settings";
import type { BertConfig } from "../../bert/config";
import { BertEncoder } from "../../bert/encoder";
import { serializeSafetensors, type TensorMap } from "../../io/safetensors";
import { WordAlignedTokenizer } from "../../bert/tokenizer";
import { hubName } from "../../bert/weights";
import { makeTokenizerConfig, makeTokenizerJson, SPECIAL_TOKENS } from "../../bert/wordpiece";
import { trainWordPiece } from "../../bert/wordpiece-trainer";
import type { Corpus } from "../../corpus/records";
import { AdeflowError } from "../../errors";
import { writeFileAtomic, writeJsonAtomic } from "../../io";
import { dataDir } from "../../paths";
import type { StudyPipelineOutput } from "../../pipeline/study-pipeline";
import { splitByGroup } from "../../pipeline/variants";
import { MlmHead, pretrainMlm, type MlmPretrainingResult } from "../../train/mlm";
import * as tf from "@tensorflow/tfjs";
import { runIsolated } from "./isolated-runs";

/** Bumped when what this module writes changes, so older caches are not read as current. */
const FORMAT = 1;

export interface LocalBertSettings {
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  intermediateSize: number;
  /** Positions of the model (the study's inputs are 128 long). */
  maxPositions: number;
  /** Seed of the initial weights, the masking and the batch order. */
  seed: number;
  pretraining: {
    steps: number;
    maxSeconds: number;
    batchSize: number;
    learningRate: number;
    maskProbability: number;
    /** Sentences are cut to this many sub-tokens ([CLS] and [SEP] included). */
    maxLength: number;
  };
}

export type LocalBertVariant = "pretrained" | "random";

export interface PretrainingSentences {
  sentences: string[];
  fromNegatives: number;
  fromTrainingRows: number;
  /** Distinct DRUG-AE sentences of training rows left out because a test row holds them too. */
  excludedTestSentences: number;
  /** ADE-NEG sentences left out because their abstract is a test document of the leak-free split. */
  excludedTestDocumentNegatives: number;
}

/**
 * The unlabelled sentences pretraining may read: ADE-NEG's and the study's training rows' DRUG-AE sentences,
 * none that a test row of the study's split or of the leak-free (by document) split contains.
 */
export function pretrainingSentences(
  corpus: Pick<Corpus, "negatives">,
  pipeline: StudyPipelineOutput,
): PretrainingSentences {
  const sentencesOfRows = (rows: readonly number[]) =>
    new Set(rows.flatMap((r) => pipeline.ner[r].parts.map((p) => pipeline.preprocessed[p].sentence)));
  const leakFree = splitByGroup(pipeline.preprocessed, "document", pipeline.seed);
  const testSentences = sentencesOfRows(pipeline.split.test);
  for (const i of leakFree.test) testSentences.add(pipeline.preprocessed[i].sentence);
  const testDocuments = new Set(leakFree.test.map((i) => pipeline.preprocessed[i].pmid));
  const seen = new Set<string>();
  const sentences: string[] = [];
  let fromNegatives = 0;
  let excludedTestDocumentNegatives = 0;
  for (const n of corpus.negatives) {
    if (testDocuments.has(n.pmid)) {
      excludedTestDocumentNegatives++;
      continue;
    }
    if (seen.has(n.sentence)) continue;
    seen.add(n.sentence);
    sentences.push(n.sentence);
    fromNegatives++;
  }
  let fromTrainingRows = 0;
  let excludedTestSentences = 0;
  for (const s of sentencesOfRows(pipeline.split.train)) {
    if (testSentences.has(s)) {
      excludedTestSentences++;
      continue;
    }
    if (seen.has(s)) continue;
    seen.add(s);
    sentences.push(s);
    fromTrainingRows++;
  }
  return { sentences, fromNegatives, fromTrainingRows, excludedTestSentences, excludedTestDocumentNegatives };
}

export function localBertConfig(settings: LocalBertSettings, vocabSize: number): BertConfig & Record<string, unknown> {
  return {
    architectures: ["BertForMaskedLM"],
    model_type: "bert",
    vocab_size: vocabSize,
    hidden_size: settings.hiddenSize,
    num_hidden_layers: settings.layers,
    num_attention_heads: settings.heads,
    intermediate_size: settings.intermediateSize,
    hidden_act: "gelu",
    max_position_embeddings: settings.maxPositions,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    initializer_range: 0.02,
    pad_token_id: 0,
    position_embedding_type: "absolute",
  };
}

/** What makes a local checkpoint: the settings, the sentences (hashed) and the format. */
export function localBertFingerprint(settings: LocalBertSettings, sentences: readonly string[]): string {
  const h = crypto.createHash("sha256");
  h.update(JSON.stringify({ FORMAT, settings }));
  for (const s of sentences) h.update(s + "\n");
  return h.digest("hex").slice(0, 16);
}

export interface LocalBertInfo {
  variant: LocalBertVariant;
  fingerprint: string;
  settings: LocalBertSettings;
  sentences: Omit<PretrainingSentences, "sentences"> & { total: number };
  vocabulary: { size: number; merges: number; exhausted: boolean };
  pretraining?: Omit<MlmPretrainingResult, "losses"> & { firstLoss: number; lastLoss: number; lossEvery50: number[] };
  created: string;
}

export interface LocalBert {
  dir: string;
  info: LocalBertInfo;
  /** True when the cached folder was reused. */
  reused: boolean;
}

export interface EnsureLocalBertOptions {
  variant?: LocalBertVariant;
  /** Where checkpoints are cached (default data/local-bert). */
  cacheDir?: string;
  log?: (line: string) => void;
  /**
   * Build a pretrained checkpoint in a child process of its own (default true). Pretraining grows the WebAssembly
   * heap to about 1.1 GB, which never shrinks; and a Jupyter kernel that pretrained in-process died later in
   * notebook 04 while fine-tuning (exit status 7, twice; a plain Node process doing the same did not). In its own
   * process the pretraining's memory goes back when it ends, and the kernel only loads the result.
   */
  isolate?: boolean;
}

/** What the parent sends the process that builds a local BERT (local-bert-process.ts). */
export interface LocalBertJob {
  settings: LocalBertSettings;
  data: PretrainingSentences;
  variant: LocalBertVariant;
  cacheDir: string;
}

const LOCAL_BERT_PROCESS = path.join(__dirname, "local-bert-process.js");

export const localBertCacheDir = (): string => setting("ADEFLOW_LOCAL_BERT_DIR") ?? path.join(dataDir(), "local-bert");

const INFO_FILE = "local-bert.json";

function readInfo(dir: string): LocalBertInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, INFO_FILE), "utf8")) as LocalBertInfo;
  } catch {
    return undefined;
  }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * The local checkpoint for these settings and sentences: the cached folder when its fingerprint matches,
 * else built (vocabulary, weights, and for `pretrained` the MLM pretraining within its step and time budget).
 */
export async function ensureLocalBert(
  settings: LocalBertSettings,
  data: PretrainingSentences,
  options: EnsureLocalBertOptions = {},
): Promise<LocalBert> {
  const variant = options.variant ?? "pretrained";
  const log = options.log ?? (() => {});
  const fingerprint = localBertFingerprint(settings, data.sentences);
  const root = options.cacheDir ?? localBertCacheDir();
  const dir = path.join(root, `${variant}-${fingerprint}`);
  const cached = readInfo(dir);
  if (cached && cached.fingerprint === fingerprint && fs.existsSync(path.join(dir, "model.safetensors"))) {
    return { dir, info: cached, reused: true };
  }
  if (data.sentences.length === 0)
    throw new AdeflowError("no sentences to build the local BERT from (is the corpus empty?)");
  if (variant === "pretrained" && (options.isolate ?? true)) {
    const label = "local BERT";
    const [built] = await runIsolated<LocalBertJob, LocalBert>(
      LOCAL_BERT_PROCESS,
      [{ label, message: { settings, data, variant, cacheDir: root } }],
      {
        plan: { processes: 1, threadsPerProcess: 1, why: "one pretraining" },
        backend: tf.getBackend(),
        log: (line) => log(line.startsWith(`[${label}] `) ? line.slice(label.length + 3) : line),
      },
    );
    return built.value;
  }
  const tmp = path.join(root, `.${variant}-${fingerprint}.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    // the RE inputs are lower-cased: the lower-cased forms join the vocabulary's counts (not the pretraining)
    const t0 = Date.now();
    const trained = trainWordPiece([...data.sentences, ...data.sentences.map((s) => s.toLowerCase())], {
      vocabSize: settings.vocabSize,
    });
    log(
      `WordPiece vocabulary: ${trained.vocab.length} pieces from ${trained.words} distinct words (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    const config = localBertConfig(settings, trained.vocab.length);
    writeFileAtomic(path.join(tmp, "config.json"), JSON.stringify(config, null, 2) + "\n");
    writeFileAtomic(path.join(tmp, "vocab.txt"), trained.vocab.join("\n") + "\n");
    writeFileAtomic(path.join(tmp, "tokenizer.json"), JSON.stringify(makeTokenizerJson(trained.vocab)));
    writeFileAtomic(
      path.join(tmp, "tokenizer_config.json"),
      JSON.stringify(makeTokenizerConfig(settings.maxPositions), null, 2) + "\n",
    );
    const encoder = BertEncoder.fromTensors(config, BertEncoder.randomTensors(config, settings.seed), true);
    const head = new MlmHead(encoder, settings.seed);
    let pretraining: LocalBertInfo["pretraining"];
    try {
      if (variant === "pretrained") {
        const tokenizer = await WordAlignedTokenizer.fromDirectory(tmp);
        const sequences = data.sentences.map((s) => {
          const seq = tokenizer.encodeText(s, settings.pretraining.maxLength);
          return Array.from(seq.inputIds.subarray(0, seq.length));
        });
        const idOf = (t: string) => trained.vocab.indexOf(t);
        const p = settings.pretraining;
        log(
          `MLM pretraining on ${sequences.length} sentences: at most ${p.steps} steps of ${p.batchSize} sentences or ${p.maxSeconds} s`,
        );
        const result = await pretrainMlm(
          head,
          sequences,
          { maskId: idOf("[MASK]"), special: SPECIAL_TOKENS.map(idOf), vocabSize: trained.vocab.length },
          {
            steps: p.steps,
            maxSeconds: p.maxSeconds,
            batchSize: p.batchSize,
            learningRate: p.learningRate,
            maskProbability: p.maskProbability,
            seed: settings.seed,
            log: (step, loss, seconds) => log(`  step ${step}: MLM loss ${loss.toFixed(3)} (${seconds.toFixed(0)} s)`),
          },
        );
        const { losses, ...rest } = result;
        const every: number[] = [];
        for (let i = 0; i < losses.length; i += 50) every.push(Number(mean(losses.slice(i, i + 50)).toFixed(4)));
        pretraining = { ...rest, firstLoss: losses[0], lastLoss: losses[losses.length - 1], lossEvery50: every };
      }
      const tensors: TensorMap = new Map();
      for (const [name, t] of await encoder.toTensorMap(false)) tensors.set(hubName(name), t);
      for (const [name, t] of await head.toTensorMap()) tensors.set(name, t);
      writeFileAtomic(
        path.join(tmp, "model.safetensors"),
        serializeSafetensors(tensors, {
          format: "pt",
          generator: `adeflow local-bert ${variant}`,
          seed: String(settings.seed),
        }),
      );
    } finally {
      head.dispose();
      encoder.dispose();
    }
    const { sentences, ...counts } = data;
    const info: LocalBertInfo = {
      variant,
      fingerprint,
      settings,
      sentences: { ...counts, total: sentences.length },
      vocabulary: { size: trained.vocab.length, merges: trained.merges, exhausted: trained.exhausted },
      pretraining,
      created: new Date().toISOString(),
    };
    writeJsonAtomic(path.join(tmp, INFO_FILE), info);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    return { dir, info, reused: false };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** A few lines on a local BERT: where it is, what it was made from, how its pretraining went. */
export function describeLocalBert(local: LocalBert): string {
  const { info } = local;
  const s = info.settings;
  const lines = [
    `local BERT (${info.variant}, fingerprint ${info.fingerprint}): ${local.reused ? "reused from" : "built in"} ${local.dir}`,
    `  ${s.layers} layers x ${s.hiddenSize} hidden, ${s.heads} heads, ${s.intermediateSize} intermediate; WordPiece vocabulary of ${info.vocabulary.size} pieces`,
    `  sentences: ${info.sentences.total} (ADE-NEG ${info.sentences.fromNegatives}, training rows' DRUG-AE ${info.sentences.fromTrainingRows}); ` +
      `left out: ${info.sentences.excludedTestSentences} sentences of test rows, ${info.sentences.excludedTestDocumentNegatives} ADE-NEG sentences of leak-free test abstracts`,
  ];
  const p = info.pretraining;
  if (p) {
    lines.push(
      `  MLM pretraining: ${p.steps} steps in ${p.seconds.toFixed(0)} s (${p.stoppedByTime ? `stopped by the ${s.pretraining.maxSeconds} s budget` : "the full step budget"}), ` +
        `${p.tokensSeen} tokens; loss ${p.firstLoss.toFixed(3)} at the first step, ${p.lastLoss.toFixed(3)} at the last (means per 50 steps: ${p.lossEvery50.join(", ")})`,
    );
  } else lines.push("  no pretraining: BERT's initial weights (the comparison arm)");
  return lines.join("\n");
}
