import type { TimelineJob, TimelineMark } from '../../shared/timeline';
import { BAR_HEIGHT, BAR_TOP, plotWidth, rowAt, rowTop, type TimelineLayout } from './layout';
import { laneBox, lowerBound, upperBound, visibleJobRange, type RowIndex } from './row-index';
import { timeToX, xToTime, type TimeWindow } from './viewport';

/** What is under the pointer. */
export type TimelineHit =
  | { kind: 'job'; row: number; index: number; job: TimelineJob }
  | { kind: 'mark'; row: number; index: number; mark: TimelineMark }
  | { kind: 'row'; row: number }
  | null;

/** A hit with where it came from: the keyboard's choice shows its tooltip at the bar. */
export type Pointed = { hit: TimelineHit; x: number; y: number; byKeyboard: boolean };

/** Bars narrower than this are drawn this wide, and hit-tested the same. */
export const MIN_BAR_PX = 2;
/** How close (px) the pointer must be to a mark to hit it. */
export const MARK_HIT_PX = 6;

/**
 * The job, mark or row under (x, y). Marks win over jobs (they are drawn on top), later
 * jobs over earlier ones (same reason). Uses the row index: cost is the jobs near x.
 */
export function hitTest(
  indexes: readonly RowIndex[],
  layout: TimelineLayout,
  window: TimeWindow,
  x: number,
  y: number,
): TimelineHit {
  if (x < layout.labelWidth) {
    const row = rowAt(layout, y);
    return row === null ? null : { kind: 'row', row };
  }
  const row = rowAt(layout, y);
  if (row === null) return null;
  const index = indexes[row];
  if (!index) return null;
  const x0 = layout.labelWidth;
  const width = plotWidth(layout);
  const msPerPx = (window.to - window.from) / width;
  const t = xToTime(x, window, x0, width);

  const slack = MARK_HIT_PX * msPerPx;
  const mFrom = lowerBound(index.markAt, t - slack);
  const mTo = upperBound(index.markAt, t + slack);
  if (mTo > mFrom) {
    // The nearest mark within reach.
    let best = mFrom;
    for (let i = mFrom + 1; i < mTo; i++) {
      if (Math.abs((index.markAt[i] ?? 0) - t) < Math.abs((index.markAt[best] ?? 0) - t)) best = i;
    }
    const mark = index.marks[best];
    if (mark) return { kind: 'mark', row, index: best, mark };
  }

  const top = rowTop(layout, row);
  if (y >= top + BAR_TOP && y <= top + BAR_TOP + BAR_HEIGHT) {
    const pad = MIN_BAR_PX * msPerPx;
    const [lo, hi] = visibleJobRange(index, t - pad, t + pad);
    for (let i = hi - 1; i >= lo; i--) {
      const start = index.starts[i] ?? 0;
      const end = index.ends[i] ?? 0;
      const left = timeToX(start, window, x0, width);
      const right = Math.max(left + MIN_BAR_PX, timeToX(end, window, x0, width));
      const [laneTop, laneHeight] = laneBox(index, i, BAR_TOP, BAR_HEIGHT);
      const inLane = y >= top + laneTop - 1 && y <= top + laneTop + laneHeight + 1;
      if (inLane && x >= left - 1 && x <= right + 1) {
        const job = index.jobs[i];
        if (job) return { kind: 'job', row, index: i, job };
      }
    }
  }
  return { kind: 'row', row };
}
