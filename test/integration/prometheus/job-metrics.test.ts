import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';
import { JobMetrics } from '../../../shared/job-metrics';
import { jobMetricsToCsv, jobMetricsToJson } from '../../../shared/job-metrics-export';
import { Settings, type SecretRef } from '../../../shared/settings';
import { childEnv, runCli } from '../cli/run-cli';
import { fixtureInstance, SIM_TOKENS } from '../../sim/gitlab/fixtures';
import { startGitLabSim, type GitLabSim } from '../../sim/gitlab/server';
import type { SimJob } from '../../sim/gitlab/state';
import {
  prometheusSkipReason,
  startPrometheusHarness,
  type PrometheusHarness,
} from '../../support/prometheus';

const skip = prometheusSkipReason();
if (skip) console.warn(`skipping real-Prometheus job metrics tests: ${skip}`);

const secrets = {
  resolve: async (ref: SecretRef) => {
    if ('env' in ref && ref.env === 'RW_TEST_GITLAB') return SIM_TOKENS.admin;
    throw new Error('unknown secret');
  },
};

describe.skipIf(skip !== null)('job metrics over real Prometheus and node_exporter', () => {
  let lab: PrometheusHarness;
  let gitlab: GitLabSim;
  let runtime: Runtime;
  let stateDir: string;
  let started: number;
  const jobs: SimJob[] = [];

  beforeAll(async () => {
    lab = await startPrometheusHarness([
      { name: 'vm-a', instance: '127.0.5.1:9100' },
      { name: 'vm-b', instance: '127.0.5.2:9100' },
    ]);
    started = Date.now();
    await lab.waitForScrapes(6);
    const now = Date.now();
    const state = fixtureInstance({
      now,
      onlineRunners: 1,
      offlineRunners: 0,
      staleRunners: 0,
      neverContactedRunners: 0,
      finishedJobsPerRunner: 0,
      runningJobsPerRunner: 0,
    });
    const runner = state.runners[0]!;
    const job = (
      id: number,
      machine: string,
      status: SimJob['status'],
      finishedAt: number | null,
    ): SimJob => ({
      id,
      runnerId: runner.id,
      systemId: runner.managers[0]?.systemId ?? null,
      projectId: 77,
      projectPath: 'group/app',
      pipelineId: 900,
      name: `build:${id}`,
      stage: 'build',
      ref: 'main',
      status,
      createdAt: started - 1_000,
      startedAt: started,
      finishedAt,
      username: 'dev',
      machine,
      executor: 'docker+machine',
    });
    jobs.push(
      job(501, 'vm-a', 'success', now - 1_500),
      job(502, 'vm-b', 'running', null),
      job(503, 'vm-b', 'failed', now - 1_500),
    );
    state.jobs.push(...jobs);
    gitlab = await startGitLabSim({ state });
    stateDir = mkdtempSync(join(tmpdir(), 'rw-job-metrics-'));
    const settings = Settings.parse({
      fleets: [{ id: 'ci', watchedMounts: ['/', '/var/lib/docker'] }],
      gitlab: [{ id: 'gl', url: gitlab.url, token: { env: 'RW_TEST_GITLAB' } }],
      prometheus: [
        { id: 'lab', fleet: 'ci', url: lab.url, machineLabel: 'machine', scrapeIntervalSec: 1 },
      ],
      jobMetrics: { marginSec: 1 },
      stateDir,
    });
    runtime = await createRuntime({ settings, secrets, host: 'cli', demo: false, version: 'test' });
    await runtime.engine.refresh('gitlab:gl'); // recent jobs for the timeline, linked to machines
  }, 90_000);

  afterAll(async () => {
    await runtime?.dispose();
    await gitlab?.close();
    await lab?.dispose();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  let first: JobMetrics;

  it('a finished job window over the live exporter returns every figure, and is saved', async () => {
    first = await runtime.jobMetrics.get({ job: '501' });
    expect(first.origin).toBe('prometheus');
    expect(first.job).toMatchObject({
      instance: 'gl',
      jobId: 501,
      machine: 'vm-a',
      status: 'success',
    });
    expect(first.window.stepSec).toBe(1);
    expect(first.timestamps.length).toBeGreaterThan(3);
    expect(first.timestamps.length).toBeLessThanOrEqual(1_000);
    const metrics = new Set(first.series.map((s) => s.metric));
    for (const m of ['cpu', 'memory', 'load', 'disk', 'diskRead', 'diskWrite', 'netRx', 'netTx'])
      expect(metrics, m).toContain(m);
    const filled = (metric: string) =>
      first.series.find((s) => s.metric === metric)!.values.filter((v) => v !== null).length;
    expect(filled('memory')).toBeGreaterThan(2);
    expect(filled('cpu')).toBeGreaterThan(1);
    const cpu = first.series.find((s) => s.metric === 'cpu')!.values.filter((v) => v !== null);
    for (const v of cpu) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
    }
    expect(first.series.find((s) => s.metric === 'disk')?.label).toBe('/');
    // the sim's trace has GitLab Runner's section markers
    expect(first.phases.map((p) => p.name)).toEqual(
      expect.arrayContaining(['prepare_executor', 'get_sources', 'step_script']),
    );
    expect(first.savedAt).not.toBeNull();
    expect(readdirSync(join(stateDir, 'job-metrics'))).toEqual(['gl~501.json.gz']);
  });

  it('the sweep saves finished jobs nobody opened, and only those', async () => {
    const saved = await runtime.jobMetrics.saveFinished(AbortSignal.timeout(30_000));
    expect(saved).toBe(1);
    expect(readdirSync(join(stateDir, 'job-metrics')).sort()).toEqual([
      'gl~501.json.gz',
      'gl~503.json.gz',
    ]);
    expect(await runtime.jobMetrics.saveFinished(AbortSignal.timeout(30_000))).toBe(0);
  });

  it('a running job is answered but not saved', async () => {
    const running = await runtime.jobMetrics.get({ job: `${gitlab.url}/group/app/-/jobs/502` });
    expect(running.job).toMatchObject({ jobId: 502, machine: 'vm-b', finishedAt: null });
    expect(running.savedAt).toBeNull();
    expect(running.series.length).toBeGreaterThan(0);
    expect(existsSync(join(stateDir, 'job-metrics', 'gl~502.json.gz'))).toBe(false);
  });

  it('the saved file is read back after Prometheus is stopped', async () => {
    await lab.stopPrometheus();
    const again = await runtime.jobMetrics.get({ job: `${gitlab.url}/group/app/-/jobs/501` });
    expect(again.origin).toBe('store');
    expect(again.series).toEqual(first.series);
    expect(again.timestamps).toEqual(first.timestamps);
    // and a job never saved says why it cannot be shown
    await expect(runtime.jobMetrics.get({ job: '502' })).rejects.toMatchObject({
      code: 'unreachable',
    });
  });

  it('CSV and JSON downloads hold the same figures', () => {
    const csv = jobMetricsToCsv(first);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      [
        'time',
        'unix_ms',
        ...first.series.map((s) =>
          s.metric === 'disk' ? `disk ${s.label} (${s.unit})` : `${s.metric} (${s.unit})`,
        ),
      ].join(','),
    );
    expect(lines).toHaveLength(first.timestamps.length + 1);
    const row = lines[1]!.split(',');
    expect(row[0]).toBe(new Date(first.timestamps[0]!).toISOString());
    expect(Number(row[1])).toBe(first.timestamps[0]);
    const memIndex = first.series.findIndex((s) => s.metric === 'memory');
    const memValue = first.series[memIndex]!.values[0];
    expect(row[2 + memIndex]).toBe(
      memValue === null || memValue === undefined ? '' : String(Number(memValue.toPrecision(8))),
    );
    const parsed = JobMetrics.parse(JSON.parse(jobMetricsToJson(first)));
    expect(parsed).toEqual(first);
  });

  it('runner-watch job-metrics prints the saved job as CSV and JSON, Prometheus still down', async () => {
    const config = join(stateDir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        fleets: [{ id: 'ci' }],
        gitlab: [{ id: 'gl', url: gitlab.url, token: { env: 'RW_TEST_GITLAB' } }],
        prometheus: [{ id: 'lab', fleet: 'ci', url: lab.url, machineLabel: 'machine' }],
        stateDir,
      }),
    );
    const env = childEnv({ RW_TEST_GITLAB: SIM_TOKENS.admin });
    const csv = await runCli(['job-metrics', '--config', config, '--job', '501'], { env });
    expect(csv.stderr).toContain('from the local store');
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(jobMetricsToCsv(first).replace(/\r\n$/, '') + '\n');
    const json = await runCli(
      [
        'job-metrics',
        '--config',
        config,
        '--job',
        `${gitlab.url}/group/app/-/jobs/501`,
        '--format',
        'json',
      ],
      { env },
    );
    expect(json.code).toBe(0);
    expect(JobMetrics.parse(JSON.parse(json.stdout))).toEqual({ ...first, origin: 'store' });
    const bad = await runCli(
      ['job-metrics', '--config', config, '--job', '501', '--format', 'xml'],
      { env },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format must be csv or json, got "xml"/);
    const notJob = await runCli(['job-metrics', '--config', config, '--job', 'pipelines/3'], {
      env,
    });
    expect(notJob.code).toBe(2);
    expect(notJob.stderr).toMatch(/--job: a job id \(digits\) or a job URL/);
    expect(`${csv.stderr}${json.stderr}${bad.stderr}`).not.toContain(SIM_TOKENS.admin);
  }, 60_000);
});
