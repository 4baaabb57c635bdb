import { describe, expect, it } from 'vitest';
import type { RunnerJob } from '../../../shared/runner';
import { jobCosts, periodStart, projectCosts } from '../../../electron/core/cost/job-cost';

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0); // Wednesday 2 December 2026, 10:00 UTC
const MIN = 60_000;

function job(
  id: number,
  machine: string | null,
  startMin: number,
  endMin: number | null,
  extra: Partial<RunnerJob> = {},
): RunnerJob {
  return {
    key: `gl/${id}`,
    instance: 'gl',
    jobId: id,
    runnerId: 1,
    status: endMin === null ? 'running' : 'success',
    name: `job-${id}`,
    projectId: 1,
    projectPath: 'group/app',
    pipelineId: 1,
    ref: 'main',
    user: 'dev',
    jobUrl: null,
    createdAt: T0 + startMin * MIN,
    startedAt: T0 + startMin * MIN,
    finishedAt: endMin === null ? null : T0 + endMin * MIN,
    machine,
    ...extra,
  };
}

const prices = (table: Record<string, number>) => (machine: string) =>
  machine in table ? { perHour: table[machine]! } : { unknown: `no price for ${machine}` };

describe('job cost', () => {
  it('an exclusive job pays its machine for its whole duration', () => {
    // 30 minutes on a 0.012/h VM: 0.006.
    const [cost] = jobCosts([job(1, 'vm-a', 0, 30)], prices({ 'vm-a': 0.012 }), T0 + 60 * MIN, T0);
    expect(cost).toMatchObject({ jobId: 1, durationSec: 1800, maxSharing: 1 });
    expect(cost!.cost).toBeCloseTo(0.006, 12);
  });

  it('jobs sharing a machine split the price for the time they overlap', () => {
    // Hand-computed, price 0.06/h = 0.001/min:
    //  job 1: 0..60 min; job 2: 30..90 min on the same VM.
    //  job 1 = 30 min alone (0.030) + 30 min shared (0.015) = 0.045
    //  job 2 = 30 min shared (0.015) + 30 min alone (0.030) = 0.045
    //  job 3 on another VM, alone for 60 min at 0.12/h = 0.12
    const costs = jobCosts(
      [job(1, 'vm-a', 0, 60), job(2, 'vm-a', 30, 90), job(3, 'vm-b', 0, 60)],
      prices({ 'vm-a': 0.06, 'vm-b': 0.12 }),
      T0 + 120 * MIN,
      T0,
    );
    const byId = new Map(costs.map((c) => [c.jobId, c]));
    expect(byId.get(1)!.cost).toBeCloseTo(0.045, 12);
    expect(byId.get(2)!.cost).toBeCloseTo(0.045, 12);
    expect(byId.get(3)!.cost).toBeCloseTo(0.12, 12);
    expect(byId.get(1)!.maxSharing).toBe(2);
    expect(byId.get(3)!.maxSharing).toBe(1);
    // Shared jobs together pay exactly what the machine cost while it ran them.
    expect(byId.get(1)!.cost! + byId.get(2)!.cost!).toBeCloseTo(0.09, 12);
  });

  it('three jobs at once each pay a third', () => {
    const costs = jobCosts(
      [job(1, 'vm', 0, 60), job(2, 'vm', 0, 60), job(3, 'vm', 0, 60)],
      prices({ vm: 0.09 }),
      T0 + 60 * MIN,
      T0,
    );
    for (const c of costs) expect(c.cost).toBeCloseTo(0.03, 12);
    expect(costs.map((c) => c.maxSharing)).toEqual([3, 3, 3]);
  });

  it('a running job takes its share but is not reported until it finishes', () => {
    // Job 2 runs from 0 and is still running at 60: job 1 (0..60) shares all of it.
    const costs = jobCosts(
      [job(1, 'vm', 0, 60), job(2, 'vm', 0, null)],
      prices({ vm: 0.06 }),
      T0 + 60 * MIN,
      T0,
    );
    expect(costs.map((c) => c.jobId)).toEqual([1]);
    expect(costs[0]!.cost).toBeCloseTo(0.03, 12);
  });

  it('unknown machine or price gives no figure, with the reason, never 0', () => {
    const costs = jobCosts(
      [job(1, null, 0, 10), job(2, 'vm-x', 0, 10)],
      prices({}),
      T0 + 60 * MIN,
      T0,
    );
    expect(costs.map((c) => [c.jobId, c.cost, c.unpricedReason])).toEqual([
      [1, null, 'the job is not linked to a machine'],
      [2, null, 'no price for vm-x'],
    ]);
  });

  it('only jobs finished since the window start are reported; older ones still share', () => {
    const costs = jobCosts(
      [job(1, 'vm', 0, 60), job(2, 'vm', 50, 70)],
      prices({ vm: 0.06 }),
      T0 + 120 * MIN,
      T0 + 65 * MIN,
    );
    expect(costs.map((c) => c.jobId)).toEqual([2]);
    // 10 min shared (0.005) + 10 min alone (0.010).
    expect(costs[0]!.cost).toBeCloseTo(0.015, 12);
  });

  it('jobs that never started or end before they start are left out', () => {
    const never = job(1, 'vm', 0, 10, { startedAt: null });
    const backwards = job(2, 'vm', 10, 5);
    expect(jobCosts([never, backwards], prices({ vm: 1 }), T0 + 60 * MIN, T0)).toEqual([]);
  });
});

describe('periods and projects', () => {
  it('days start at UTC midnight and weeks on Monday', () => {
    expect(periodStart(T0, 'day')).toBe(Date.UTC(2026, 11, 2));
    expect(periodStart(T0, 'week')).toBe(Date.UTC(2026, 10, 30)); // Monday 30 November
    expect(periodStart(Date.UTC(2026, 10, 30), 'week')).toBe(Date.UTC(2026, 10, 30));
    expect(periodStart(Date.UTC(2026, 11, 6, 23, 59), 'week')).toBe(Date.UTC(2026, 10, 30)); // Sunday
  });

  it('sums job cost per project per day and week, counting unpriced jobs apart', () => {
    const costs = jobCosts(
      [
        job(1, 'vm', 0, 60),
        job(2, 'vm', 24 * 60, 25 * 60),
        job(3, 'vm', 0, 30, { projectPath: 'group/other' }),
        job(4, null, 0, 30),
      ],
      prices({ vm: 0.06 }),
      T0 + 48 * 60 * MIN,
      T0,
    );
    const rows = projectCosts(costs);
    const day = (project: string, d: number) =>
      rows.find(
        (r) => r.period === 'day' && r.projectPath === project && r.start === Date.UTC(2026, 11, d),
      );
    // Day 2: job 1 shares 30 min with job 3 (0.015 + 0.03 = 0.045); job 4 is unpriced.
    expect(day('group/app', 2)).toMatchObject({ jobs: 2, unpricedJobs: 1 });
    expect(day('group/app', 2)!.cost).toBeCloseTo(0.045, 12);
    expect(day('group/other', 2)!.cost).toBeCloseTo(0.015, 12);
    expect(day('group/app', 3)!.cost).toBeCloseTo(0.06, 12);
    const week = rows.find((r) => r.period === 'week' && r.projectPath === 'group/app')!;
    expect(week).toMatchObject({ start: Date.UTC(2026, 10, 30), jobs: 3, unpricedJobs: 1 });
    expect(week.cost).toBeCloseTo(0.105, 12);
  });
});
