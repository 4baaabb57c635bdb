import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJobRef } from '../../../electron/core/job-metrics/job-lookup';
import { JobMetricsStore } from '../../../electron/core/job-metrics/store';
import { tracePhases } from '../../../electron/core/job-metrics/trace-phases';
import { jobWindow, sampleTimes, stepFor } from '../../../electron/core/job-metrics/window';
import { JobMetrics, JobMetricsRequest } from '../../../shared/job-metrics';
import { jobMetricsToCsv } from '../../../shared/job-metrics-export';
import { GitLabSettings } from '../../../shared/settings';

const T = Date.UTC(2026, 10, 23, 10, 0, 0);

describe('job window and step', () => {
  it('keeps every span at or under the point budget', () => {
    for (const spanSec of [0, 1, 59, 999, 1_000, 3_600, 86_400, 7 * 86_400]) {
      const step = stepFor(0, spanSec * 1000, 1_000, 15);
      expect(step).toBeGreaterThanOrEqual(15);
      expect(Math.floor(spanSec / step) + 1).toBeLessThanOrEqual(1_000);
      // and no coarser than needed: one second less would break the budget or the floor
      if (step > 15) expect(Math.floor(spanSec / (step - 1)) + 1).toBeGreaterThan(1_000);
    }
  });

  it('adds the margin, stops at now, and lists the sample times Prometheus answers', () => {
    const w = jobWindow({
      startedAt: T + 500,
      finishedAt: T + 10 * 60_000,
      now: T + 10 * 60_000 + 20_000,
      marginSec: 60,
      maxPoints: 1_000,
      minStepSec: 1,
    });
    expect(w.startMs).toBe(T - 60_000);
    expect(w.endMs).toBe(T + 10 * 60_000 + 20_000); // now, before the margin is over
    expect(w.stepSec).toBe(1);
    const times = sampleTimes(w);
    expect(times[0]).toBe(w.startMs);
    expect(times.length).toBe((w.endMs - w.startMs) / 1000 + 1);
    expect(times.length).toBeLessThanOrEqual(1_000);
  });

  it('refuses a budget that cannot hold a line', () => {
    expect(() => stepFor(0, 1000, 1, 1)).toThrow(/maxPoints must be at least 2/);
  });
});

describe('trace phases', () => {
  it('reads GitLab Runner section markers, with ANSI and \\r around them', () => {
    const trace =
      '\u001b[0KRunning with gitlab-runner 17.5.0\n' +
      'section_start:1763892000:prepare_executor\r\u001b[0K\u001b[36;1mPreparing\u001b[0;m\n' +
      'section_end:1763892002:prepare_executor\r\u001b[0K\n' +
      'section_start:1763892002:step_script[collapsed=true]\r\u001b[0Kbuilding\n';
    expect(tracePhases(trace)).toEqual([
      { name: 'prepare_executor', startedAt: 1763892000_000, finishedAt: 1763892002_000 },
      { name: 'step_script', startedAt: 1763892002_000, finishedAt: null },
    ]);
  });

  it('ignores an end before its start and unmatched ends', () => {
    expect(tracePhases('section_end:5:x\rsection_start:10:a\rsection_end:9:a\r')).toEqual([
      { name: 'a', startedAt: 10_000, finishedAt: null },
    ]);
  });
});

describe('job references', () => {
  const instances = [
    GitLabSettings.parse({ id: 'com', url: 'https://gitlab.com', token: { env: 'X' } }),
    GitLabSettings.parse({
      id: 'self',
      url: 'https://git.example.org/gitlab/',
      token: { env: 'Y' },
    }),
  ];
  const ref = (job: string, instance?: string) =>
    parseJobRef(JobMetricsRequest.parse({ job, ...(instance ? { instance } : {}) }), instances);

  it('reads ids and URLs of configured instances, also under a sub-path', () => {
    expect(ref('123')).toEqual({ instance: null, jobId: 123, projectPath: null });
    expect(ref('123', 'com')).toEqual({ instance: 'com', jobId: 123, projectPath: null });
    expect(ref('https://gitlab.com/group/sub/app/-/jobs/987')).toEqual({
      instance: 'com',
      jobId: 987,
      projectPath: 'group/sub/app',
    });
    expect(ref('https://git.example.org/gitlab/ops/infra/-/jobs/5/')).toEqual({
      instance: 'self',
      jobId: 5,
      projectPath: 'ops/infra',
    });
  });

  it('says which instances exist for a URL of another one', () => {
    expect(() => ref('https://gitlab.other.net/a/b/-/jobs/1')).toThrow(
      /not a job URL of a configured GitLab instance \(configured: https:\/\/gitlab.com, https:\/\/git.example.org\/gitlab\/\)/,
    );
  });

  it('rejects what is neither an id nor a job URL, at the contract', () => {
    for (const bad of [
      '',
      'abc',
      '12a',
      'https://gitlab.com/group/app/-/pipelines/3',
      'ftp://x/-/jobs/1',
    ])
      expect(JobMetricsRequest.safeParse({ job: bad }).success, bad).toBe(false);
  });
});

