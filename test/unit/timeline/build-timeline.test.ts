import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../shared/audit';
import type { Proposal } from '../../../shared/proposal';
import type { RunnerJob } from '../../../shared/runner';
import { Timeline } from '../../../shared/timeline';
import {
  buildTimeline,
  statusGroup,
  UNPLACED_KEY,
  type TimelineInput,
} from '../../../electron/core/timeline/build-timeline';
import { fleetSettings, job as runningJob, machine } from '../reaper/fixtures';

const NOW = 1_750_000_000_000;
const HOUR = 3_600_000;

function gitlabJob(jobId: number, parts: Partial<RunnerJob> = {}): RunnerJob {
  return {
    key: `gl/${jobId}`,
    instance: 'gl',
    jobId,
    runnerId: 1,
    status: 'success',
    name: `job-${jobId}`,
    projectId: 7,
    projectPath: 'group/app',
    pipelineId: 70,
    ref: 'main',
    user: 'dev',
    jobUrl: `https://gitlab.example/group/app/-/jobs/${jobId}`,
    createdAt: NOW - 2 * HOUR,
    startedAt: NOW - 2 * HOUR,
    finishedAt: NOW - HOUR,
    machine: null,
    ...parts,
  };
}

function audit(parts: Partial<AuditRecord>): AuditRecord {
  return {
    id: `a${Math.random()}`,
    at: NOW - HOUR,
    type: 'result',
    fleet: 'ci',
    machineKey: 'ci/vm-a',
    machineName: 'vm-a',
    proposalId: 'p1',
    rule: 'disk',
    action: 'hcloud-delete',
    who: 'alice@ws',
    outcome: 'ok',
    reasons: [],
    evidence: null,
    modeFrom: null,
    modeTo: null,
    detail: 'server 12 deleted',
    ...parts,
  };
}

function input(parts: Partial<TimelineInput> = {}): TimelineInput {
  return {
    from: NOW - 6 * HOUR,
    to: NOW,
    now: NOW,
    machines: [machine({ name: 'vm-b' }, NOW), machine({ name: 'vm-a' }, NOW)],
    fleets: [fleetSettings('ci')],
    jobs: [],
    disk: () => [],
    audit: [],
    proposals: [],
    jobMetrics: () => ({ available: false, reason: 'No Prometheus configured for this fleet' }),
    jobsSince: NOW - 6 * HOUR,
    diskSince: null,
    diskBucketMs: 60_000,
    warnings: [],
    ...parts,
  };
}

