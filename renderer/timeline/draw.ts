import type { TimelineMarkKind, TimelineRow } from '../../shared/timeline';
import type { TimelineHit } from './hit-test';
import { MIN_BAR_PX } from './hit-test';
import {
  BAR_HEIGHT,
  BAR_TOP,
  plotWidth,
  rowTop,
  STRIP_HEIGHT,
  STRIP_TOP,
  visibleRows,
  type TimelineLayout,
} from './layout';
import { diskColour, type TimelinePalette, type TimelinePatterns } from './palette';
import {
  endVisibleJob,
  firstVisibleJob,
  laneHeight,
  laneTop,
  lowerBound,
  upperBound,
  type RowIndex,
} from './row-index';
import { firstTick, tickStep, timeToX, type TimeWindow } from './viewport';

/** Disk thresholds of a row's fleet (the strip's colour steps). */
export interface RowLevels {
  warnPct: number;
  killPct: number;
}

/** Everything one frame draws. Built once per data change; the draw loop only reads it. */
export interface TimelineScene {
  rows: readonly TimelineRow[];
  indexes: readonly RowIndex[];
  levels: readonly RowLevels[];
  /** Times of every row's kills, sorted (see killTimes): drawn on the axis. */
  killAt: Float64Array;
  layout: TimelineLayout;
  window: TimeWindow;
  now: number;
  /** Before this, no job history was kept (drawn hatched). */
  jobsSince: number | null;
  diskBucketMs: number;
  selectedRow: number | null;
  selectedJobKey: string | null;
  hover: TimelineHit;
  palette: TimelinePalette;
  patterns: TimelinePatterns;
  /** Local time zone offset from UTC in ms (ticks fall on local hours). */
  tzOffsetMs: number;
  formatTick(t: number, step: number): string;
  /** Text caches kept across frames, so steady frames measure and allocate nothing. */
  cache: DrawCache;
  /** What the last frame drew, for tests and the benchmark. */
  stats: { rows: number; jobs: number };
}

/** Measured and truncated strings, reused across frames. */
export interface DrawCache {
  /** Row label → the label cut to fit `max` px. */
  labels: Map<string, { max: number; text: string }>;
  widths: Map<string, number>;
  ticks: Map<number, string>;
}

/** An empty cache; drop it when the font or the label width changes. */
export function createDrawCache(): DrawCache {
  return { labels: new Map(), widths: new Map(), ticks: new Map() };
}

/** Every row's kill times, sorted, so the axis finds those in the window by binary search. */
export function killTimes(indexes: readonly RowIndex[]): Float64Array {
  const times: number[] = [];
  for (const index of indexes)
    for (const mark of index.marks) if (mark.kind === 'killed') times.push(mark.at);
  return Float64Array.from(times.sort((a, b) => a - b));
}

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const FONT_ITALIC = 'italic 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const CACHE_MAX = 20_000;

function measure(ctx: CanvasRenderingContext2D, cache: DrawCache, text: string): number {
  let width = cache.widths.get(text);
  if (width === undefined) {
    if (cache.widths.size > CACHE_MAX) cache.widths.clear();
    width = ctx.measureText(text).width;
    cache.widths.set(text, width);
  }
  return width;
}

/**
 * A label cut in the middle to fit `max` px, computed once per text and width. The middle,
 * because machine names share their start (`runner-<token>-auto-scale-…`) and differ at
 * the end.
 */
export function fitted(
  ctx: { measureText(text: string): { width: number } },
  cache: DrawCache,
  text: string,
  max: number,
): string {
  const known = cache.labels.get(text);
  if (known !== undefined && known.max === max) return known.text;
  let out = text;
  if (ctx.measureText(text).width > max) {
    const cut = (keep: number) => {
      const head = Math.ceil(keep * 0.35);
      return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
    };
    let lo = 0;
    let hi = text.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (ctx.measureText(cut(mid)).width <= max) lo = mid;
      else hi = mid - 1;
    }
    out = cut(lo);
  }
  if (cache.labels.size > CACHE_MAX) cache.labels.clear();
  cache.labels.set(text, { max, text: out });
  return out;
}

/**
 * Draws one frame: axis with ticks and kill marks, then for each row in view its
 * background, label, disk strip, job bars and marks. Per row only the jobs overlapping
 * the window are visited (binary search in the row index), so the cost follows what is
 * visible, not the size of the fleet.
 */
