/**
 * A cell's live output (stream chunks from the kernel) shown in a terminal under the notebook's name.
 * Progress bars redraw their line with `\r`: in a terminal the line is redrawn in place too; in a log (not
 * a TTY) only finished lines are printed, plus, for a line that keeps changing without ending, its latest
 * state at most every `quietMs` (so a long epoch still shows signs of life without a line per redraw).
 */
export interface LiveOutputOptions {
  /** Put before every line (e.g. `  [04-ner]   `). */
  prefix: string;
  /** Redraw in place (a terminal) or print whole lines only. */
  tty: boolean;
  /** Terminal mode: raw text, with `\r` and escape codes. */
  write: (chunk: string) => void;
  /** Log mode: one line at a time. */
  line: (line: string) => void;
  now?: () => number;
  /** Log mode: the least time between two printed states of an unfinished line (default 30 s). */
  quietMs?: number;
}

const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
const CLEAR_LINE = "\r\u001b[K";

export class LiveOutput {
  /** The visible text of the line not yet ended by a newline. */
  private pending = "";
  /** Terminal mode: whether `pending` is drawn on the screen (so the next output must end or clear it). */
  private drawn = false;
  private lastPartial: number;
  private readonly now: () => number;

  constructor(private readonly options: LiveOutputOptions) {
    this.now = options.now ?? Date.now;
    this.lastPartial = this.now();
  }

  push(text: string): void {
    const pieces = stripAnsi(text).split("\n");
    pieces.forEach((piece, i) => {
      // `\r` starts the line over: only what follows the last one is visible
      const cr = piece.lastIndexOf("\r");
      this.pending = cr >= 0 ? piece.slice(cr + 1) : this.pending + piece;
      if (i < pieces.length - 1) this.endLine();
    });
    if (!this.pending.trim()) return;
    if (this.options.tty) {
      this.options.write(`${CLEAR_LINE}${this.options.prefix}${this.pending}`);
      this.drawn = true;
    } else if (this.now() - this.lastPartial >= (this.options.quietMs ?? 30_000)) {
      this.options.line(`${this.options.prefix}${this.pending.trimEnd()}`);
      this.lastPartial = this.now();
    }
  }

  /** Before other messages: end a line left unfinished (its last state stays visible). */
  flush(): void {
    if (this.pending.trim()) this.endLine();
    else if (this.drawn) this.options.write(CLEAR_LINE);
    this.pending = "";
    this.drawn = false;
  }

  private endLine(): void {
    const line = this.pending.trimEnd();
    this.pending = "";
    this.lastPartial = this.now();
    if (this.options.tty) {
      if (line) this.options.write(`${CLEAR_LINE}${this.options.prefix}${line}\n`);
      else if (this.drawn) this.options.write(CLEAR_LINE);
      this.drawn = false;
    } else if (line.trim()) {
      this.options.line(`${this.options.prefix}${line}`);
    }
  }
}