describe('buildTimeline', () => {
  it('places jobs on the machine their trace names, sorted by start, and the result parses', () => {
    const timeline = buildTimeline(
      input({
        jobs: [
          gitlabJob(3, {
            machine: 'vm-a',
            startedAt: NOW - 30 * 60_000,
            finishedAt: null,
            status: 'running',
          }),
          gitlabJob(2, { machine: 'vm-a', startedAt: NOW - 3 * HOUR }),
          gitlabJob(1, { machine: 'vm-b' }),
        ],
      }),
    );
    expect(Timeline.parse(timeline)).toEqual(timeline);
    expect(timeline.rows.map((r) => r.key)).toEqual(['ci/vm-a', 'ci/vm-b']);
    const [a, b] = timeline.rows;
    expect(a?.jobs.map((j) => [j.jobId, j.status, j.placedBy])).toEqual([
      [2, 'success', 'trace'],
      [3, 'running', 'trace'],
    ]);
    expect(a?.jobs[1]?.finishedAt).toBeNull();
    expect(b?.jobs.map((j) => j.jobId)).toEqual([1]);
  });

  it('places a job without a trace link by the job container seen on a machine', () => {
    const machines = [
      machine({ name: 'vm-a', jobs: [runningJob(40)] }, NOW),
      machine({ name: 'vm-b' }, NOW),
    ];
    const timeline = buildTimeline(
      input({ machines, jobs: [gitlabJob(40, { status: 'running', finishedAt: null })] }),
    );
    expect(timeline.rows[0]?.jobs.map((j) => [j.jobId, j.placedBy])).toEqual([[40, 'container']]);
  });

  it('keeps jobs without a known machine in the unplaced row, and machines named only by a trace as gone rows', () => {
    const timeline = buildTimeline(
      input({
        jobs: [gitlabJob(5), gitlabJob(6, { machine: 'vm-deleted' })],
      }),
    );
    expect(timeline.rows.map((r) => [r.key, r.kind])).toEqual([
      ['ci/vm-a', 'machine'],
      ['ci/vm-b', 'machine'],
      ['gone:vm-deleted', 'gone'],
      [UNPLACED_KEY, 'unplaced'],
    ]);
    expect(timeline.rows[3]?.jobs.map((j) => [j.jobId, j.placedBy])).toEqual([[5, 'none']]);
    expect(timeline.rows[2]?.jobs.map((j) => j.jobId)).toEqual([6]);
  });

  it('has no unplaced row when every job is placed', () => {
    const timeline = buildTimeline(input({ jobs: [gitlabJob(1, { machine: 'vm-a' })] }));
    expect(timeline.rows.some((r) => r.key === UNPLACED_KEY)).toBe(false);
  });

  it('leaves out jobs outside the window and jobs that never started; a running job reaches now', () => {
    const timeline = buildTimeline(
      input({
        from: NOW - HOUR,
        jobs: [
          gitlabJob(1, { machine: 'vm-a', startedAt: NOW - 5 * HOUR, finishedAt: NOW - 4 * HOUR }),
          gitlabJob(2, { machine: 'vm-a', startedAt: null, finishedAt: null, status: 'pending' }),
          gitlabJob(3, {
            machine: 'vm-a',
            startedAt: NOW - 5 * HOUR,
            finishedAt: null,
            status: 'running',
          }),
          gitlabJob(4, {
            machine: 'vm-a',
            startedAt: NOW - 2 * HOUR,
            finishedAt: NOW - 30 * 60_000,
          }),
        ],
      }),
    );
    expect(timeline.rows[0]?.jobs.map((j) => j.jobId)).toEqual([3, 4]);
  });

  it('counts a job once when two sources list it', () => {
    const timeline = buildTimeline(
      input({ jobs: [gitlabJob(1, { machine: 'vm-a' }), gitlabJob(1, { machine: 'vm-a' })] }),
    );
    expect(timeline.rows[0]?.jobs).toHaveLength(1);
  });

  it('marks kills, failures and refusals from the audit log and pending proposals on their rows', () => {
    const proposal = {
      id: 'p9',
      machineKey: 'ci/vm-b',
      machineName: 'vm-b',
      fleet: 'ci',
      state: 'pending',
      createdAt: NOW - 10 * 60_000,
      summary: 'Kill vm-b (disk 78 %, idle 12 min)',
      blocked: [],
    } as unknown as Proposal;
    const timeline = buildTimeline(
      input({
        audit: [
          audit({ at: NOW - HOUR }),
          audit({
            at: NOW - 2 * HOUR,
            type: 'refusal',
            outcome: 'refused',
            reasons: ['a job started'],
          }),
          audit({ at: NOW - 3 * HOUR, outcome: 'failed', detail: 'HTTP 500' }),
          audit({ at: NOW - 4 * HOUR, type: 'proposal', outcome: null }),
          audit({ at: NOW - HOUR, machineKey: 'ci/vm-old', machineName: 'vm-old' }),
          audit({ at: NOW - 10 * HOUR }),
        ],
        proposals: [proposal],
      }),
    );
    const a = timeline.rows.find((r) => r.key === 'ci/vm-a');
    expect(a?.marks.map((m) => m.kind)).toEqual(['failed', 'refused', 'killed']);
    expect(a?.marks[1]?.text).toBe('refused (disk rule): a job started');
    expect(timeline.rows.find((r) => r.key === 'ci/vm-b')?.marks).toEqual([
      {
        at: NOW - 10 * 60_000,
        kind: 'proposed',
        proposalId: 'p9',
        text: 'Kill vm-b (disk 78 %, idle 12 min)',
      },
    ]);
    // A killed machine the fleet no longer lists keeps a row for its mark.
    const old = timeline.rows.find((r) => r.key === 'gone:vm-old');
    expect(old).toMatchObject({ kind: 'gone', fleet: 'ci' });
    expect(old?.marks.map((m) => m.kind)).toEqual(['killed']);
  });

  it("takes disk samples per row and each fleet's thresholds and job-metrics state", () => {
    const timeline = buildTimeline(
      input({
        disk: (key) => (key === 'ci/vm-a' ? [{ at: NOW - HOUR, pct: 72 }] : []),
        fleets: [fleetSettings('ci', { diskThresholdPct: 70 })],
      }),
    );
    expect(timeline.rows[0]?.disk).toEqual([{ at: NOW - HOUR, pct: 72 }]);
    expect(timeline.rows[1]?.disk).toEqual([]);
    expect(timeline.fleets).toEqual([
      {
        id: 'ci',
        name: null,
        warnPct: 50,
        thresholdPct: 70,
        jobMetrics: { available: false, reason: 'No Prometheus configured for this fleet' },
      },
    ]);
  });

  it('groups GitLab status words', () => {
    expect(
      ['success', 'failed', 'running', 'canceled', 'canceling', 'skipped', 'manual'].map(
        statusGroup,
      ),
    ).toEqual(['success', 'failed', 'running', 'canceled', 'canceled', 'other', 'other']);
  });
});