export function drawTimeline(ctx: CanvasRenderingContext2D, scene: TimelineScene): void {
  const { layout, window, palette, patterns, indexes, rows } = scene;
  const x0 = layout.labelWidth;
  const width = plotWidth(layout);
  const x1 = x0 + width;
  const msPerPx = (window.to - window.from) / width;
  scene.stats.rows = 0;
  scene.stats.jobs = 0;

  ctx.fillStyle = palette.background;
  ctx.fillRect(0, 0, layout.width, layout.height);
  ctx.font = FONT;
  ctx.textBaseline = 'middle';

  // Rows ---------------------------------------------------------------------------------
  const { first, last } = visibleRows(layout);
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, layout.axisHeight, layout.width, layout.height - layout.axisHeight);
  ctx.clip();
  for (let r = first; r <= last; r++) {
    const index = indexes[r];
    const row = rows[r];
    if (!index || !row) continue;
    scene.stats.rows++;
    const top = rowTop(layout, r);
    if (r === scene.selectedRow) {
      ctx.fillStyle = palette.rowSelected;
      ctx.fillRect(0, top, layout.width, layout.rowHeight);
    } else if (r % 2 === 1) {
      ctx.fillStyle = palette.rowAlt;
      ctx.fillRect(0, top, layout.width, layout.rowHeight);
    }

    // Label column.
    const muted = row.kind !== 'machine';
    ctx.font = muted ? FONT_ITALIC : FONT;
    ctx.fillStyle = muted ? palette.mutedText : palette.labelText;
    ctx.textAlign = 'left';
    ctx.fillText(fitted(ctx, scene.cache, row.name, x0 - 14), 8, top + layout.rowHeight / 2);
    ctx.font = FONT;

    // Disk strip: each sample covers its bucket; unread stays empty.
    const levels = scene.levels[r];
    if (levels && index.diskAt.length > 0) {
      const dFrom = Math.max(0, lowerBound(index.diskAt, window.from - scene.diskBucketMs));
      const dTo = upperBound(index.diskAt, window.to);
      for (let i = dFrom; i < dTo; i++) {
        const sample = index.disk[i];
        if (!sample) continue;
        const colour = diskColour(palette, sample.pct, levels.warnPct, levels.killPct);
        if (colour === null) continue;
        const left = Math.max(x0, timeToX(sample.at, window, x0, width));
        const right = Math.min(x1, timeToX(sample.at + scene.diskBucketMs, window, x0, width));
        if (right <= left) continue;
        ctx.fillStyle = colour;
        ctx.fillRect(left, top + STRIP_TOP, Math.max(1, right - left), STRIP_HEIGHT);
      }
    }

    // Job bars.
    const lo = firstVisibleJob(index, window.from);
    const hi = endVisibleJob(index, window.to);
    const barHeight = laneHeight(index, BAR_HEIGHT);
    for (let i = lo; i < hi; i++) {
      const end = index.ends[i] ?? 0;
      if (end < window.from) continue;
      const job = index.jobs[i];
      if (!job) continue;
      scene.stats.jobs++;
      const left = Math.max(x0 - 1, timeToX(index.starts[i] ?? 0, window, x0, width));
      const right = Math.min(x1 + 1, timeToX(end, window, x0, width));
      const w = Math.max(MIN_BAR_PX, right - left);
      const y = top + laneTop(index, i, BAR_TOP, BAR_HEIGHT);
      const colours = palette.status[job.status];
      ctx.fillStyle = colours.fill;
      ctx.fillRect(left, y, w, barHeight);
      if (w >= 4) {
        const pattern =
          job.status === 'failed'
            ? patterns.failed
            : job.status === 'running'
              ? patterns.running
              : null;
        if (pattern) {
          ctx.fillStyle = pattern;
          ctx.fillRect(left, y, w, barHeight);
        }
        ctx.strokeStyle = colours.stroke;
        ctx.lineWidth = job.status === 'failed' ? 2 : 1;
        // Canceled: hollow; other (skipped, manual…): dashed outline.
        if (job.status === 'other') ctx.setLineDash(DASH);
        ctx.strokeRect(left + 0.5, y + 0.5, w - 1, barHeight - 1);
        if (job.status === 'other') ctx.setLineDash(NO_DASH);
      }
      if (
        w > 48 &&
        barHeight === BAR_HEIGHT &&
        job.name !== null &&
        measure(ctx, scene.cache, job.name) <= w - 8
      ) {
        // Hollow and light bars (canceled, other) carry dark text; filled ones light text.
        const hollow = job.status === 'canceled' || job.status === 'other';
        if (job.status === 'failed') {
          // The hatch would cross the letters: give them a plain backing.
          ctx.fillStyle = colours.fill;
          ctx.fillRect(left + 2, y + 2, measure(ctx, scene.cache, job.name) + 4, BAR_HEIGHT - 4);
        }
        ctx.fillStyle = hollow ? palette.labelText : palette.barText;
        ctx.fillText(job.name, left + 4, y + BAR_HEIGHT / 2 + 0.5);
      }
      if (
        job.key === scene.selectedJobKey ||
        (scene.hover?.kind === 'job' && scene.hover.job.key === job.key)
      ) {
        ctx.strokeStyle = palette.focus;
        ctx.lineWidth = 2;
        ctx.strokeRect(left - 1, y - 1, w + 2, barHeight + 2);
      }
    }

    // Marks (kills, proposals, refusals) on top.
    const mFrom = lowerBound(index.markAt, window.from - 10 * msPerPx);
    const mTo = upperBound(index.markAt, window.to + 10 * msPerPx);
    for (let i = mFrom; i < mTo; i++) {
      const mark = index.marks[i];
      if (!mark) continue;
      drawMark(ctx, mark.kind, timeToX(mark.at, window, x0, width), top, layout.rowHeight, palette);
    }
  }
  ctx.restore();

  // Where no job history was kept: hatched, so "nothing ran" and "nothing known" differ.
  if (scene.jobsSince !== null && scene.jobsSince > window.from) {
    const right = Math.min(x1, timeToX(scene.jobsSince, window, x0, width));
    if (right > x0) {
      ctx.fillStyle = patterns.noHistory ?? palette.noHistory;
      ctx.fillRect(x0, layout.axisHeight, right - x0, layout.height - layout.axisHeight);
    }
  }

  // Label column separator and axis -------------------------------------------------------
  ctx.fillStyle = palette.grid;
  ctx.fillRect(x0 - 1, 0, 1, layout.height);
  ctx.fillStyle = palette.background;
  ctx.fillRect(0, 0, layout.width, layout.axisHeight);
  ctx.fillStyle = palette.grid;
  ctx.fillRect(0, layout.axisHeight - 1, layout.width, 1);
  const step = tickStep(window, width);
  ctx.textAlign = 'center';
  ctx.fillStyle = palette.axisText;
  for (let t = firstTick(window.from, step, scene.tzOffsetMs); t <= window.to; t += step) {
    const x = timeToX(t, window, x0, width);
    if (x < x0 + 22 || x > x1 - 22) continue;
    ctx.fillStyle = palette.grid;
    ctx.fillRect(Math.round(x), layout.axisHeight - 6, 1, 6);
    ctx.fillStyle = palette.axisText;
    let label = scene.cache.ticks.get(t);
    if (label === undefined) {
      if (scene.cache.ticks.size > 2_000) scene.cache.ticks.clear();
      label = scene.formatTick(t, step);
      scene.cache.ticks.set(t, label);
    }
    ctx.fillText(label, x, layout.axisHeight / 2 - 2);
  }
  ctx.textAlign = 'left';

  // Kills on the axis, of every row (also rows scrolled out of view).
  const kFrom = lowerBound(scene.killAt, window.from);
  const kTo = upperBound(scene.killAt, window.to);
  ctx.fillStyle = palette.marks.killed;
  for (let i = kFrom; i < kTo; i++) {
    const x = timeToX(scene.killAt[i] ?? 0, window, x0, width);
    ctx.beginPath();
    ctx.moveTo(x - 4, layout.axisHeight - 8);
    ctx.lineTo(x + 4, layout.axisHeight - 8);
    ctx.lineTo(x, layout.axisHeight - 1);
    ctx.closePath();
    ctx.fill();
  }

  // Now.
  if (scene.now >= window.from && scene.now <= window.to) {
    const x = Math.round(timeToX(scene.now, window, x0, width));
    ctx.fillStyle = palette.now;
    ctx.fillRect(x - 1, 0, 2, layout.height);
  }
}

