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
