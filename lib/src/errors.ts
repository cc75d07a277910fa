/**
 * Errors that a user can act on. Each names where the problem is (a file, a line, a field)
 * so that a message printed by the CLI or a notebook points straight at the cause.
 */
export class AdeflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdeflowError";
  }
}

/** A problem with one input file, optionally at one line (1-based) and field. */
export class InputFileError extends AdeflowError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(`${file}${line === undefined ? "" : `:${line}`}: ${problem}`);
    this.name = "InputFileError";
  }
}

/** What an operating-system error code means, in words (the codes a user's disk or permissions produce). */
const ERRNO_MEANING: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOENT: "no such file or folder",
  ENOTDIR: "a part of the path is not a folder",
  EISDIR: "is a folder, not a file",
  EEXIST: "already exists",
  EMFILE: "too many open files",
  EIO: "input/output error",
  EBUSY: "resource busy",
  EFBIG: "file too large for this file system or limit",
};

/**
 * One line for an error of the operating system (`fs`, `child_process`): what failed, where and why, e.g.
 * `could not write /out/ner.jsonl: ENOSPC (no space left on the device)`. Undefined for anything else.
 */
export function describeFault(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (!e || typeof e !== "object" || typeof e.code !== "string" || typeof e.syscall !== "string") return undefined;
  const verb: Record<string, string> = {
    open: "open",
    write: "write",
    read: "read",
    rename: "rename",
    mkdir: "create the folder",
    unlink: "remove",
    rmdir: "remove",
    fsync: "flush",
    close: "close",
    scandir: "list",
    stat: "read",
    lstat: "read",
    spawn: "start",
    copyfile: "copy",
  };
  const action = verb[e.syscall.replace(/^spawn.*/, "spawn")] ?? e.syscall;
  const where = [e.path, (e as { dest?: string }).dest].filter(Boolean).join(" -> ");
  return `could not ${action}${where ? ` ${where}` : ""}: ${e.code} (${ERRNO_MEANING[e.code] ?? e.message.replace(/^[A-Z]+: /, "").split(",")[0]})`;
}

/** An operating-system error turned into an `AdeflowError` with `describeFault`'s line; others pass through. */
export function asUserFault(err: unknown, context?: string): unknown {
  const line = describeFault(err);
  if (line === undefined) return err;
  return new AdeflowError(context ? `${context}: ${line}` : line);
}
