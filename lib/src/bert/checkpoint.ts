/**
 * Resolving and loading a BERT checkpoint.
 *
 * A model reference is either
 *  - a local folder in the Hugging Face layout: config.json, model.safetensors, and
 *    tokenizer.json (+ tokenizer_config.json) or vocab.txt; or
 *  - a hub id (default `bert-base-cased`, overridable with env ADEFLOW_MODEL), looked up in
 *    the @huggingface/transformers file cache (`env.cacheDir/<id>/<file>`, the same layout
 *    transformers.js uses for the `main` revision), downloaded there from
 *    `env.remoteHost` + `env.remotePathTemplate` when missing and remote models are allowed.
 *
 * Offline without a local copy this fails with an AdeflowError that says how to point at a
 * local folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { AdeflowError } from "../errors";
import { setting } from "../settings";
import { readBodyWithProgress } from "../download";
import { readBertConfig, type BertConfig } from "./config";
import { readSafetensors } from "../io/safetensors";
import { writeFileAtomic } from "../io";
import { mapEncoderWeights } from "./weights";
import { BertEncoder } from "./encoder";
import { WordAlignedTokenizer } from "./tokenizer";

export const DEFAULT_MODEL = "bert-base-cased";
const REQUIRED = ["config.json", "model.safetensors"];
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "vocab.txt"];

export interface ResolvedModel {
  /** What the user asked for (hub id or path). */
  reference: string;
  /** Local folder holding the files. */
  dir: string;
  source: "local" | "cache" | "download";
}

/** The model reference to use: explicit > env ADEFLOW_MODEL > bert-base-cased. */
export function defaultModelReference(explicit?: string): string {
  return explicit ?? setting("ADEFLOW_MODEL") ?? DEFAULT_MODEL;
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

export async function resolveModel(reference?: string, opts: { allowDownload?: boolean } = {}): Promise<ResolvedModel> {
  const ref = defaultModelReference(reference);
  if (looksLikePath(ref)) {
    const dir = path.resolve(ref.replace(/^~(?=$|\/)/, setting("HOME") ?? "~"));
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new AdeflowError(`model folder ${dir} does not exist`);
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
  const cacheRoot = tr.env.cacheDir ?? path.resolve(".cache");
  const dir = path.join(cacheRoot, ref);
  if (hasModelFiles(dir)) return { reference: ref, dir, source: "cache" };
  if (opts.allowDownload === false || !tr.env.allowRemoteModels || setting("HF_HUB_OFFLINE") === "1") {
    throw new AdeflowError(`model "${ref}" is not cached in ${dir} and downloads are disabled. ${offlineHelp(ref)}`);
  }
  const base =
    tr.env.remoteHost + tr.env.remotePathTemplate.replaceAll("{model}", ref).replaceAll("{revision}", "main");
  const fetchFile = async (file: string, required: boolean): Promise<boolean> => {
    const target = path.join(dir, file);
    if (fs.existsSync(target)) return true;
    const url = base.replace(/\/?$/, "/") + file;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new AdeflowError(
        `model "${ref}" is not cached in ${dir} and ${url} cannot be reached (${(e as Error).message}). ${offlineHelp(ref)}`,
      );
    }
    if (!res.ok) {
      if (!required) return false;
      throw new AdeflowError(`downloading ${url} failed: HTTP ${res.status}. ${offlineHelp(ref)}`);
    }
    // the weights are 400+ MB: a bar with rate and time left (stderr, so stdout stays the command's output)
    writeFileAtomic(target, await readBodyWithProgress(res, `${ref}/${file}`, "auto", (line) => console.error(line)));
    return true;
  };
  for (const f of REQUIRED) await fetchFile(f, true);
  let anyTok = false;
  for (const f of TOKENIZER_FILES) anyTok = (await fetchFile(f, false)) || anyTok;
  if (!anyTok) throw new AdeflowError(`model "${ref}" has no tokenizer.json or vocab.txt on the hub`);
  return { reference: ref, dir, source: "download" };
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
  opts: { trainable?: boolean; allowDownload?: boolean } = {},
): Promise<LoadedBert> {
  const model = await resolveModel(reference, opts);
  const config = readBertConfig(path.join(model.dir, "config.json"));
  const file = path.join(model.dir, "model.safetensors");
  const weights = mapEncoderWeights(readSafetensors(file), config, file);
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
