import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppInfo } from '../../../shared/api';
import { AuditRecord } from '../../../shared/audit';
import { FleetEvent, FleetSnapshot } from '../../../shared/fleet';
import { GitLabSettings } from '../../../shared/settings';
import { AuditLog } from '../../../electron/core/audit/audit-log';
import { createApiHandlers } from '../../../electron/core/api';
import { Engine } from '../../../electron/core/engine';
import { RunnerService } from '../../../electron/core/runners/runner-service';
import { GitLabSource } from '../../../electron/core/sources/gitlab/gitlab-source';
import type { CollectResult, Source } from '../../../electron/core/sources/source';
import { startServeHost, type ServeHost } from '../../../electron/serve/serve-host';
import { fixtureInstance, SIM_TOKENS } from '../../sim/gitlab/fixtures';
import { startGitLabSim } from '../../sim/gitlab/server';

// Issue 17.2, 17.3 and 17.6 against a running serve host (real HTTP on loopback).

const info: AppInfo = {
  name: 'Runner Watch',
  version: '0.0.0-test',
  host: 'serve',
  demo: false,
  startedAt: 1,
  warnings: [],
};

const cleanups: (() => Promise<unknown>)[] = [];
let dir: string;
let rendererDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-hostile-serve-'));
  rendererDir = join(dir, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Runner Watch</title>');
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(rendererDir, 'assets', 'app.js.map'), '{"version":3,"sources":["secret"]}');
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A probe that reports two hosts, one of which prints a 400-digit CPU count as Infinity. */
function hostileProbe(): Source {
  const load = (cpus: number) => ({
    load1: 0.5,
    load5: 0.5,
    load15: 0.5,
    cpus,
    memTotalBytes: 1024,
    memAvailableBytes: 512,
  });
  return {
    id: 'ssh:probe',
    kind: 'ssh',
    label: 'SSH probe',
    phase: 'probe',
    intervalMs: 60_000,
    timeoutMs: 5_000,
    async collect(): Promise<CollectResult> {
      return {
        machines: [
          { fleet: 'ci', name: 'good', disks: [], jobs: [], load: load(4) },
          { fleet: 'ci', name: 'hostile', disks: [], jobs: [], load: load(Infinity) },
        ],
      };
    },
  };
}

async function serve(
  engine: Engine,
  runners?: RunnerService,
): Promise<ServeHost & { base: string }> {
  const api = createApiHandlers({ engine, info, ...(runners ? { runners } : {}) });
  const host = await startServeHost({ runtime: { engine, api }, port: 0, rendererDir });
  cleanups.push(() => host.dispose());
  return Object.assign(host, { base: host.url.replace(/\/$/, '') });
}

