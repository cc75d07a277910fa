import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError } from "../errors";
import { writeFileAtomic } from "../io";
import { dataDir } from "../paths";
import { setting } from "../settings";
import { readBodyWithProgress, type DownloadProgress } from "../download";
import { CORPUS_BASE_URL, CORPUS_FILES, CORPUS_FILE_NAMES, type CorpusFileName } from "./files";

/**
 * Where the corpus comes from, in order: an explicit folder (`--corpus-dir`), the environment variable
 * `ADE_CORPUS_DIR`, else the cache `data/ade-corpus-v2/`, downloaded there from the canonical public copy
 * when missing. Every file is checked against its SHA-256 before use, wherever it came from.
 */
export interface CorpusLocation {
  dir: string;
  origin: "--corpus-dir" | "ADE_CORPUS_DIR" | "cache" | "download";
}

export const sha256 = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");

export function defaultCacheDir(): string {
  return path.join(dataDir(), "ade-corpus-v2");
}

const HOW_TO_GET =
  `Get the files from ${CORPUS_BASE_URL}/ (DRUG-AE.rel, ADE-NEG.txt, DRUG-DOSE.rel), ` +
  "or point ADE_CORPUS_DIR (or --corpus-dir) at a folder holding a copy.";

/** The bytes with every CRLF pair turned into LF (a lone CR stays). */
export function crlfToLf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (!(bytes[i] === 13 && bytes[i + 1] === 10)) out[n++] = bytes[i];
  return out.subarray(0, n);
}

/**
 * Why `bytes` are not the file whose SHA-256 is `expected`, in one sentence, or undefined when they are; `file`
 * names it in the command that fixes it. Line endings are the usual cause on Windows (a checkout with git's
 * core.autocrlf, an editor that saved the file): when the bytes with every CRLF turned into LF have the expected
 * digest, or the file holds CRLF at all, the sentence says so and how to get LF endings back.
 */
export function checksumProblem(bytes: Uint8Array, expected: string, file: string): string | undefined {
  const actual = sha256(bytes);
  if (actual === expected) return undefined;
  const lf = crlfToLf(bytes);
  const crlf = lf.length < bytes.length;
  const digests = `(expected ${expected}, found ${actual})`;
  if (crlf && sha256(lf) === expected)
    return (
      `SHA-256 checksum mismatch ${digests} because the file has Windows line endings (CRLF), as a Windows ` +
      `checkout or an editor writes them; with LF endings it is the right file. Convert it back with ` +
      `\`dos2unix ${file}\` (or \`sed -i 's/\\r$//' ${file}\`), or copy the corpus again with LF endings ` +
      `(for a git checkout: \`git config core.autocrlf false\`, then check it out again)`
    );
  const why = crlf
    ? "It has Windows line endings (CRLF), but with LF endings it still differs: it is not the public ADE Corpus V2 file either way; replace it with a fresh copy."
    : "The file is not the public ADE Corpus V2 file the method was run on; replace it with a fresh copy.";
  return `SHA-256 checksum mismatch ${digests}. ${why}`;
}

/** Check one file's checksum; the error says which file, what was expected and what was found. */
export function verifyCorpusFile(dir: string, name: CorpusFileName): void {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new AdeflowError(`${file}: missing corpus file. ${HOW_TO_GET}`);
  const problem = checksumProblem(fs.readFileSync(file), CORPUS_FILES[name].sha256, file);
  if (problem) throw new AdeflowError(`${file}: ${problem}`);
}

/** A corpus setting that names a file: it wants the folder that holds the three files (perhaps this file's). */
function notAFolder(file: string, origin: string): string {
  const name = path.basename(file);
  const hint = (CORPUS_FILE_NAMES as string[]).includes(name)
    ? `; ${name} is one of the corpus files, so ${origin} should name its folder, ${path.dirname(file)}`
    : `; it should name the folder that holds ${CORPUS_FILE_NAMES.join(", ")}`;
  return `${file} (from ${origin}) is a file, not a folder${hint}`;
}

export interface LocateOptions {
  corpusDir?: string;
  /** Download into the cache when no copy is found (default true). */
  download?: boolean;
  log?: (line: string) => void;
  /** Injected for tests; defaults to the global fetch. */
  fetchImpl?: typeof fetch;
  /**
   * Bytes received, with rate and time left: "auto" (default) redraws a bar on stderr in a terminal or a
   * notebook and prints a line per 10 % through `log` elsewhere; false shows none.
   */
  progress?: DownloadProgress;
}

export async function locateCorpus(options: LocateOptions = {}): Promise<CorpusLocation> {
  const explicit = options.corpusDir ?? setting("ADE_CORPUS_DIR");
  if (explicit) {
    const dir = path.resolve(explicit);
    const origin = options.corpusDir ? "--corpus-dir" : "ADE_CORPUS_DIR";
    if (!fs.existsSync(dir)) throw new AdeflowError(`${dir} (from ${origin}): folder does not exist. ${HOW_TO_GET}`);
    if (!fs.statSync(dir).isDirectory()) throw new AdeflowError(notAFolder(dir, origin));
    for (const name of CORPUS_FILE_NAMES) verifyCorpusFile(dir, name);
    return { dir, origin };
  }
  const dir = defaultCacheDir();
  const missing = CORPUS_FILE_NAMES.filter((name) => !fs.existsSync(path.join(dir, name)));
  if (missing.length === 0) {
    for (const name of CORPUS_FILE_NAMES) verifyCorpusFile(dir, name);
    return { dir, origin: "cache" };
  }
  if (options.download === false) {
    throw new AdeflowError(
      `${dir}: corpus files missing (${missing.join(", ")}) and downloading is off. ${HOW_TO_GET}`,
    );
  }
  for (const name of missing) await downloadCorpusFile(name, dir, options);
  for (const name of CORPUS_FILE_NAMES) verifyCorpusFile(dir, name);
  return { dir, origin: "download" };
}

/**
 * Download one file to a temporary name, verify it, then rename: an interrupted or corrupted download
 * never leaves a file that looks complete.
 */
export async function downloadCorpusFile(
  name: CorpusFileName,
  dir: string,
  options: LocateOptions = {},
): Promise<void> {
  const url = `${CORPUS_BASE_URL}/${name}`;
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const doFetch = options.fetchImpl ?? fetch;
  log(`downloading ${url}`);
  let body: Uint8Array;
  try {
    const response = await doFetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    body = await readBodyWithProgress(response, name, options.progress, log);
  } catch (err) {
    throw new AdeflowError(
      `could not download ${url}: ${(err as Error).message}. Offline? Set ADE_CORPUS_DIR to a local copy of the corpus.`,
    );
  }
  const actual = sha256(body);
  if (actual !== CORPUS_FILES[name].sha256) {
    throw new AdeflowError(
      `${url}: downloaded file fails its SHA-256 check (expected ${CORPUS_FILES[name].sha256}, got ${actual}); nothing was saved.`,
    );
  }
  writeFileAtomic(path.join(dir, name), body);
}
