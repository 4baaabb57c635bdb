/** The span queried for a job, in ms, and the step in whole seconds. */
export interface QueryWindow {
  startMs: number;
  endMs: number;
  stepSec: number;
}

/**
 * The job's window for `query_range`: start − margin .. (finish or now) + margin, never
 * past now, on whole seconds; the step is the smallest whole number of seconds (at least
 * `minStepSec`, the scrape interval) that keeps the series at or under `maxPoints`.
 */
export function jobWindow(options: {
  startedAt: number;
  finishedAt: number | null;
  now: number;
  marginSec: number;
  maxPoints: number;
  minStepSec: number;
}): QueryWindow {
  const margin = options.marginSec * 1000;
  const startMs = Math.floor((options.startedAt - margin) / 1000) * 1000;
  const end = Math.min(options.now, (options.finishedAt ?? options.now) + margin);
  const endMs = Math.max(startMs, Math.floor(end / 1000) * 1000);
  return {
    startMs,
    endMs,
    stepSec: stepFor(startMs, endMs, options.maxPoints, options.minStepSec),
  };
}

/** Smallest whole-second step ≥ minStepSec with at most `maxPoints` samples in [start, end]. */
export function stepFor(
  startMs: number,
  endMs: number,
  maxPoints: number,
  minStepSec: number,
): number {
  if (maxPoints < 2) throw new RangeError(`maxPoints must be at least 2, got ${maxPoints}`);
  const spanSec = Math.max(0, (endMs - startMs) / 1000);
  // floor(span / step) + 1 samples ≤ maxPoints  ⇔  span / step < maxPoints  ⇔  step > span / maxPoints
  return Math.max(1, Math.ceil(minStepSec), Math.floor(spanSec / maxPoints) + 1);
}

/** The sample times Prometheus answers for a window: start, start + step, … ≤ end. */
export function sampleTimes(window: QueryWindow): number[] {
  const out: number[] = [];
  const stepMs = window.stepSec * 1000;
  for (let at = window.startMs; at <= window.endMs; at += stepMs) out.push(at);
  return out;
}
