import { describe, expect, it } from 'vitest';
import type { TimelineJob, TimelineRow } from '../../../shared/timeline';
import {
  createDrawCache,
  drawTimeline,
  fitted,
  killTimes,
  type TimelineScene,
} from '../../../renderer/timeline/draw';
import type { TimelineLayout } from '../../../renderer/timeline/layout';
import {
  createPatterns,
  diskColour,
  OKABE_ITO,
  paletteFor,
} from '../../../renderer/timeline/palette';
import { buildRowIndex } from '../../../renderer/timeline/row-index';
import { timeToX } from '../../../renderer/timeline/viewport';
import { FakeContext2D } from './fake-canvas';

const H = 3_600_000;
const T = 1_750_000_000_000;

function job(
  id: number,
  start: number,
  end: number | null,
  status: TimelineJob['status'] = 'success',
): TimelineJob {
  return {
    key: `gl/${id}`,
    instance: 'gl',
    jobId: id,
    name: `job-${id}`,
    status,
    gitlabStatus: status,
    projectPath: 'g/a',
    pipelineId: 1,
    ref: 'main',
    user: 'dev',
    startedAt: start,
    finishedAt: end,
    webUrl: null,
    placedBy: 'trace',
  };
}

/** 1,000 rows of 10 jobs each over the last day, like the fleet the timeline must stay smooth for. */
function bigFleet(): TimelineRow[] {
  const rows: TimelineRow[] = [];
  for (let r = 0; r < 1000; r++) {
    const jobs: TimelineJob[] = [];
    for (let j = 0; j < 10; j++) {
      const start = T - 24 * H + j * 2.4 * H + r * 1000;
      jobs.push(job(r * 10 + j + 1, start, start + H));
    }
    rows.push({
      key: `ci/vm-${r}`,
      kind: 'machine',
      name: `vm-${r}`,
      fleet: 'ci',
      state: 'running',
      jobs,
      disk: [],
      marks: [],
    });
  }
  return rows;
}

function scene(
  rows: TimelineRow[],
  layout: Partial<TimelineLayout> = {},
  extra: Partial<TimelineScene> = {},
): TimelineScene {
  const palette = paletteFor('light');
  const indexes = rows.map((r) => buildRowIndex(r, T));
  return {
    rows,
    indexes,
    killAt: killTimes(indexes),
    levels: rows.map(() => ({ warnPct: 50, killPct: 60 })),
    layout: {
      width: 1240,
      height: 30 + 26 * 10,
      labelWidth: 240,
      axisHeight: 30,
      rowHeight: 26,
      rowCount: rows.length,
      scrollTop: 0,
      ...layout,
    },
    window: { from: T - 3 * H, to: T },
    now: T,
    jobsSince: null,
    diskBucketMs: 60_000,
    selectedRow: null,
    selectedJobKey: null,
    hover: null,
    palette,
    patterns: createPatterns(
      new FakeContext2D() as unknown as CanvasRenderingContext2D,
      () => new FakeContext2D() as unknown as CanvasRenderingContext2D,
      palette,
    ),
    tzOffsetMs: 0,
    formatTick: (t) => new Date(t).toISOString().slice(11, 16),
    cache: createDrawCache(),
    stats: { rows: 0, jobs: 0 },
    ...extra,
  };
}

