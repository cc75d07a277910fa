/**
 * A one-line text progress bar for long loops (training epochs, feature extraction, downloads):
 *
 *   epoch 1/3 [#########...........] 45% 90/200 batches · 1.2 batch/s · 1m10s left · loss 0.4321
 *
 * Where the output can redraw a line (a terminal, or a Jupyter cell: both honour `\r`), the bar is drawn
 * in place, at most every `minIntervalMs`; elsewhere (a log file, a pipe) a line is printed every
 * `everyPercent` percent instead, so logs show progress without thousands of lines. The clock is injectable,
 * so rates and time left are tested without waiting.
 */
import { setting } from "./settings";

export type ProgressMode = "redraw" | "lines";

export interface ProgressOptions {
  total: number;
  /** Text before the bar, e.g. `epoch 1/3`. */
  label?: string;
  /** Plural name of what is counted (`batches`); ignored for bytes. */
  unit?: string;
  /** Name in the rate (`batch/s`); defaults to `unit`. */
  rateUnit?: string;
  /** Count bytes: `1.2/2.6 MB` and `350 kB/s`. */
  bytes?: boolean;
  /** Characters in the bar (default 20). */
  width?: number;
  /** Where the text goes (default: process.stdout). Receives `\r...` in redraw mode, `...\n` in lines mode. */
  write?: (chunk: string) => void;
  /** Default: `detectProgressMode()` for process.stdout. */
  mode?: ProgressMode;
  /** Milliseconds; default Date.now. */
  now?: () => number;
  /** Redraw mode: the least time between two draws (default 200 ms); the first and last are always drawn. */
  minIntervalMs?: number;
  /** Lines mode: a line each time this many percent more are done (default 10). */
  everyPercent?: number;
}

/**
 * Redraw where a person watches a live line: a terminal (TTY), or a Jupyter kernel (tslab), whose stream
 * output applies `\r` in the page. Jupyter starts kernels with `JPY_PARENT_PID` set; tslab's own command
 * line says `tslab kernel`.
 */
export function detectProgressMode(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
  argv: string[] = process.argv,
): ProgressMode {
  if (stream.isTTY) return "redraw";
  if (setting("JPY_PARENT_PID", env) !== undefined || /\btslab\b.*\bkernel\b/.test(argv.join(" "))) return "redraw";
  return "lines";
}

/** `45s`, `1m10s`, `2h05m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

const BYTE_UNITS = ["B", "kB", "MB", "GB", "TB"];

/** Decimal units (as download tools print them): `512 B`, `1.5 kB`, `2.6 MB`. */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0
    ? `${Math.round(value)} B`
    : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${BYTE_UNITS[unit]}`;
}

export interface ProgressState {
  done: number;
  total: number;
  /** Seconds since the start. */
  elapsed: number;
}

/** The bar as text, without `\r` or newline (pure: what `Progress` draws). */
export function formatProgress(
  state: ProgressState,
  options: Omit<ProgressOptions, "total" | "write" | "mode" | "now"> = {},
  extra?: string,
): string {
  const { done, total, elapsed } = state;
  const width = options.width ?? 20;
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const rate = elapsed > 0 ? done / elapsed : 0;
  const count = options.bytes
    ? `${formatBytes(done)}/${formatBytes(total)}`
    : `${done}/${total}${options.unit ? ` ${options.unit}` : ""}`;
  const parts = [[options.label, bar, percent, count].filter(Boolean).join(" ")];
  if (rate > 0) {
    parts.push(
      options.bytes
        ? `${formatBytes(rate)}/s`
        : `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(rate >= 1 ? 1 : 2)} ${options.rateUnit ?? options.unit ?? "it"}/s`,
    );
  }
  if (done >= total) parts.push(`${formatDuration(elapsed)} total`);
  else if (rate > 0) parts.push(`${formatDuration((total - done) / rate)} left`);
  if (extra) parts.push(extra);
  return parts.join(" · ");
}

export class Progress {
  private done = 0;
  private readonly started: number;
  private lastDraw = -Infinity;
  private lastWidth = 0;
  private nextPercent: number;
  private finished = false;
  readonly mode: ProgressMode;
  private readonly write: (chunk: string) => void;
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.mode = options.mode ?? detectProgressMode();
    this.write = options.write ?? ((chunk) => void process.stdout.write(chunk));
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.nextPercent = options.everyPercent ?? 10;
    if (this.mode === "redraw") this.draw(); // an empty bar at once: the work has started
  }

  /** `n` more done; `extra` is appended (e.g. the running loss). */
  tick(n = 1, extra?: string): void {
    this.update(this.done + n, extra);
  }

  /** Set the count done so far. */
  update(done: number, extra?: string): void {
    if (this.finished) return;
    this.done = Math.min(done, this.options.total);
    if (this.done >= this.options.total) {
      this.finish(extra);
      return;
    }
    if (this.mode === "redraw") {
      if (this.now() - this.lastDraw >= (this.options.minIntervalMs ?? 200)) this.draw(extra);
    } else {
      const percent = (100 * this.done) / this.options.total;
      if (percent >= this.nextPercent) {
        this.write(this.text(extra) + "\n");
        const step = this.options.everyPercent ?? 10;
        this.nextPercent = (Math.floor(percent / step) + 1) * step;
      }
    }
  }

  /** Draw the final state and end the line; later calls do nothing. Returns the final text. */
  finish(extra?: string): string {
    const text = this.text(extra);
    if (this.finished) return text;
    this.finished = true;
    this.write(this.mode === "redraw" ? `\r${this.pad(text)}\n` : `${text}\n`);
    return text;
  }

  private text(extra?: string): string {
    return formatProgress(
      { done: this.done, total: this.options.total, elapsed: (this.now() - this.started) / 1000 },
      this.options,
      extra,
    );
  }

  /** Spaces over what a longer previous draw left on the line (a `\r` does not erase it). */
  private pad(text: string): string {
    const padded = text.padEnd(this.lastWidth);
    this.lastWidth = text.length;
    return padded;
  }

  private draw(extra?: string): void {
    this.lastDraw = this.now();
    this.write(`\r${this.pad(this.text(extra))}`);
  }
}