const DASH = [3, 2];
const NO_DASH: number[] = [];

/** One mark: its own shape per kind, so it reads without colour. */
function drawMark(
  ctx: CanvasRenderingContext2D,
  kind: TimelineMarkKind,
  x: number,
  top: number,
  height: number,
  palette: TimelinePalette,
): void {
  const cy = top + height / 2;
  ctx.strokeStyle = palette.marks[kind];
  ctx.fillStyle = palette.marks[kind];
  ctx.lineWidth = 2;
  ctx.beginPath();
  switch (kind) {
    case 'killed':
      // A line through the row and a cross: the machine ended here.
      ctx.fillRect(x - 1, top + 1, 2, height - 2);
      ctx.moveTo(x - 5, cy - 5);
      ctx.lineTo(x + 5, cy + 5);
      ctx.moveTo(x + 5, cy - 5);
      ctx.lineTo(x - 5, cy + 5);
      ctx.stroke();
      return;
    case 'proposed':
      ctx.moveTo(x, cy - 6);
      ctx.lineTo(x + 6, cy);
      ctx.lineTo(x, cy + 6);
      ctx.lineTo(x - 6, cy);
      ctx.closePath();
      ctx.fillStyle = palette.background;
      ctx.fill();
      ctx.stroke();
      return;
    case 'failed':
      ctx.moveTo(x, cy - 6);
      ctx.lineTo(x + 6, cy + 5);
      ctx.lineTo(x - 6, cy + 5);
      ctx.closePath();
      ctx.fill();
      return;
    case 'refused':
      ctx.rect(x - 4.5, cy - 4.5, 9, 9);
      ctx.fillStyle = palette.background;
      ctx.fill();
      ctx.stroke();
      return;
    case 'cleaned':
      ctx.arc(x, cy, 5, 0, Math.PI * 2);
      ctx.fill();
      return;
    case 'dry-run':
      ctx.arc(x, cy, 5, 0, Math.PI * 2);
      ctx.stroke();
      return;
  }
}