function metrics(jobId: number, points: number): JobMetrics {
  const timestamps = Array.from({ length: points }, (_, i) => T + i * 1000);
  return JobMetrics.parse({
    job: {
      instance: 'gl',
      jobId,
      name: 'build',
      projectPath: 'g/app',
      jobUrl: null,
      status: 'success',
      startedAt: T,
      finishedAt: T + points * 1000,
      machine: 'vm-1',
    },
    fleet: 'ci',
    prometheus: 'p',
    window: { startedAt: T, endedAt: T + points * 1000, stepSec: 1 },
    timestamps,
    series: [
      {
        metric: 'cpu',
        label: 'CPU busy',
        unit: 'percent',
        values: timestamps.map((_, i) => (i * 7919) % 100),
      },
      {
        metric: 'disk',
        label: '/var/lib/docker',
        unit: 'bytes',
        values: timestamps.map((_, i) => (i % 5 === 0 ? null : i * 1e6 + 0.123456789)),
      },
    ],
    phases: [],
    origin: 'prometheus',
    savedAt: T + points * 1000,
    warnings: [],
  });
}

describe('job metrics store', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'rw-jm-store-'));
    dirs.push(d);
    return d;
  };

  it('round-trips a job, compressed', async () => {
    const dir = tmp();
    const store = new JobMetricsStore({ dir, maxBytes: 10_000_000 });
    const m = metrics(1, 1_000);
    await store.save(m);
    expect(await store.get('gl', 1)).toEqual(m);
    expect((await store.findById(1)).map((x) => x.job.jobId)).toEqual([1]);
    expect(await store.get('gl', 2)).toBeNull();
    // a thousand points of two series fit in a few KiB
    expect(await store.size()).toBeLessThan(JSON.stringify(m).length / 2);
  });

  it('evicts the least recently used jobs past the bound; a read counts as use', async () => {
    const dir = tmp();
    let now = T;
    const store = new JobMetricsStore({ dir, maxBytes: 1, now: () => now });
    const one = new JobMetricsStore({ dir, maxBytes: 10_000_000, now: () => now });
    await one.save(metrics(1, 200));
    await one.save(metrics(2, 200));
    await one.save(metrics(3, 200));
    const size = (await one.size()) / 3;
    const bounded = new JobMetricsStore({ dir, maxBytes: Math.ceil(size * 2.5), now: () => now });
    utimesSync(join(dir, 'gl~1.json.gz'), new Date(T - 3000), new Date(T - 3000));
    utimesSync(join(dir, 'gl~2.json.gz'), new Date(T - 2000), new Date(T - 2000));
    utimesSync(join(dir, 'gl~3.json.gz'), new Date(T - 1000), new Date(T - 1000));
    now = T;
    expect(await bounded.get('gl', 1)).not.toBeNull(); // job 1 used now: 2 is the oldest
    await bounded.save(metrics(4, 200));
    expect(readdirSync(dir).sort()).toEqual(['gl~1.json.gz', 'gl~4.json.gz']);
    // a single job larger than the bound is still kept (the newest always stays)
    await store.save(metrics(5, 200));
    expect(readdirSync(dir)).toEqual(['gl~5.json.gz']);
  });

  it('a damaged file counts as not saved, and a bad instance id never becomes a path', async () => {
    const dir = tmp();
    const store = new JobMetricsStore({ dir, maxBytes: 10_000_000 });
    writeFileSync(join(dir, 'gl~9.json.gz'), 'not gzip');
    expect(await store.get('gl', 9)).toBeNull();
    await expect(store.get('../etc', 1)).rejects.toThrow(/not a settings id/);
  });
});

describe('CSV export', () => {
  it('one row per sample, empty for missing samples, headers with units', () => {
    const csv = jobMetricsToCsv(metrics(1, 6));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('time,unix_ms,cpu (percent),disk /var/lib/docker (bytes)');
    expect(lines[1]).toBe(`${new Date(T).toISOString()},${T},0,`);
    expect(lines[2]).toBe(`${new Date(T + 1000).toISOString()},${T + 1000},19,1000000.1`);
    expect(lines).toHaveLength(6 + 2); // header, 6 rows, final empty after CRLF
  });
});
