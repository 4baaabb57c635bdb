import type { JobCost, ProjectCost } from '../../../shared/cost';
import type { RunnerJob } from '../../../shared/runner';

/** A machine's hourly price, or why it is unknown. */
export type HourlyPrice = { perHour: number } | { unknown: string };

interface Interval {
  job: RunnerJob;
  start: number;
  end: number;
}

const HOUR = 3_600_000;

/**
 * What each finished job cost: the hourly price of the machine it ran on over the job's
 * time, split among the jobs that ran on that machine at the same moment (a VM that runs
 * two jobs at once charges each half for that stretch). Running jobs take their share up
 * to `now` but are not reported: their cost is not final. A job whose machine or price is
 * unknown gets `cost: null` with the reason; it is never guessed.
 */
export function jobCosts(
  jobs: readonly RunnerJob[],
  priceOf: (machine: string) => HourlyPrice,
  now: number,
  since: number,
): JobCost[] {
  const byMachine = new Map<string, Interval[]>();
  const results: JobCost[] = [];
  for (const job of jobs) {
    if (job.startedAt === null) continue;
    const end = job.finishedAt ?? (job.status === 'running' ? now : null);
    if (end === null || end < job.startedAt) continue;
    if (job.machine === null) {
      if (job.finishedAt !== null && job.finishedAt >= since)
        results.push(result(job, end, 1, null, 'the job is not linked to a machine'));
      continue;
    }
    const list = byMachine.get(job.machine) ?? [];
    list.push({ job, start: job.startedAt, end });
    byMachine.set(job.machine, list);
  }
  for (const [machine, intervals] of byMachine) {
    const price = priceOf(machine);
    for (const interval of intervals) {
      const { job } = interval;
      if (job.finishedAt === null || job.finishedAt < since) continue;
      const { share, maxSharing } = sharedHours(interval, intervals);
      if ('unknown' in price) {
        results.push(result(job, interval.end, maxSharing, null, price.unknown));
      } else {
        results.push(result(job, interval.end, maxSharing, share * price.perHour, null));
      }
    }
  }
  return results.sort((a, b) => a.finishedAt - b.finishedAt || a.jobId - b.jobId);
}

/**
 * The job's hours weighted by 1 / (jobs on the machine at that moment), and the most
 * jobs seen at once. A sweep over the start and end points inside the job's interval.
 */
function sharedHours(
  target: Interval,
  all: readonly Interval[],
): { share: number; maxSharing: number } {
  const overlapping = all.filter((other) => other.start < target.end && other.end > target.start);
  const points = new Set<number>([target.start, target.end]);
  for (const other of overlapping) {
    if (other.start > target.start && other.start < target.end) points.add(other.start);
    if (other.end > target.start && other.end < target.end) points.add(other.end);
  }
  const sorted = [...points].sort((a, b) => a - b);
  let share = 0;
  let maxSharing = 1;
  for (let i = 0; i + 1 < sorted.length; i += 1) {
    const from = sorted[i]!;
    const to = sorted[i + 1]!;
    const mid = from + (to - from) / 2;
    const running = overlapping.filter((o) => o.start <= mid && o.end > mid).length;
    const n = Math.max(1, running);
    maxSharing = Math.max(maxSharing, n);
    share += (to - from) / HOUR / n;
  }
  return { share, maxSharing };
}

function result(
  job: RunnerJob,
  end: number,
  maxSharing: number,
  cost: number | null,
  unpricedReason: string | null,
): JobCost {
  const startedAt = job.startedAt ?? end;
  return {
    key: job.key,
    jobId: job.jobId,
    projectPath: job.projectPath,
    name: job.name,
    machine: job.machine,
    startedAt,
    finishedAt: end,
    durationSec: (end - startedAt) / 1000,
    maxSharing,
    cost,
    unpricedReason,
  };
}

const DAY = 24 * HOUR;

/** Start of the UTC day, or of the ISO week (Monday 00:00 UTC), that holds `at`. */
export function periodStart(at: number, period: 'day' | 'week'): number {
  const day = Math.floor(at / DAY) * DAY;
  if (period === 'day') return day;
  // 1970-01-01 was a Thursday: days since the epoch + 3, mod 7, counts from Monday.
  const weekday = (Math.floor(at / DAY) + 3) % 7;
  return day - weekday * DAY;
}

/** Job cost per project per UTC day and ISO week; a job counts in the period it finished in. */
export function projectCosts(costs: readonly JobCost[]): ProjectCost[] {
  const rows = new Map<string, ProjectCost>();
  for (const cost of costs) {
    const project = cost.projectPath ?? '(unknown project)';
    for (const period of ['day', 'week'] as const) {
      const start = periodStart(cost.finishedAt, period);
      const key = `${project}\n${period}\n${start}`;
      const row = rows.get(key) ?? {
        projectPath: project,
        period,
        start,
        cost: 0,
        jobs: 0,
        unpricedJobs: 0,
      };
      row.jobs += 1;
      if (cost.cost === null) row.unpricedJobs += 1;
      else row.cost += cost.cost;
      rows.set(key, row);
    }
  }
  return [...rows.values()].sort(
    (a, b) =>
      a.period.localeCompare(b.period) ||
      a.start - b.start ||
      b.cost - a.cost ||
      a.projectPath.localeCompare(b.projectPath),
  );
}
