import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError, describeFault, InputFileError } from "../errors";

/** Temporary siblings written by this module and by checkpoints: `<name>.tmp-<pid>[-<time>]`. */
const TEMP_NAME = /\.tmp-(\d+)(?:-\d+)?$/;

/** Whether a process with this id is running (on this machine); a process of another user counts. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove the temporary files and folders that processes which are no longer running left in `dir` (a
 * process killed mid-write, a full disk). Live processes' temporaries, this one's included, are kept.
 * Returns the paths removed.
 */
export function sweepDeadTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    const file = path.join(dir, name);
    try {
      fs.rmSync(file, { recursive: true, force: true });
      removed.push(file);
    } catch {
      // another process may be sweeping too, or the folder is read-only: the leftover is harmless
    }
  }
  return removed;
}

/**
 * Write a file so that readers never see half of it: write a temporary sibling, flush it, then rename
 * (rename is atomic within one file system). An interrupted run leaves the old file, or none, never a torso.
 * A failed write (a full disk, no permission) removes its temporary file and throws an `AdeflowError` of one
 * line saying what failed, where and why. Temporaries that dead processes left beside the file are swept first.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    sweepDeadTemporaries(dir);
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // the temporary was never created (its folder is missing or not a folder)
    }
    const line = describeFault(err);
    if (line === undefined) throw err;
    throw new AdeflowError(`writing ${file} failed, nothing was changed: ${line}`);
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

/** JSON Lines, one record per line, written atomically. */
export function writeJsonlAtomic(file: string, records: Iterable<unknown>): void {
  const lines: string[] = [];
  for (const r of records) lines.push(JSON.stringify(r));
  writeFileAtomic(file, lines.join("\n") + (lines.length ? "\n" : ""));
}

/** The 1-based line of a character position. */
function lineAt(text: string, position: number): number {
  let line = 1;
  for (let i = 0; i < position && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Read and parse a JSON file; a missing, unreadable or malformed file is an `InputFileError` naming the file
 * (and, for malformed JSON, the line), with `what` saying what the file is for.
 */
export function readJsonFile<T = unknown>(file: string, what = "JSON file"): T {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new InputFileError(
      file,
      undefined,
      `cannot read this ${what}: ${describeFault(err) ?? (err as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    const message = (err as Error).message;
    // V8 says where in one of two ways, or not at all (then no line is better than a wrong one)
    const at = /at position (\d+)/.exec(message);
    const lineNo = /\(line (\d+) column \d+\)/.exec(message);
    const line = at ? lineAt(text, Number(at[1])) : lineNo ? Number(lineNo[1]) : undefined;
    // the reason without V8's quotation of the text, which can span lines
    const reason = message.split(/ in JSON|, "|, \.\.\.|\n/)[0];
    const problem = text.trim() === "" ? "is empty" : `is not valid JSON (${reason})`;
    throw new InputFileError(file, line, `this ${what} ${problem}`);
  }
}
