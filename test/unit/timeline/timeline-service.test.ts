import { describe, expect, it, vi } from 'vitest';
import type { FleetEvent, FleetSnapshot } from '../../../shared/fleet';
import type { RunnerJob } from '../../../shared/runner';
import { GitLabSettings } from '../../../shared/settings';
import { createApiHandlers, dispatch, isCommand } from '../../../electron/core/api';
import type { Engine } from '../../../electron/core/engine';
import { toDisposable } from '../../../electron/core/lifecycle';
import { TimelineService } from '../../../electron/core/timeline/timeline-service';
import { fleetSettings, machine } from '../reaper/fixtures';

const NOW = 1_750_000_000_000;

function fakeEngine(snapshot: FleetSnapshot) {
  const listeners = new Set<(event: FleetEvent) => void>();
  return {
    snapshot: () => snapshot,
    onEvent(listener: (event: FleetEvent) => void) {
      listeners.add(listener);
      listener({ type: 'snapshot', snapshot });
      return toDisposable(() => void listeners.delete(listener));
    },
    emit: (event: FleetEvent) => listeners.forEach((l) => l(event)),
    listeners,
  };
}

const job = (jobId: number, jobUrl: string | null): RunnerJob => ({
  key: `gl/${jobId}`,
  instance: 'gl',
  jobId,
  runnerId: 1,
  status: 'success',
  name: 'build',
  projectId: 1,
  projectPath: 'group/app',
  pipelineId: 1,
  ref: 'main',
  user: 'dev',
  jobUrl,
  createdAt: NOW - 60_000,
  startedAt: NOW - 60_000,
  finishedAt: NOW - 1_000,
  machine: 'vm-a',
});

function setup(
  options: { openExternal?: (url: string) => Promise<void>; jobs?: RunnerJob[] } = {},
) {
  const snapshot: FleetSnapshot = {
    version: 1,
    generatedAt: NOW,
    machines: [machine({ name: 'vm-a', disk: 61 }, NOW - 5_000)],
    runners: [],
    sources: [],
    proposals: [],
  };
  const engine = fakeEngine(snapshot);
  const gitlab = [
    GitLabSettings.parse({ id: 'gl', url: 'http://127.0.0.9:8080', token: { env: 'X' } }),
  ];
  const jobs = options.jobs ?? [
    job(1, 'http://127.0.0.9:8080/group/app/-/jobs/1'),
    job(2, 'http://127.0.0.66/group/app/-/jobs/2'),
  ];
  const service = new TimelineService({
    engine,
    fleets: [fleetSettings('ci')],
    gitlab,
    sources: [{ instance: 'gl', timeline: () => jobs }],
    now: () => NOW,
    ...(options.openExternal ? { openExternal: options.openExternal } : {}),
  });
  const api = createApiHandlers({
    engine: engine as unknown as Engine,
    info: {
      name: 'Runner Watch',
      version: '0',
      host: 'serve',
      demo: false,
      startedAt: 0,
      warnings: [],
    },
    timeline: service,
  });
  return { service, engine, api };
}

