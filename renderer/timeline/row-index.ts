import type {
  TimelineDiskSample,
  TimelineJob,
  TimelineMark,
  TimelineRow,
} from '../../shared/timeline';

/**
 * A row's jobs as flat arrays sorted by start, with the running maximum of their ends, so
 * the jobs overlapping a window are found by two binary searches instead of a scan: the
 * draw cost follows what is visible, not how many jobs the row holds.
 */
export interface RowIndex {
  readonly jobs: readonly TimelineJob[];
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  /** maxEnd[i] = max(ends[0..i]); non-decreasing. */
  readonly maxEnd: Float64Array;
  /**
   * Lane of each job: jobs that overlap in time (a dedicated host running several at once,
   * the unplaced row) are drawn in lanes stacked within the bar's height.
   */
  readonly lanes: Uint8Array;
  /** Lanes drawn (at most MAX_LANES; more overlapping jobs share lanes). */
  readonly laneCount: number;
  readonly disk: readonly TimelineDiskSample[];
  /** Disk samples' start times, sorted. */
  readonly diskAt: Float64Array;
  readonly marks: readonly TimelineMark[];
  /** Marks' times, sorted. */
  readonly markAt: Float64Array;
}

/** Most lanes a row is split into; past that a 5 px bar would no longer be hit or read. */
export const MAX_LANES = 3;

/** Height of one lane's bar within the bar area. */
export function laneHeight(index: RowIndex, barHeight: number): number {
  return index.laneCount === 1 ? barHeight : Math.floor(barHeight / index.laneCount) - 1;
}

/** Top offset of job i's lane within the row. */
export function laneTop(index: RowIndex, i: number, barTop: number, barHeight: number): number {
  if (index.laneCount === 1) return barTop;
  return barTop + (index.lanes[i] ?? 0) * Math.floor(barHeight / index.laneCount);
}

/** Top offset and height of job i's lane (hit testing and tests). */
export function laneBox(
  index: RowIndex,
  i: number,
  barTop: number,
  barHeight: number,
): [number, number] {
  return [laneTop(index, i, barTop, barHeight), laneHeight(index, barHeight)];
}

/** Indexes one row; running jobs end at `now`. */
export function buildRowIndex(row: TimelineRow, now: number): RowIndex {
  const jobs = [...row.jobs].sort((a, b) => a.startedAt - b.startedAt || a.jobId - b.jobId);
  const n = jobs.length;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  const maxEnd = new Float64Array(n);
  let running = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const job = jobs[i];
    if (!job) continue;
    starts[i] = job.startedAt;
    ends[i] = Math.max(job.startedAt, job.finishedAt ?? now);
    running = Math.max(running, ends[i] ?? running);
    maxEnd[i] = running;
  }
  const lanes = new Uint8Array(n);
  const laneEnds: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = starts[i] ?? 0;
    let lane = laneEnds.findIndex((end) => end <= start);
    if (lane === -1) {
      lane = laneEnds.length;
      laneEnds.push(0);
    }
    laneEnds[lane] = ends[i] ?? start;
    lanes[i] = lane % MAX_LANES;
  }
  const laneCount = Math.max(1, Math.min(MAX_LANES, laneEnds.length));
  const disk = [...row.disk].sort((a, b) => a.at - b.at);
  const marks = [...row.marks].sort((a, b) => a.at - b.at);
  const diskAt = Float64Array.from(disk, (s) => s.at);
  const markAt = Float64Array.from(marks, (m) => m.at);
  return { jobs, starts, ends, maxEnd, lanes, laneCount, disk, diskAt, marks, markAt };
}

/** First index whose value is ≥ `value` in a non-decreasing array (its length when none). */
export function lowerBound(values: Float64Array, value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > `value` in a non-decreasing array. */
export function upperBound(values: Float64Array, value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] ?? 0) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The index range [lo, hi) holding every job that overlaps [from, to]: no job before `lo`
 * ends at or after `from`, none from `hi` on starts at or before `to`. Jobs inside the range
 * may still end before `from` (a long job earlier keeps the running maximum up); the
 * caller skips those with one comparison each.
 */
export function visibleJobRange(index: RowIndex, from: number, to: number): [number, number] {
  const lo = firstVisibleJob(index, from);
  return [lo, Math.max(lo, endVisibleJob(index, to))];
}

/** `lo` of visibleJobRange, without building a tuple (the draw loop calls it per row). */
export function firstVisibleJob(index: RowIndex, from: number): number {
  return lowerBound(index.maxEnd, from);
}

/** `hi` of visibleJobRange (may be below `lo` when nothing is visible). */
export function endVisibleJob(index: RowIndex, to: number): number {
  return upperBound(index.starts, to);
}
