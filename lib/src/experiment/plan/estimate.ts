/**
 * Seconds per notebook from the workload (`workload.ts`, counts derived from the profile) and a speed measured on
 * this machine (`measure.ts`: a few training steps of the profile's model at its micro-batch on the backend the
 * kernels will use), and the time left as notebooks finish.
 *
 * A notebook's estimate is its fixed seconds plus, per task, rows trained x seconds per trained row + updates x
 * seconds per update + rows read forward x seconds per row (in batches, or alone), divided by the runs that go
 * side by side. The fixed seconds were measured elsewhere and the speed here, so the two are corrected apart:
 * once notebooks have finished, the fixed part of the rest is scaled by what the finished notebooks without
 * training took against their fixed seconds, and the measured part by what the finished notebooks with training
 * took beyond their (scaled) fixed seconds against their measured part, within [1/4, 4] so that one odd notebook
 * cannot throw the rest far off.
 */
import type { NotebookWork, TaskWork } from "./workload";
import { hasWork } from "./workload";

/** Seconds of one task's steps on this machine, as `measure.ts` times them. */
export interface TaskSpeed {
  /** A training micro-batch (forward and backward, gradients added up), per row. */
  trainPerRow: number;
  /** One optimizer update (AdamW over every weight, with the clipping norm). */
  update: number;
  /** A forward pass in batches of the profile's size (validation loss, predictions), per row. */
  inferPerRow: number;
  /** A forward pass of one row alone. */
  singleRow: number;
}

export interface StepSpeeds {
  ner: TaskSpeed;
  re: TaskSpeed;
}

export interface NotebookEstimate {
  notebook: string;
  /** Seconds that do not scale with the measured speed. */
  fixedSeconds: number;
  /** Seconds of training and prediction at the measured speed (0 for a notebook without either). */
  workSeconds: number;
  seconds: number;
}

const taskSeconds = (w: TaskWork, v: TaskSpeed): number =>
  w.trainRows * v.trainPerRow + w.updates * v.update + w.inferRows * v.inferPerRow + w.singleRows * v.singleRow;

/**
 * Each notebook's estimate. Without a measurement (`speeds` undefined) a notebook that trains or predicts has no
 * estimate (undefined); one that does neither still has its fixed seconds.
 */
export function estimateRun(
  work: readonly NotebookWork[],
  speeds: StepSpeeds | undefined,
): (NotebookEstimate | undefined)[] {
  return work.map((w) => {
    if (!hasWork(w))
      return { notebook: w.notebook, fixedSeconds: w.fixedSeconds, workSeconds: 0, seconds: w.fixedSeconds };
    if (!speeds) return undefined;
    const workSeconds = (taskSeconds(w.ner, speeds.ner) + taskSeconds(w.re, speeds.re)) / Math.max(1, w.runsAtOnce);
    return { notebook: w.notebook, fixedSeconds: w.fixedSeconds, workSeconds, seconds: w.fixedSeconds + workSeconds };
  });
}

/** What a finished notebook took. */
export interface Finished {
  notebook: string;
  seconds: number;
}

export interface Correction {
  /** Applied to the fixed seconds of the notebooks still to run. */
  fixed: number;
  /** Applied to their measured seconds. */
  work: number;
}

const MAX_CORRECTION = 4;
const clamp = (x: number) => Math.min(MAX_CORRECTION, Math.max(1 / MAX_CORRECTION, x));

/** The two factors, from the notebooks finished so far (1 and 1 before any has). */
export function correction(
  estimates: readonly (NotebookEstimate | undefined)[],
  finished: readonly Finished[],
): Correction {
  const byName = new Map(estimates.filter((e): e is NotebookEstimate => !!e).map((e) => [e.notebook, e]));
  let fixedActual = 0;
  let fixedPlanned = 0;
  const trained: { actual: number; estimate: NotebookEstimate }[] = [];
  for (const f of finished) {
    const e = byName.get(f.notebook);
    if (!e) continue;
    if (e.workSeconds > 0) trained.push({ actual: f.seconds, estimate: e });
    else {
      fixedActual += f.seconds;
      fixedPlanned += e.fixedSeconds;
    }
  }
  const fixed = fixedPlanned > 0 ? clamp(fixedActual / fixedPlanned) : 1;
  const beyondFixed = trained.reduce((sum, t) => sum + t.actual - fixed * t.estimate.fixedSeconds, 0);
  const planned = trained.reduce((sum, t) => sum + t.estimate.workSeconds, 0);
  const work = planned > 0 ? clamp(beyondFixed / planned) : 1;
  return { fixed, work };
}

/**
 * Seconds left for the notebooks not yet finished (those after the finished ones, in order), with the correction
 * of what finished applied; undefined when one of them has no estimate.
 */
export function remainingSeconds(
  estimates: readonly (NotebookEstimate | undefined)[],
  finished: readonly Finished[],
): number | undefined {
  const done = new Set(finished.map((f) => f.notebook));
  const c = correction(estimates, finished);
  let left = 0;
  for (const e of estimates) {
    if (e && done.has(e.notebook)) continue;
    if (!e) return undefined;
    left += c.fixed * e.fixedSeconds + c.work * e.workSeconds;
  }
  return left;
}

/** "45 s", "3 min 20 s", "1 h 05 min": whole seconds under a minute, minutes and seconds under an hour. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** "about 3 min", rounded as an estimate is meant: to 5 s under a minute, to the minute under an hour, 5 min above. */
export function formatEstimate(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(5, Math.round(seconds / 5) * 5)} s`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  const minutes = Math.round(seconds / 300) * 5;
  return `about ${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}