describe('TimelineService', () => {
  it('serves rw:timeline:get with jobs and the disk samples it followed from engine events', async () => {
    const { api } = setup();
    const result = await dispatch(api, 'rw:timeline:get', { from: NOW - 3_600_000, to: NOW });
    expect(result.ok).toBe(true);
    const timeline = result.ok
      ? (result.value as {
          rows: { key: string; jobs: unknown[]; disk: unknown[] }[];
          jobsSince: number;
          warnings: string[];
        })
      : null;
    expect(timeline?.rows[0]?.key).toBe('ci/vm-a');
    expect(timeline?.rows[0]?.jobs).toHaveLength(2);
    expect(timeline?.rows[0]?.disk).toEqual([
      { at: NOW - 5_000 - ((NOW - 5_000) % 60_000), pct: 61 },
    ]);
    expect(timeline?.jobsSince).toBe(NOW - 6 * 3_600_000);
    expect(timeline?.warnings).toEqual([]);
  });

  it('keeps a minute on the heat strip for machines a delta refreshed with the same disks', async () => {
    const { api, engine } = setup();
    const delta = (
      version: number,
      refreshed: Extract<FleetEvent, { type: 'delta' }>['refreshed'],
    ) =>
      engine.emit({
        type: 'delta',
        version,
        at: NOW,
        upserted: [],
        refreshed,
        removed: [],
        sources: [],
        runners: null,
        proposals: null,
      });
    delta(2, [{ keys: ['ci/vm-a', 'ci/vm-unknown'], observedAt: { disks: NOW + 60_000 } }]);
    // A refresh that did not move the disks' read time adds nothing.
    delta(3, [{ keys: ['ci/vm-a'], observedAt: { status: NOW + 150_000 } }]);
    delta(4, [{ keys: ['ci/vm-a'], observedAt: { disks: NOW + 120_000 } }]);
    const result = await dispatch(api, 'rw:timeline:get', {
      from: NOW - 3_600_000,
      to: NOW + 300_000,
    });
    const rows = result.ok
      ? (result.value as { rows: { key: string; disk: unknown[] }[] }).rows
      : [];
    const bucket = NOW - 5_000 - ((NOW - 5_000) % 60_000);
    expect(rows.map((r) => r.key)).toEqual(['ci/vm-a']);
    expect(rows[0]?.disk).toEqual([
      { at: bucket, pct: 61 },
      { at: bucket + 60_000, pct: 61 },
      { at: bucket + 120_000, pct: 61 },
    ]);
  });

  it('rejects a window that ends before it starts or spans more than 7 days, with the reason', async () => {
    const { api } = setup();
    expect(await dispatch(api, 'rw:timeline:get', { from: NOW, to: NOW - 1 })).toMatchObject({
      ok: false,
      error: { code: 'bad_input', message: expect.stringContaining('must end after it starts') },
    });
    expect(await dispatch(api, 'rw:timeline:get', { from: 0, to: NOW })).toMatchObject({
      ok: false,
      error: { code: 'bad_input', message: expect.stringContaining('at most 7 days') },
    });
    expect(
      await dispatch(api, 'rw:timeline:get', { from: NOW - 1000, to: NOW, extra: 1 }),
    ).toMatchObject({ ok: false });
  });

  it('opens a job through the injected opener only after checking its URL (desktop host)', async () => {
    const open = vi.fn(async (_url: string) => {});
    const { api } = setup({ openExternal: open });
    expect(await dispatch(api, 'rw:timeline:open-job', { jobKey: 'gl/1' })).toEqual({
      ok: true,
      value: { url: 'http://127.0.0.9:8080/group/app/-/jobs/1', opened: true },
    });
    expect(open).toHaveBeenCalledWith('http://127.0.0.9:8080/group/app/-/jobs/1');
    // A job whose recorded URL points elsewhere is refused and nothing is opened.
    expect(await dispatch(api, 'rw:timeline:open-job', { jobKey: 'gl/2' })).toMatchObject({
      ok: false,
      error: {
        code: 'refused',
        message: expect.stringContaining('is not on the configured instance'),
      },
    });
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('hands the checked URL back when the host cannot open it (serve host)', async () => {
    const { api } = setup();
    expect(await dispatch(api, 'rw:timeline:open-job', { jobKey: 'gl/1' })).toEqual({
      ok: true,
      value: { url: 'http://127.0.0.9:8080/group/app/-/jobs/1', opened: false },
    });
  });

  it('refuses unknown instances, unknown jobs and keys that are no job key, and never takes a URL', async () => {
    const { api } = setup();
    expect(await dispatch(api, 'rw:timeline:open-job', { jobKey: 'other/1' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await dispatch(api, 'rw:timeline:open-job', { jobKey: 'gl/99' })).toMatchObject({
      ok: false,
      error: { code: 'not_found', message: expect.stringContaining('not among the recent jobs') },
    });
    for (const bad of [
      { jobKey: 'https://evil.example/' },
      { jobKey: 'gl/1', url: 'https://evil.example' },
      {},
    ]) {
      expect(await dispatch(api, 'rw:timeline:open-job', bad)).toMatchObject({
        ok: false,
        error: { code: 'bad_input' },
      });
    }
  });

  it('makes opening a job a command (the serve host checks its Origin) and reading a query', () => {
    expect(isCommand('rw:timeline:open-job')).toBe(true);
    expect(isCommand('rw:timeline:get')).toBe(false);
  });

  it('stops following the engine when disposed', async () => {
    const { service, engine } = setup();
    expect(engine.listeners.size).toBe(1);
    await service.dispose();
    expect(engine.listeners.size).toBe(0);
  });
});
