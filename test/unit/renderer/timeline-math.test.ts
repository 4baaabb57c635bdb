import { describe, expect, it } from 'vitest';
import type { TimelineJob, TimelineRow } from '../../../shared/timeline';
import { filterRows } from '../../../renderer/timeline/filter-rows';
import { hitTest } from '../../../renderer/timeline/hit-test';
import {
  maxScrollTop,
  rowAt,
  rowTop,
  scrollToRow,
  visibleRows,
  type TimelineLayout,
} from '../../../renderer/timeline/layout';
import { buildRowIndex, laneBox, visibleJobRange } from '../../../renderer/timeline/row-index';
import {
  clampWindow,
  firstTick,
  isLive,
  MAX_SPAN_MS,
  MIN_SPAN_MS,
  panBy,
  presetWindow,
  tickStep,
  timeToX,
  wheelZoomFactor,
  xToTime,
  zoomAt,
} from '../../../renderer/timeline/viewport';

const H = 3_600_000;
const T = 1_750_000_000_000;
const bounds = { min: T - 24 * H, max: T };

function job(
  id: number,
  start: number,
  end: number | null,
  extra: Partial<TimelineJob> = {},
): TimelineJob {
  return {
    key: `gl/${id}`,
    instance: 'gl',
    jobId: id,
    name: `job${id}`,
    status: end === null ? 'running' : 'success',
    gitlabStatus: end === null ? 'running' : 'success',
    projectPath: 'g/a',
    pipelineId: 1,
    ref: 'main',
    user: 'dev',
    startedAt: start,
    finishedAt: end,
    webUrl: null,
    placedBy: 'trace',
    ...extra,
  };
}

function row(jobs: TimelineJob[], marks: TimelineRow['marks'] = []): TimelineRow {
  return {
    key: 'ci/vm',
    kind: 'machine',
    name: 'vm',
    fleet: 'ci',
    state: 'running',
    jobs,
    disk: [],
    marks,
  };
}

describe('viewport maths', () => {
  it('zooms around the anchor: the time under the cursor stays under the cursor', () => {
    const w = { from: T - 6 * H, to: T - 2 * H };
    const anchor = 0.25;
    const before = w.from + anchor * (w.to - w.from);
    const zoomed = zoomAt(w, anchor, 0.5, bounds);
    expect(zoomed.to - zoomed.from).toBe(2 * H);
    expect(zoomed.from + anchor * (zoomed.to - zoomed.from)).toBeCloseTo(before, -1);
  });

  it('keeps the span between 5 minutes and 24 hours and the window inside the bounds', () => {
    expect(zoomAt({ from: T - H, to: T }, 1, 0.0001, bounds)).toEqual({
      from: T - MIN_SPAN_MS,
      to: T,
    });
    expect(zoomAt({ from: T - H, to: T }, 1, 1000, bounds)).toEqual({
      from: T - MAX_SPAN_MS,
      to: T,
    });
    expect(panBy({ from: T - H, to: T }, 5 * H, bounds)).toEqual({ from: T - H, to: T });
    expect(panBy({ from: T - 23 * H, to: T - 22 * H }, -5 * H, bounds)).toEqual({
      from: T - 24 * H,
      to: T - 23 * H,
    });
    expect(clampWindow({ from: T - 2 * H, to: T - H }, bounds)).toEqual({
      from: T - 2 * H,
      to: T - H,
    });
  });

  it('presets end at the given time', () => {
    expect(presetWindow(6, T, bounds)).toEqual({ from: T - 6 * H, to: T });
    expect(presetWindow(24, T, bounds)).toEqual({ from: T - 24 * H, to: T });
  });

  it('wheel up zooms in, wheel down zooms out, lines count like pixels ×16', () => {
    expect(wheelZoomFactor(-100, 0)).toBeLessThan(1);
    expect(wheelZoomFactor(100, 0)).toBeGreaterThan(1);
    expect(wheelZoomFactor(3, 1)).toBeCloseTo(wheelZoomFactor(48, 0));
    expect(wheelZoomFactor(1e9, 0)).toBeCloseTo(Math.exp(0.8));
  });

  it('maps time to x and back', () => {
    const w = { from: T - H, to: T };
    expect(timeToX(T - H / 2, w, 100, 600)).toBe(400);
    expect(xToTime(400, w, 100, 600)).toBe(T - H / 2);
  });

  it('chooses tick steps that keep labels apart and ticks on local round times', () => {
    expect(tickStep({ from: 0, to: H }, 1200, 80)).toBe(5 * 60_000);
    expect(tickStep({ from: 0, to: 24 * H }, 1200, 80)).toBe(2 * H);
    const offset = 2 * H; // UTC+2
    const tick = firstTick(T + 1, 15 * 60_000, offset);
    expect((tick + offset) % (15 * 60_000)).toBe(0);
    expect(tick).toBeGreaterThanOrEqual(T + 1);
  });

  it('says a window follows now when its end is within a few percent of now', () => {
    expect(isLive({ from: T - H, to: T }, T + 30_000)).toBe(true);
    expect(isLive({ from: T - H, to: T - 10 * 60_000 }, T)).toBe(false);
  });
});

