import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError, describeFault } from "../errors";
import { sweepDeadTemporaries } from "./atomic";

/**
 * Write a whole folder of files so that a reader finds the previous folder or the new one, never a mix or a torso:
 * every file goes into a temporary sibling folder and is flushed, then the sibling takes the folder's name, and the
 * previous folder, moved aside a moment before, is removed. A failure (a full disk, no permission) removes the
 * temporary folder, puts the previous folder back and throws one line saying what failed.
 * The temporaries are named as `writeFileAtomic`'s (`.tmp-<pid>-<time>`), so those of a killed process are swept by
 * the next write beside them. `files` maps plain file names (no folders) to their content.
 *
 * Whether `dir` may be replaced is the caller's decision (an export checks that it holds its own earlier export).
 */
export function writeFolderAtomic(dir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  for (const name of files.keys()) {
    if (!name || name !== path.basename(name) || name === "." || name === "..")
      throw new AdeflowError(`writing ${dir}: "${name}" is not a plain file name`);
  }
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const stamp = `${process.pid}-${Date.now()}`;
  const fresh = `${target}.tmp-${stamp}`;
  const previous = `${target}.replaced.tmp-${stamp}`;
  let movedAside = false;
  let writing = target;
  try {
    fs.mkdirSync(parent, { recursive: true });
    sweepDeadTemporaries(parent);
    fs.mkdirSync(fresh);
    for (const [name, data] of files) {
      writing = path.join(target, name);
      const fd = fs.openSync(path.join(fresh, name), "w");
      try {
        fs.writeFileSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    writing = target;
    if (fs.existsSync(target)) {
      fs.renameSync(target, previous);
      movedAside = true;
    }
    fs.renameSync(fresh, target);
  } catch (err) {
    fs.rmSync(fresh, { recursive: true, force: true });
    if (movedAside && !fs.existsSync(target)) {
      try {
        fs.renameSync(previous, target);
      } catch {
        // only when the parent folder changed under us: say where the previous folder is
        throw new AdeflowError(`writing ${target} failed and the previous folder stays at ${previous}`);
      }
    }
    const line = describeFault(err);
    if (line === undefined) throw err;
    // the file that failed, named where it was going to be (the temporary folder is gone)
    throw new AdeflowError(`writing ${writing} failed, nothing was changed: ${line.replaceAll(fresh, target)}`);
  }
  // the new folder is in place: the previous one is no longer needed (a leftover would be swept as a dead temporary)
  if (movedAside) fs.rmSync(previous, { recursive: true, force: true });
}
