import { describe, expect, it } from 'vitest';
import type { Runner, RunnerJob } from '../../../shared/runner';
import { quantile, queueHealth } from '../../../electron/core/queue/queue-health';

const NOW = 100 * 3_600_000;
const MIN = 60_000;

function job(
  id: number,
  runnerId: number,
  startedMinAgo: number,
  queuedSec: number | null,
  tags?: string[],
): RunnerJob {
  return {
    key: `gl/${id}`,
    instance: 'gl',
    jobId: id,
    runnerId,
    status: 'success',
    name: null,
    projectId: null,
    projectPath: null,
    pipelineId: null,
    ref: null,
    user: null,
    jobUrl: null,
    createdAt: NOW - startedMinAgo * MIN - (queuedSec ?? 0) * 1000,
    startedAt: NOW - startedMinAgo * MIN,
    finishedAt: NOW,
    machine: null,
    queuedSec,
    ...(tags ? { tags } : {}),
  };
}

const runner = (id: number, description: string, tags: string[]): Runner => ({
  key: `gl/${id}`,
  instance: 'gl',
  id,
  description,
  status: 'online',
  paused: false,
  runnerType: 'instance_type',
  version: null,
  tags,
  contactedAt: NOW,
  managers: [],
  staleReason: null,
  runningJobs: 0,
});

describe('queue health', () => {
  it('nearest-rank quantiles', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.95)).toBe(4);
    expect(quantile([7], 0.95)).toBe(7);
  });

  it('per runner and per tag, current window against the one before, warned when waits grow', () => {
    const runners = [
      runner(1, 'hetzner-autoscale', ['docker', 'linux']),
      runner(2, 'build-host', ['build']),
    ];
    const jobs = [
      // Runner 1 now: waits of 6–12 minutes; an hour before: about 1 minute.
      job(1, 1, 10, 360),
      job(2, 1, 20, 480),
      job(3, 1, 30, 720),
      job(4, 1, 70, 50),
      job(5, 1, 80, 70),
      // Runner 2 steady at 20 s; a job of its own tag list.
      job(6, 2, 5, 20, ['build', 'big']),
      job(7, 2, 65, 20),
      // Unknown wait and jobs older than two windows are left out.
      job(8, 1, 15, null),
      job(9, 1, 200, 9999),
    ];
    const health = queueHealth(jobs, runners, NOW, 1);
    const row = (scope: string, key: string) =>
      health.rows.find((r) => r.scope === scope && r.key === key)!;
    expect(row('runner', 'gl/1')).toMatchObject({
      label: 'hetzner-autoscale',
      jobs: 3,
      p50Sec: 480,
      p95Sec: 720,
      maxSec: 720,
      previousP50Sec: 50,
      warning: 'p95 wait 12 min, median up from 50 s to 8 min',
    });
    expect(row('tag', 'docker').warning).not.toBeNull();
    expect(row('runner', 'gl/2')).toMatchObject({
      jobs: 1,
      p50Sec: 20,
      previousP50Sec: 20,
      warning: null,
    });
    // The job's own tags win over the runner's.
    expect(row('tag', 'big')).toMatchObject({ jobs: 1 });
    expect(row('tag', 'build')).toMatchObject({ jobs: 1, previousP50Sec: 20 });
    // Warned rows first.
    expect(health.rows[0]!.warning).not.toBeNull();
  });

  it('long waits are warned even without growth; short steady ones are not', () => {
    const steadyLong = [job(1, 1, 10, 1000), job(2, 1, 70, 1000)];
    expect(queueHealth(steadyLong, [], NOW, 1).rows[0]!.warning).toBe(
      'p95 wait 17 min, median 17 min (was 17 min)',
    );
    const steadyMid = [job(1, 1, 10, 400), job(2, 1, 70, 390)];
    expect(queueHealth(steadyMid, [], NOW, 1).rows[0]!.warning).toBeNull();
    const newMid = [job(1, 1, 10, 400)];
    expect(queueHealth(newMid, [], NOW, 1).rows[0]!.warning).toBe(
      'p95 wait 7 min, no jobs in the window before',
    );
  });

  it('a runner with no jobs in the window reports no figures, not zeros', () => {
    const health = queueHealth([job(1, 1, 90, 30)], [], NOW, 1);
    expect(health.rows[0]).toMatchObject({
      jobs: 0,
      p50Sec: null,
      p95Sec: null,
      previousP50Sec: 30,
      warning: null,
    });
  });
});