describe('row index', () => {
  it('finds exactly the jobs overlapping a window (checked against a scan of random rows)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 50; round++) {
      const jobs: TimelineJob[] = [];
      for (let i = 0; i < 60; i++) {
        const start = T - random() * 24 * H;
        const long = random() < 0.1;
        const end =
          random() < 0.05 ? null : start + (long ? random() * 10 * H : random() * 20 * 60_000);
        jobs.push(job(i + 1, Math.round(start), end === null ? null : Math.round(end)));
      }
      const index = buildRowIndex(row(jobs), T);
      const from = T - random() * 24 * H;
      const to = from + random() * 3 * H;
      const [lo, hi] = visibleJobRange(index, from, to);
      const found = new Set<number>();
      for (let i = lo; i < hi; i++)
        if ((index.ends[i] ?? 0) >= from) found.add(index.jobs[i]?.jobId ?? -1);
      const expected = new Set(
        jobs.filter((j) => j.startedAt <= to && (j.finishedAt ?? T) >= from).map((j) => j.jobId),
      );
      expect(found).toEqual(expected);
    }
  });

  it('keeps a long job that started well before the window (running maximum of ends)', () => {
    const index = buildRowIndex(row([job(1, T - 10 * H, T), job(2, T - 9 * H, T - 8 * H)]), T);
    const [lo, hi] = visibleJobRange(index, T - 2 * H, T - H);
    expect([lo, hi]).toEqual([0, 2]);
  });

  it('puts overlapping jobs in lanes (a host running several at once), at most three', () => {
    const index = buildRowIndex(
      row([
        job(1, T - 4 * H, T - 2 * H),
        job(2, T - 3 * H, T - H),
        job(3, T - 2 * H, T - 1.5 * H),
        job(4, T - 2.5 * H, T - 2.2 * H),
        job(5, T - 2.4 * H, T - 2.1 * H),
      ]),
      T,
    );
    // 1 and 2 overlap; 4 starts while both run (lane 2); 5 while 1, 2 and 4 run (lane 3,
    // wrapped to 0); 3 starts when 1 has ended (lane 0).
    expect([...index.lanes]).toEqual([0, 1, 2, 0, 0]);
    expect(index.laneCount).toBe(3);
    expect(laneBox(index, 1, 3, 15)).toEqual([8, 4]);
    const single = buildRowIndex(
      row([job(1, T - 4 * H, T - 3 * H), job(2, T - 3 * H, T - 2 * H)]),
      T,
    );
    expect(single.laneCount).toBe(1);
    expect(laneBox(single, 1, 3, 15)).toEqual([3, 15]);
  });

  it('ends a running job at now', () => {
    const index = buildRowIndex(row([job(1, T - H, null)]), T);
    expect(index.ends[0]).toBe(T);
  });
});