describe('drawTimeline', () => {
  it('visits only the rows in view and the jobs inside the window (1,000 rows × 10 jobs)', () => {
    const ctx = new FakeContext2D();
    const s = scene(bigFleet(), { scrollTop: 26 * 500 });
    drawTimeline(ctx as unknown as CanvasRenderingContext2D, s);
    expect(s.stats.rows).toBe(10);
    // In the last 3 hours each row has one job: the one starting 21.6 h into the day (the
    // one before ended 3.8 h ago).
    expect(s.stats.jobs).toBe(10);
    expect(ctx.texts()).toContain('vm-500');
    expect(ctx.texts()).not.toContain('vm-499');
    expect(ctx.texts()).not.toContain('vm-510');
  });

  it('draws a job as a bar from its start to its end in its status colour, with its name', () => {
    const rows: TimelineRow[] = [
      {
        key: 'ci/a',
        kind: 'machine',
        name: 'a',
        fleet: 'ci',
        state: 'running',
        jobs: [job(1, T - 2 * H, T - H)],
        disk: [],
        marks: [],
      },
    ];
    const ctx = new FakeContext2D();
    const s = scene(rows);
    drawTimeline(ctx as unknown as CanvasRenderingContext2D, s);
    const left = timeToX(T - 2 * H, s.window, 240, 1000);
    const right = timeToX(T - H, s.window, 240, 1000);
    const bar = ctx.calls.find((c) => c.op === 'fillRect' && c.fillStyle === OKABE_ITO.bluishGreen);
    expect(bar?.args[0]).toBeCloseTo(left);
    expect(bar?.args[2]).toBeCloseTo(right - left);
    expect(bar?.args[1]).toBe(30 + 3);
    expect(ctx.texts()).toContain('job-1');
  });

  it('adds the hatch pattern to failed jobs and stripes to running ones (status not by colour alone)', () => {
    const rows: TimelineRow[] = [
      {
        key: 'ci/a',
        kind: 'machine',
        name: 'a',
        fleet: 'ci',
        state: 'running',
        jobs: [job(1, T - 2 * H, T - H, 'failed'), job(2, T - 30 * 60_000, null, 'running')],
        disk: [],
        marks: [],
      },
    ];
    const ctx = new FakeContext2D();
    const s = scene(rows);
    drawTimeline(ctx as unknown as CanvasRenderingContext2D, s);
    const patterned = ctx.calls.filter(
      (c) => c.op === 'fillRect' && typeof c.fillStyle === 'object',
    );
    expect(patterned.map((c) => c.fillStyle)).toEqual([s.patterns.failed, s.patterns.running]);
  });

  it('colours the disk strip by level and leaves unread samples empty', () => {
    const rows: TimelineRow[] = [
      {
        key: 'ci/a',
        kind: 'machine',
        name: 'a',
        fleet: 'ci',
        state: 'running',
        jobs: [],
        disk: [
          { at: T - 50 * 60_000, pct: 10 },
          { at: T - 40 * 60_000, pct: 55 },
          { at: T - 30 * 60_000, pct: 80 },
          { at: T - 20 * 60_000, pct: null },
        ],
        marks: [],
      },
    ];
    const ctx = new FakeContext2D();
    const s = scene(rows);
    drawTimeline(ctx as unknown as CanvasRenderingContext2D, s);
    const strips = ctx.calls.filter((c) => c.op === 'fillRect' && c.args[1] === 30 + 20);
    expect(strips.map((c) => c.fillStyle)).toEqual([
      s.palette.diskLow[1],
      OKABE_ITO.orange,
      OKABE_ITO.vermillion,
    ]);
  });

  it('marks kills on the row and on the axis, and hatches the time without job history', () => {
    const rows: TimelineRow[] = [
      {
        key: 'ci/a',
        kind: 'machine',
        name: 'a',
        fleet: 'ci',
        state: 'running',
        jobs: [],
        disk: [],
        marks: [{ at: T - H, kind: 'killed', proposalId: 'p', text: 'killed' }],
      },
    ];
    const ctx = new FakeContext2D();
    const s = scene(rows, {}, { jobsSince: T - 2 * H });
    drawTimeline(ctx as unknown as CanvasRenderingContext2D, s);
    const x = timeToX(T - H, s.window, 240, 1000);
    expect(
      ctx.calls.some(
        (c) =>
          c.op === 'fillRect' &&
          c.fillStyle === OKABE_ITO.vermillion &&
          Math.abs((c.args[0] ?? 0) - (x - 1)) < 0.01,
      ),
    ).toBe(true);
    // The axis triangle's tip.
    expect(
      ctx.calls.some(
        (c) => c.op === 'lineTo' && Math.abs((c.args[0] ?? 0) - x) < 0.01 && c.args[1] === 29,
      ),
    ).toBe(true);
    const hatch = ctx.calls.find(
      (c) => c.op === 'fillRect' && c.fillStyle === s.patterns.noHistory,
    );
    expect(hatch?.args[0]).toBe(240);
    expect(hatch?.args[2]).toBeCloseTo(timeToX(T - 2 * H, s.window, 240, 1000) - 240);
  });
});

describe('labels and colours', () => {
  it('cuts long machine names in the middle, keeping the distinctive end', () => {
    const ctx = new FakeContext2D();
    const name = 'runner-was98kwzp-auto-scale-1796280422-6d68e763';
    const out = fitted(ctx, createDrawCache(), name, 20 * 7);
    expect(out.length).toBeLessThanOrEqual(20);
    expect(out).toContain('…');
    expect(out.endsWith('6d68e763')).toBe(true);
    expect(out.startsWith('runner')).toBe(true);
    expect(fitted(ctx, createDrawCache(), 'short', 200)).toBe('short');
  });

  it('never shows an unread disk as low', () => {
    const palette = paletteFor('dark');
    expect(diskColour(palette, null, 50, 60)).toBeNull();
    expect(diskColour(palette, 0, 50, 60)).toBe(palette.diskLow[0]);
    expect(diskColour(palette, 60, 50, 60)).toBe(palette.diskOver);
  });
});