function invoke(
  host: ServeHost & { base: string },
  channel: string,
  body: string | undefined,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${host.base}/api/invoke/${channel}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${host.token}`,
      Origin: host.base,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body }),
    ...init,
  });
}

/** Reads the first SSE event of /api/events. */
async function firstEvent(host: ServeHost & { base: string }): Promise<unknown> {
  const abort = new AbortController();
  const res = await fetch(`${host.base}/api/events`, {
    headers: { Authorization: `Bearer ${host.token}` },
    signal: abort.signal,
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      text += decoder.decode(value, { stream: true });
      const match = /^data: (.*)$/m.exec(text);
      if (match?.[1] && text.includes('\n\n', match.index)) return JSON.parse(match[1]);
    }
  } finally {
    abort.abort();
  }
}

describe('one hostile host cannot break the snapshot for everyone (17.2)', () => {
  it('serves the snapshot and the SSE snapshot, with only that field unknown and logged', async () => {
    const warnings: string[] = [];
    const engine = new Engine({ sources: [hostileProbe()], warn: (m) => warnings.push(m) });
    cleanups.push(() => engine.dispose());
    await engine.runOnce();
    // A second cycle with the same broken figure is not logged again.
    await engine.runOnce();
    const host = await serve(engine);

    const res = await invoke(host, 'rw:fleet:snapshot', undefined);
    expect(res.status).toBe(200);
    const snapshot = FleetSnapshot.parse(await res.json());
    const byName = new Map(snapshot.machines.map((m) => [m.name, m]));
    expect(byName.get('good')?.load.value?.cpus).toBe(4);
    expect(byName.get('hostile')?.load.value).toBeNull();
    expect(byName.get('hostile')?.load.error).toMatch(/^reading rejected: load\.cpus: /);
    // The rest of the hostile machine is still there.
    expect(byName.get('hostile')?.disks.value).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^ci\/hostile: reading from ssh:probe rejected \(load\.cpus: .*\); the field is unknown$/,
      ),
    ]);

    const event = FleetEvent.parse(await firstEvent(host));
    expect(event.type).toBe('snapshot');
    if (event.type === 'snapshot') {
      expect(event.snapshot.machines.find((m) => m.name === 'hostile')?.load.value).toBeNull();
    }
  });
});

describe('request bodies and static files (17.6)', () => {
  it('a JSON null body is a 400, not {}; an empty body still means {}', async () => {
    const engine = new Engine({ sources: [] });
    cleanups.push(() => engine.dispose());
    const host = await serve(engine);
    const nullBody = await invoke(host, 'rw:app:info', 'null');
    expect(nullBody.status).toBe(400);
    expect(await nullBody.json()).toMatchObject({ code: 'bad_input' });
    expect((await invoke(host, 'rw:app:info', undefined)).status).toBe(200);
  });

  it('serves the source map only with the token, however the path is spelled', async () => {
    const engine = new Engine({ sources: [] });
    cleanups.push(() => engine.dispose());
    const host = await serve(engine);
    for (const path of [
      '/assets/app.js.map',
      '/assets/app.js%2Emap',
      '/assets/app.js.MAP',
      '/assets/app.js.map/',
    ]) {
      const res = await fetch(`${host.base}${path}`);
      expect(res.status, path).toBe(401);
      expect(await res.text(), path).not.toContain('secret');
    }
    const authorised = await fetch(`${host.base}/assets/app.js.map`, {
      headers: { Authorization: `Bearer ${host.token}` },
    });
    expect(authorised.status).toBe(200);
    // The app itself still loads before the token is traded for a cookie.
    expect((await fetch(`${host.base}/assets/app.js`)).status).toBe(200);
  });
});

describe('prune channel abuse (17.3)', () => {
  async function setupPrune(staleRunners: number) {
    const sim = await startGitLabSim({
      state: fixtureInstance({
        now: Date.now(),
        onlineRunners: 1,
        offlineRunners: 0,
        staleRunners,
      }),
    });
    cleanups.push(() => sim.close());
    const source = new GitLabSource({
      settings: GitLabSettings.parse({ id: 'gl', url: sim.url, token: { env: 'UNUSED' } }),
      token: async () => SIM_TOKENS.admin,
      retryBaseMs: 5,
    });
    const engine = new Engine({ sources: [source] });
    cleanups.push(() => engine.dispose());
    await engine.runOnce();
    const stateDir = await mkdtemp(join(dir, 'state-'));
    const audit = new AuditLog({ dir: stateDir });
    const runners = new RunnerService({
      runners: () => engine.snapshot().runners,
      admins: [source],
      audit,
      who: 'tester@host',
    });
    cleanups.push(async () => runners.dispose());
    const host = await serve(engine, runners);
    const records = async () => {
      await audit.flush();
      const text = await readFile(audit.file, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => AuditRecord.parse(JSON.parse(line)));
    };
    const stale = engine
      .snapshot()
      .runners.filter((r) => r.staleReason !== null)
      .map((r) => r.key);
    return { sim, host, records, stale };
  }

  it('refuses out-of-range runner ids with 400 before anything runs or is audited', async () => {
    const { sim, host, records } = await setupPrune(1);
    for (const key of [`gl/${'9'.repeat(400)}`, `gl/${Number.MAX_SAFE_INTEGER + 2}`, 'gl/0']) {
      const res = await invoke(host, 'rw:runners:prune', JSON.stringify({ keys: [key] }));
      expect(res.status, key).toBe(400);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('bad_input');
      expect(body.message).toMatch(/^rw:runners:prune: runner (keys look like|id is larger)/);
    }
    expect(sim.count(/^DELETE|^PUT|^GET \/runners\/\d+$/)).toBe(0);
    expect(await records()).toEqual([]);
  });

  it('bounds keys per request and pauseMs', async () => {
    const { host } = await setupPrune(1);
    const keys = Array.from({ length: 1001 }, (_, i) => `gl/${i + 1}`);
    expect((await invoke(host, 'rw:runners:prune', JSON.stringify({ keys }))).status).toBe(400);
    const slow = await invoke(
      host,
      'rw:runners:prune',
      JSON.stringify({ keys: ['gl/1'], pauseMs: 600_000 }),
    );
    expect(slow.status).toBe(400);
  });

  it('a dry run over 1,000 unknown keys writes one audit record, not 1,000', async () => {
    const { host, records, stale } = await setupPrune(1);
    const unknown = Array.from({ length: 999 }, (_, i) => `gl/${900_000 + i}`);
    const res = await invoke(
      host,
      'rw:runners:prune',
      JSON.stringify({ keys: [...stale, ...unknown], dryRun: true, batchSize: 100, pauseMs: 0 }),
    );
    expect(res.status).toBe(200);
    const written = await records();
    expect(written.map((r) => r.type)).toEqual(['dry-run', 'dry-run']);
    expect(written[0]?.machineKey).toBe(`gitlab-runner:${stale[0]}`);
    expect(written[1]?.detail).toMatch(/999 requested keys named no runner that could be checked/);
  });

  it('a prune whose client disconnects stops, so the next one is not locked out', async () => {
    const { sim, host, stale } = await setupPrune(3);
    expect(stale).toHaveLength(3);
    const abort = new AbortController();
    const first = invoke(
      host,
      'rw:runners:prune',
      JSON.stringify({ keys: stale, batchSize: 1, pauseMs: 60_000 }),
      { signal: abort.signal },
    ).catch((error: unknown) => error);
    // Wait until the first batch is done and the 60 s pause has begun, then go away.
    for (let i = 0; i < 100 && sim.count(/^DELETE/) < 1; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sim.count(/^DELETE/)).toBe(1);
    abort.abort();
    await first;
    let status = 0;
    for (let i = 0; i < 50; i++) {
      const res = await invoke(
        host,
        'rw:runners:prune',
        JSON.stringify({ keys: stale, dryRun: true, pauseMs: 0 }),
      );
      status = res.status;
      await res.body?.cancel();
      if (status !== 409) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    // Nothing after the disconnect was deleted.
    expect(sim.count(/^DELETE/)).toBe(1);
  });
});