describe('layout and hit testing', () => {
  const layout: TimelineLayout = {
    width: 1240,
    height: 30 + 26 * 10,
    labelWidth: 240,
    axisHeight: 30,
    rowHeight: 26,
    rowCount: 1000,
    scrollTop: 26 * 100 + 13,
  };

  it('draws only the rows in view', () => {
    expect(visibleRows(layout)).toEqual({ first: 100, last: 110 });
    expect(visibleRows({ ...layout, scrollTop: 0 })).toEqual({ first: 0, last: 9 });
    expect(visibleRows({ ...layout, rowCount: 3, scrollTop: 0 })).toEqual({ first: 0, last: 2 });
  });

  it('maps y to rows and back; nothing over the axis', () => {
    expect(rowAt(layout, 10)).toBeNull();
    expect(rowAt(layout, 30)).toBe(100);
    expect(rowAt(layout, 30 + 13)).toBe(101);
    expect(rowTop(layout, 101)).toBe(30 + 13);
    expect(maxScrollTop(layout)).toBe(26 * 1000 - 26 * 10);
  });

  it('scrolls a row into view with the least movement', () => {
    expect(scrollToRow(layout, 100)).toBe(26 * 100);
    expect(scrollToRow(layout, 105)).toBe(layout.scrollTop);
    expect(scrollToRow(layout, 120)).toBe(26 * 121 - 26 * 10);
  });

  it('hits the job, the mark or the row under the pointer', () => {
    const small: TimelineLayout = { ...layout, rowCount: 2, scrollTop: 0 };
    const w = { from: T - H, to: T };
    const rows = [
      row([job(1, T - 50 * 60_000, T - 40 * 60_000), job(2, T - 30 * 60_000, T - 29.9 * 60_000)]),
      row([], [{ at: T - 30 * 60_000, kind: 'killed', proposalId: 'p', text: 'killed' }]),
    ];
    const indexes = rows.map((r) => buildRowIndex(r, T));
    const xOf = (t: number) => timeToX(t, w, 240, 1000);
    const barY = 30 + 3 + 7;
    expect(hitTest(indexes, small, w, xOf(T - 45 * 60_000), barY)).toMatchObject({
      kind: 'job',
      row: 0,
      job: { jobId: 1 },
    });
    // A 6-second job is less than a pixel wide: it still gets hit at its minimum width.
    expect(hitTest(indexes, small, w, xOf(T - 30 * 60_000) + 1, barY)).toMatchObject({
      kind: 'job',
      job: { jobId: 2 },
    });
    expect(hitTest(indexes, small, w, xOf(T - 20 * 60_000), barY)).toEqual({ kind: 'row', row: 0 });
    expect(hitTest(indexes, small, w, xOf(T - 30 * 60_000) + 4, 30 + 26 + 13)).toMatchObject({
      kind: 'mark',
      row: 1,
    });
    expect(hitTest(indexes, small, w, 100, 30 + 26 + 13)).toEqual({ kind: 'row', row: 1 });
    expect(hitTest(indexes, small, w, 500, 5)).toBeNull();
    // Overlapping jobs: the lane under the pointer decides.
    const lanes = [buildRowIndex(row([job(1, T - H, T), job(2, T - H, T)]), T)];
    expect(hitTest(lanes, small, w, xOf(T - 30 * 60_000), 30 + 3 + 2)).toMatchObject({
      job: { jobId: 1 },
    });
    expect(hitTest(lanes, small, w, xOf(T - 30 * 60_000), 30 + 3 + 7 + 3)).toMatchObject({
      job: { jobId: 2 },
    });
    expect(hitTest(indexes, small, w, 500, 30 + 26 * 2 + 5)).toBeNull();
  });
});

describe('filterRows', () => {
  const rows: TimelineRow[] = [
    {
      ...row([job(1, T - H, T, { projectPath: 'acme/web-shop', user: 'chen' })]),
      key: 'ci/vm-a',
      name: 'vm-a',
    },
    {
      ...row([job(2, T - H, T, { projectPath: 'data/etl', ref: 'fix/x' })]),
      key: 'ci/vm-b',
      name: 'vm-b',
    },
    { ...row([]), key: 'ops/host-1', name: 'host-1', fleet: 'ops' },
  ];
  it('keeps rows whose name, fleet or jobs contain every word', () => {
    expect(filterRows(rows, '').map((r) => r.name)).toEqual(['vm-a', 'vm-b', 'host-1']);
    expect(filterRows(rows, 'web-shop').map((r) => r.name)).toEqual(['vm-a']);
    expect(filterRows(rows, 'VM chen').map((r) => r.name)).toEqual(['vm-a']);
    expect(filterRows(rows, 'ops').map((r) => r.name)).toEqual(['host-1']);
    expect(filterRows(rows, 'etl fix/x').map((r) => r.name)).toEqual(['vm-b']);
    expect(filterRows(rows, 'nothing-like-this')).toEqual([]);
  });
});
