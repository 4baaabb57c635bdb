import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GitLabSettings } from '../../../shared/settings';
import { PruneRequest, type PruneRequestInput, type Runner } from '../../../shared/runner';
import { AuditRecord } from '../../../shared/audit';
import { AuditLog } from '../../../electron/core/audit/audit-log';
import { createApiHandlers, dispatch } from '../../../electron/core/api';
import { Engine } from '../../../electron/core/engine';
import type { RunnerAdmin } from '../../../electron/core/runners/admin';
import { previewPrune, pruneRunners } from '../../../electron/core/runners/prune';
import { RunnerService } from '../../../electron/core/runners/runner-service';
import { GitLabSource } from '../../../electron/core/sources/gitlab/gitlab-source';
import { startGitLabSim, type GitLabSim } from '../../sim/gitlab/server';
import { fixtureInstance, SIM_TOKENS } from '../../sim/gitlab/fixtures';

const now = Date.now();
const DAY = 86_400_000;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  sim: GitLabSim;
  source: GitLabSource;
  runners: Runner[];
  audit: AuditLog;
  auditRecords(): Promise<AuditRecord[]>;
}

async function setup(token: string = SIM_TOKENS.admin, staleRunners = 5): Promise<Setup> {
  const sim = await startGitLabSim({
    state: fixtureInstance({ now, onlineRunners: 1, offlineRunners: 1, staleRunners }),
  });
  cleanups.push(() => sim.close());
  const source = new GitLabSource({
    settings: GitLabSettings.parse({
      id: 'gl',
      url: sim.url,
      token: { env: 'UNUSED' },
      staleAfterDays: 7,
    }),
    token: async () => token,
    retryBaseMs: 5,
  });
  const result = await source.collect(new AbortController().signal);
  const dir = await mkdtemp(path.join(tmpdir(), 'rw-prune-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const audit = new AuditLog({ dir });
  return {
    sim,
    source,
    runners: result.runners ?? [],
    audit,
    auditRecords: async () => {
      await audit.flush();
      const text = await readFile(audit.file, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => AuditRecord.parse(JSON.parse(line)));
    },
  };
}

function request(input: PruneRequestInput) {
  return PruneRequest.parse(input);
}

const noSleep = async () => undefined;

describe('stale-runner pruning against the simulator', () => {
  it('previews the stale runners with the reason for each', async () => {
    const { source, runners } = await setup();
    const preview = previewPrune(runners, [source]);
    expect(preview.blocked).toEqual([]);
    expect(preview.candidates.map((c) => [c.key, c.reason])).toEqual([
      ['gl/3', 'GitLab reports it stale (last contact 10 days ago)'],
      ['gl/4', 'GitLab reports it stale (last contact 11 days ago)'],
      ['gl/5', 'GitLab reports it stale (last contact 12 days ago)'],
      ['gl/6', 'GitLab reports it stale (last contact 13 days ago)'],
      ['gl/7', 'GitLab reports it stale (last contact 14 days ago)'],
    ]);
  });

  it('deletes nothing in a dry run, and says what it would do', async () => {
    const { sim, source, runners, audit, auditRecords } = await setup();
    const keys = previewPrune(runners, [source]).candidates.map((c) => c.key);
    const report = await pruneRunners(request({ keys, dryRun: true }), {
      admins: [source],
      audit,
      who: 'tester@host',
      signal: new AbortController().signal,
      sleep: noSleep,
    });
    expect(report.results.map((r) => r.result)).toEqual(Array(5).fill('would-delete'));
    expect(sim.count(/^DELETE|^PUT/)).toBe(0);
    expect(sim.state.runners).toHaveLength(7);
    const records = await auditRecords();
    expect(records.map((r) => [r.type, r.outcome, r.machineKey])).toContainEqual([
      'dry-run',
      'dry-run',
      'gitlab-runner:gl/3',
    ]);
    expect(records).toHaveLength(5);
  });

  it('deletes in batches with a pause between them, and audits every delete', async () => {
    const { sim, source, runners, audit, auditRecords } = await setup();
    const keys = previewPrune(runners, [source]).candidates.map((c) => c.key);
    const sleeps: number[] = [];
    const order: string[] = [];
    const report = await pruneRunners(request({ keys, batchSize: 2, pauseMs: 1500 }), {
      admins: [source],
      audit,
      who: 'tester@host',
      signal: new AbortController().signal,
      sleep: async (ms) => {
        sleeps.push(ms);
        order.push(`pause ${sim.count(/^DELETE/)}`);
      },
    });
    expect(report.batches).toBe(3);
    expect(sleeps).toEqual([1500, 1500]);
    expect(order).toEqual(['pause 2', 'pause 4']);
    expect(report.results.map((r) => r.result)).toEqual(Array(5).fill('deleted'));
    expect(sim.state.runners.map((r) => r.id)).toEqual([1, 2]);
    const results = (await auditRecords()).filter((r) => r.type === 'result');
    expect(results.map((r) => [r.machineKey, r.outcome, r.who])).toEqual(
      keys.map((key) => [`gitlab-runner:${key}`, 'ok', 'tester@host']),
    );
    expect(results[0]?.detail).toContain('delete GitLab runner gl/3 (autoscale-3)');
    expect(results[0]?.reasons).toEqual(['GitLab reports it stale (last contact 10 days ago)']);
  });

  it('skips a runner that came back online between preview and delete', async () => {
    const { sim, source, runners, audit, auditRecords } = await setup();
    const keys = previewPrune(runners, [source]).candidates.map((c) => c.key);
    const revived = sim.state.runners.find((r) => r.id === 4);
    if (!revived) throw new Error('fixture lacks runner 4');
    revived.contactedAt = now - 60_000;
    const report = await pruneRunners(request({ keys }), {
      admins: [source],
      audit,
      who: 'tester@host',
      signal: new AbortController().signal,
      sleep: noSleep,
    });
    expect(report.results.find((r) => r.key === 'gl/4')).toMatchObject({
      result: 'skipped',
      reason: 'came back online',
    });
    expect(report.results.filter((r) => r.result === 'deleted')).toHaveLength(4);
    expect(sim.state.runners.map((r) => r.id)).toEqual([1, 2, 4]);
    expect(sim.count(/^DELETE \/api\/v4\/runners\/4$/)).toBe(0);
    expect((await auditRecords()).find((r) => r.machineKey === 'gitlab-runner:gl/4')).toMatchObject(
      { type: 'refusal', outcome: 'refused' },
    );
  });

  it('reports a partial failure per runner and carries on with the rest', async () => {
    const { sim, source, runners, audit, auditRecords } = await setup();
    const keys = previewPrune(runners, [source]).candidates.map((c) => c.key);
    sim.state.faults.errors = {
      status: 502,
      remaining: 1,
      pathIncludes: '/runners/5',
      method: 'DELETE',
    };
    const gone = sim.state.runners.find((r) => r.id === 6);
    sim.state.runners = sim.state.runners.filter((r) => r !== gone); // deleted by someone else meanwhile
    const report = await pruneRunners(request({ keys, batchSize: 2 }), {
      admins: [source],
      audit,
      who: 'tester@host',
      signal: new AbortController().signal,
      sleep: noSleep,
    });
    expect(report.results.map((r) => [r.key, r.result])).toEqual([
      ['gl/3', 'deleted'],
      ['gl/4', 'deleted'],
      ['gl/5', 'failed'],
      ['gl/6', 'skipped'],
      ['gl/7', 'deleted'],
    ]);
    const failed = report.results.find((r) => r.key === 'gl/5');
    expect(failed?.reason).toBe(
      `${new URL(sim.url).host}: GitLab failed on DELETE /runners/:id (HTTP 502)`,
    );
    expect(sim.count(/^DELETE \/api\/v4\/runners\/5$/)).toBe(1); // a DELETE is not repeated blindly
    expect(report.results.find((r) => r.key === 'gl/6')?.reason).toBe('already gone from GitLab');
    expect(sim.state.runners.map((r) => r.id)).toEqual([1, 2, 5]);
    expect(
      (await auditRecords()).find((r) => r.type === 'result' && r.outcome === 'failed')?.machineKey,
    ).toBe('gitlab-runner:gl/5');
  });

  it('pauses instead of deleting when asked', async () => {
    const { sim, source, runners, audit } = await setup();
    const keys = previewPrune(runners, [source])
      .candidates.map((c) => c.key)
      .slice(0, 2);
    const report = await pruneRunners(request({ keys, action: 'pause' }), {
      admins: [source],
      audit,
      who: 'tester@host',
      signal: new AbortController().signal,
      sleep: noSleep,
    });
    expect(report.results.map((r) => r.result)).toEqual(['paused', 'paused']);
    expect(sim.state.runners.filter((r) => r.paused).map((r) => r.id)).toEqual([3, 4]);
    expect(sim.state.runners).toHaveLength(7);
  });

  it('refuses every runner of an instance whose token lacks manage_runner, without calling GitLab', async () => {
    const { sim, source, runners, audit } = await setup(SIM_TOKENS.adminRead);
    const preview = previewPrune(runners, [source]);
    expect(preview.blocked).toEqual([
      {
        instance: 'gl',
        reason: 'token lacks manage_runner: deleting and pausing runners is unavailable',
      },
    ]);
    sim.resetCounts();
    const report = await pruneRunners(request({ keys: preview.candidates.map((c) => c.key) }), {
      admins: [source],
      audit,
      who: 'tester@host',
      signal: new AbortController().signal,
      sleep: noSleep,
    });
    expect(
      report.results.every(
        (r) => r.result === 'failed' && r.reason.includes('token lacks manage_runner'),
      ),
    ).toBe(true);
    expect(sim.count()).toBe(0);
  });

  it('waits longer between batches when the rate-limit budget asks for it', async () => {
    const deleted: number[] = [];
    const admin: RunnerAdmin = {
      instance: 'gl',
      label: 'stub',
      canManage: () => true,
      check: async (id) => ({
        key: `gl/${id}`,
        instance: 'gl',
        id,
        description: null,
        status: 'stale',
        paused: false,
        runnerType: null,
        version: null,
        tags: [],
        contactedAt: now - 30 * DAY,
        managers: [],
        staleReason: 'stale',
        runningJobs: null,
      }),
      remove: async (id) => {
        deleted.push(id);
      },
      pause: async () => undefined,
      slowDownMs: () => (deleted.length >= 2 ? 45_000 : 0),
    };
    const sleeps: number[] = [];
    await pruneRunners(request({ keys: ['gl/1', 'gl/2', 'gl/3'], batchSize: 2, pauseMs: 1000 }), {
      admins: [admin],
      audit: null,
      who: 't',
      signal: new AbortController().signal,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(sleeps).toEqual([45_000, 45_000]); // between batches, and again before the runner itself
    expect(deleted).toEqual([1, 2, 3]);
  });

  it('serves list, preview and prune over the API, and rejects bad input with a clear error', async () => {
    const { sim, source, audit } = await setup();
    const engine = new Engine({ sources: [source] });
    cleanups.push(() => engine.dispose());
    await engine.runOnce();
    const runners = new RunnerService({
      runners: () => engine.snapshot().runners,
      admins: [source],
      audit,
      who: 'api@host',
      sleep: noSleep,
    });
    const api = createApiHandlers({
      engine,
      info: {
        name: 'Runner Watch',
        version: 't',
        host: 'serve',
        demo: false,
        startedAt: now,
        warnings: [],
      },
      runners,
    });

    const list = await dispatch(api, 'rw:runners:list', {});
    expect(list.ok && Array.isArray(list.value) && list.value.length).toBe(7);
    const preview = await dispatch(api, 'rw:runners:prune-preview', { instance: 'gl' });
    expect(preview.ok && (preview.value as { candidates: unknown[] }).candidates).toHaveLength(5);

    expect(await dispatch(api, 'rw:runners:prune', { keys: [] })).toEqual({
      ok: false,
      error: {
        code: 'bad_input',
        message: 'rw:runners:prune: Too small: expected array to have >=1 items at keys',
      },
    });
    const badKey = await dispatch(api, 'rw:runners:prune', { keys: ['runner-3'] });
    expect(!badKey.ok && badKey.error).toEqual({
      code: 'bad_input',
      message: 'rw:runners:prune: runner keys look like <instance>/<id> at keys.0',
    });
    const badAction = await dispatch(api, 'rw:runners:prune', {
      keys: ['gl/3'],
      action: 'explode',
    });
    expect(!badAction.ok && badAction.error.code).toBe('bad_input');
    expect(sim.count(/^DELETE/)).toBe(0);

    const done = await dispatch(api, 'rw:runners:prune', { keys: ['gl/3'] });
    expect(done.ok && (done.value as { results: { result: string }[] }).results[0]?.result).toBe(
      'deleted',
    );

    const readOnly = createApiHandlers({
      engine,
      info: {
        name: 'Runner Watch',
        version: 't',
        host: 'serve',
        demo: false,
        startedAt: now,
        warnings: [],
      },
    });
    const refused = await dispatch(readOnly, 'rw:runners:prune', { keys: ['gl/4'] });
    expect(!refused.ok && refused.error.code).toBe('refused');
  });
});
