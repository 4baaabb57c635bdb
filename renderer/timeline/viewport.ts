/** A span of time shown on the timeline, in ms since the epoch; `to` > `from`. */
export interface TimeWindow {
  from: number;
  to: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The zoom presets, in hours (the toolbar's buttons). */
export const PRESET_HOURS = [1, 3, 6, 12, 24] as const;
/** Narrowest window: five minutes still shows a short job as a bar with its name. */
export const MIN_SPAN_MS = 5 * MINUTE;
/** Widest window: the day the renderer asks the host for. */
export const MAX_SPAN_MS = 24 * HOUR;

/** How far the view may be panned: the data the host sent, plus a little room after now. */
export interface PanBounds {
  min: number;
  max: number;
}

/** The span clamped to [MIN_SPAN_MS, min(MAX_SPAN_MS, bounds)] and the window moved inside bounds. */
export function clampWindow(window: TimeWindow, bounds: PanBounds): TimeWindow {
  const room = Math.max(MIN_SPAN_MS, bounds.max - bounds.min);
  const span = Math.min(Math.max(window.to - window.from, MIN_SPAN_MS), MAX_SPAN_MS, room);
  let from = window.from;
  if (from + span > bounds.max) from = bounds.max - span;
  if (from < bounds.min) from = bounds.min;
  return { from, to: from + span };
}

/** The last `hours` up to `end`. */
export function presetWindow(hours: number, end: number, bounds: PanBounds): TimeWindow {
  return clampWindow({ from: end - hours * HOUR, to: end }, bounds);
}

/**
 * Zooms by `factor` (< 1 zooms in) keeping the time under the anchor where it is: the
 * anchor is a fraction of the width (0 = left edge, 1 = right edge), e.g. the cursor.
 */
export function zoomAt(
  window: TimeWindow,
  anchor: number,
  factor: number,
  bounds: PanBounds,
): TimeWindow {
  const a = Math.min(1, Math.max(0, anchor));
  const span = window.to - window.from;
  const pivot = window.from + a * span;
  const next = Math.min(Math.max(span * factor, MIN_SPAN_MS), MAX_SPAN_MS);
  return clampWindow({ from: pivot - a * next, to: pivot - a * next + next }, bounds);
}

/** Moves the window by `deltaMs` (negative = back in time), staying inside bounds. */
export function panBy(window: TimeWindow, deltaMs: number, bounds: PanBounds): TimeWindow {
  return clampWindow({ from: window.from + deltaMs, to: window.to + deltaMs }, bounds);
}

/** Zoom factor of one wheel event: smooth for trackpads, one step per mouse notch. */
export function wheelZoomFactor(deltaY: number, deltaMode: number): number {
  // deltaMode 1 = lines (a mouse wheel in Firefox), 0 = pixels.
  const pixels = deltaMode === 1 ? deltaY * 16 : deltaY;
  return Math.exp(Math.max(-400, Math.min(400, pixels)) * 0.002);
}

/** X of a time, for a time axis that starts at `x0` and is `width` wide. */
export function timeToX(t: number, window: TimeWindow, x0: number, width: number): number {
  return x0 + ((t - window.from) / (window.to - window.from)) * width;
}

/** Time at an x position of the axis. */
export function xToTime(x: number, window: TimeWindow, x0: number, width: number): number {
  return window.from + ((x - x0) / width) * (window.to - window.from);
}

/** True when the window's end is (about) now: new data keeps it following now. */
export function isLive(window: TimeWindow, now: number): boolean {
  return Math.abs(window.to - now) <= Math.max(MINUTE, (window.to - window.from) * 0.02);
}

const TICK_STEPS = [
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
];

/**
 * The tick step for an axis: the smallest of the usual steps that keeps ticks at least
 * `minGapPx` apart, so labels never overlap.
 */
export function tickStep(window: TimeWindow, widthPx: number, minGapPx = 80): number {
  const msPerPx = (window.to - window.from) / Math.max(1, widthPx);
  for (const step of TICK_STEPS) if (step / msPerPx >= minGapPx) return step;
  return TICK_STEPS[TICK_STEPS.length - 1] ?? HOUR;
}

/**
 * First tick at or after `from`, on a multiple of `step` in local time (`offsetMs` is the
 * time zone's offset from UTC), so labels read 10:00, 10:15…
 */
export function firstTick(from: number, step: number, offsetMs: number): number {
  return Math.ceil((from + offsetMs) / step) * step - offsetMs;
}
