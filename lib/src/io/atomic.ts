import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Write a file so that readers never see half of it: write a temporary sibling, flush it, then rename
 * (rename is atomic within one file system). An interrupted run leaves the old file, or none, never a torso.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
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
