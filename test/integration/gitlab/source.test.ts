import { afterEach, describe, expect, it } from 'vitest';
import { GitLabSettings } from '../../../shared/settings';
import { Engine } from '../../../electron/core/engine';
import {
  GitLabSource,
  type GitLabSourceOptions,
} from '../../../electron/core/sources/gitlab/gitlab-source';
import { isGitLabError } from '../../../electron/core/sources/gitlab/errors';
import type { CollectResult, Source } from '../../../electron/core/sources/source';
import { startGitLabSim, type GitLabSim } from '../../sim/gitlab/server';
import { fixtureInstance, machineName, SIM_TOKENS } from '../../sim/gitlab/fixtures';
import type { SimInstanceState } from '../../sim/gitlab/state';

const now = Date.now();
const sims: GitLabSim[] = [];
const engines: Engine[] = [];

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.dispose();
  for (const sim of sims.splice(0)) await sim.close();
});

async function sim(state: SimInstanceState): Promise<GitLabSim> {
  const started = await startGitLabSim({ state });
  sims.push(started);
  return started;
}

function source(
  server: GitLabSim,
  id: string,
  token: string,
  extra: Partial<GitLabSourceOptions> = {},
): GitLabSource {
  return new GitLabSource({
    settings: GitLabSettings.parse({
      id,
      url: server.url,
      token: { env: 'UNUSED' },
      intervalSec: 30,
      timeoutSec: 5,
    }),
    token: async () => token,
    retryBaseMs: 5,
    ...extra,
  });
}

const signal = () => new AbortController().signal;

/** A static inventory standing in for Hetzner: it names the machines GitLab links jobs to. */
function inventory(names: string[]): Source {
  return {
    id: 'static:fleet',
    kind: 'hetzner',
    label: 'static',
    phase: 'inventory',
    intervalMs: 30_000,
    timeoutMs: 5_000,
    collect: async (): Promise<CollectResult> => ({
      machines: names.map((name) => ({
        fleet: 'f',
        name,
        identity: {
          kind: 'autoscaled',
          provider: 'hetzner',
          providerId: name,
          serverType: 'cx22',
          createdAt: null,
          labels: {},
          addresses: [],
          providerStatus: 'running',
          state: 'running',
        },
      })),
      inventoryOf: ['f'],
    }),
  };
}

describe('GitLab source against the simulator', () => {
  it('collects runners from several instances and links running jobs to machines', async () => {
    const a = await sim(
      fixtureInstance({ now, onlineRunners: 2, firstId: 1, machinePrefix: 'aaaa' }),
    );
    const b = await sim(
      fixtureInstance({
        now,
        onlineRunners: 1,
        staleRunners: 1,
        offlineRunners: 0,
        firstId: 500,
        machinePrefix: 'bbbb',
      }),
    );
    const machineA = machineName('aaaa', 1, 0);
    const machineB = machineName('bbbb', 500, 1);
    const engine = new Engine({
      sources: [
        source(a, 'a', SIM_TOKENS.admin),
        source(b, 'b', SIM_TOKENS.admin),
        inventory([machineA, machineB]),
      ],
    });
    engines.push(engine);
    const snapshot = await engine.runOnce();

    expect(snapshot.runners.filter((r) => r.instance === 'a')).toHaveLength(5);
    expect(snapshot.runners.filter((r) => r.instance === 'b').map((r) => r.key)).toEqual([
      'b/500',
      'b/501',
    ]);
    const stale = snapshot.runners.find((r) => r.key === 'b/501');
    expect(stale?.status).toBe('stale');
    expect(stale?.staleReason).toMatch(/^GitLab reports it stale \(last contact 10 days ago\)/);
    const online = snapshot.runners.find((r) => r.key === 'a/1');
    expect(online).toMatchObject({
      status: 'online',
      version: '17.5.0',
      tags: ['docker', 'hetzner'],
      runningJobs: 2,
      staleReason: null,
    });
    expect(online?.managers[0]).toMatchObject({ systemId: 's_000000000001', status: 'online' });
    expect(snapshot.sources.map((s) => [s.id, s.state])).toEqual([
      ['gitlab:a', 'ok'],
      ['gitlab:b', 'ok'],
      ['static:fleet', 'ok'],
    ]);

    const onA = snapshot.machines.find((m) => m.name === machineA);
    expect(onA?.gitlabJobs.stale).toBe(false);
    expect(onA?.gitlabJobs.value?.map((j) => [j.jobId, j.name, j.projectPath, j.runnerId])).toEqual(
      [[10_005, 'build:0', 'group/app-0', 1]],
    );
    const onB = snapshot.machines.find((m) => m.name === machineB);
    expect(onB?.gitlabJobs.value?.map((j) => j.name)).toEqual(['build:1']);
  });

  it('pages runners to the end, with and without X-Total', async () => {
    for (const totalsLimit of [10_000, 0]) {
      const state = fixtureInstance({
        now,
        onlineRunners: 0,
        offlineRunners: 0,
        staleRunners: 210,
      });
      state.totalsLimit = totalsLimit;
      const server = await sim(state);
      const result = await source(server, 'p', SIM_TOKENS.admin, { concurrency: 16 }).collect(
        signal(),
      );
      expect(result.runners?.map((r) => r.id)).toEqual(
        Array.from({ length: 210 }, (_, i) => i + 1),
      );
      expect(server.count(/^GET \/api\/v4\/runners\/all$/)).toBe(3);
      const firstPage = server.requests.find((r) => r.path === '/api/v4/runners/all');
      expect(firstPage?.query.get('per_page')).toBe('100');
    }
  });

  it('waits out a short 429 Retry-After before trying again', async () => {
    const server = await sim(fixtureInstance({ now }));
    server.state.faults.tooMany = { remaining: 1, retryAfterSec: 1 };
    const result = await source(server, 'r', SIM_TOKENS.admin).collect(signal());
    expect(result.runners).toHaveLength(5);
    const [refused, retried] = server.requests;
    expect(refused?.status).toBe(429);
    expect(retried?.path).toBe(refused?.path);
    expect((retried?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it("fails with rate_limited and the server's wait when Retry-After is long, and the engine waits that long", async () => {
    const server = await sim(fixtureInstance({ now }));
    server.state.faults.tooMany = { remaining: 1, retryAfterSec: 120 };
    const gitlab = source(server, 'r', SIM_TOKENS.admin);
    const error: unknown = await gitlab.collect(signal()).catch((e: unknown) => e);
    expect(isGitLabError(error) && error.code).toBe('rate_limited');
    expect(isGitLabError(error) && error.retryAfterMs).toBe(120_000);
    expect(server.count()).toBe(1); // not retried in a loop

    server.state.faults.tooMany = { remaining: 1, retryAfterSec: 120 };
    const engine = new Engine({ sources: [source(server, 'r2', SIM_TOKENS.admin)] });
    engines.push(engine);
    const events: number[] = [];
    engine.onEvent(() => events.push(1));
    engine.start();
    await waitFor(() => engine.snapshot().sources[0]?.nextRunAt !== null);
    const health = engine.snapshot().sources[0];
    expect(health?.state).toBe('failing');
    expect(health?.lastError?.code).toBe('rate_limited');
    expect((health?.nextRunAt ?? 0) - (health?.lastRunAt ?? 0)).toBeGreaterThanOrEqual(120_000);
  });

  it('asks the engine to slow down when RateLimit-Remaining would not carry another cycle', async () => {
    const server = await sim(fixtureInstance({ now }));
    server.state.rateLimit = { limit: 60, windowSec: 60 };
    const gitlab = source(server, 'r', SIM_TOKENS.admin);
    const result = await gitlab.collect(signal());
    expect(result.runners).toHaveLength(5);
    expect(gitlab.lastCycle?.requests).toBe(32);
    expect(result.retryAfterMs).toBeGreaterThan(0);
    expect(result.retryAfterMs).toBeLessThanOrEqual(61_000);
    expect(server.requests.every((r) => r.status !== 429)).toBe(true);
  });

  it('stops before exhausting the budget mid-cycle and says how long to wait', async () => {
    const server = await sim(fixtureInstance({ now }));
    server.state.rateLimit = { limit: 30, windowSec: 60 };
    const error: unknown = await source(server, 'r', SIM_TOKENS.admin)
      .collect(signal())
      .catch((e: unknown) => e);
    expect(isGitLabError(error) && error.code).toBe('rate_limited');
    expect(isGitLabError(error) && error.message).toMatch(
      /rate-limit budget nearly spent \(3 of 30 left\)/,
    );
    expect(isGitLabError(error) && error.retryAfterMs).toBeGreaterThan(50_000);
    expect(server.requests.every((r) => r.status !== 429)).toBe(true);
  });

  it('degrades clearly with a token that lacks manage_runner, and keeps reading', async () => {
    const server = await sim(fixtureInstance({ now }));
    const engine = new Engine({ sources: [source(server, 'ro', SIM_TOKENS.adminRead)] });
    engines.push(engine);
    const snapshot = await engine.runOnce();
    expect(snapshot.sources[0]?.state).toBe('degraded');
    expect(snapshot.sources[0]?.warnings).toEqual([
      'token lacks manage_runner: deleting and pausing runners is unavailable',
    ]);
    expect(snapshot.runners).toHaveLength(5);
  });

  it('says which call is refused when GET /runners/:id needs manage_runner on this version', async () => {
    const server = await sim(fixtureInstance({ now }));
    server.state.runnerGetNeedsManageRunner = true;
    const gitlab = source(server, 'ro', SIM_TOKENS.adminRead);
    const result = await gitlab.collect(signal());
    expect(result.warnings).toContain(
      'token lacks the scope for GET /runners/:id on this GitLab version (manage_runner): runner versions, tags and last contact are unknown',
    );
    expect(result.runners).toHaveLength(5);
    // Managers still tell the version and last contact.
    expect(result.runners?.[0]).toMatchObject({ version: '17.5.0', tags: [] });
    expect(result.jobsByMachine?.size).toBe(4);
    // Refused at most once per request slot, then not asked again.
    expect(
      server.requests.filter((r) => /^\/api\/v4\/runners\/\d+$/.test(r.path)).length,
    ).toBeLessThanOrEqual(4);
    server.resetCounts();
    await gitlab.collect(signal());
    expect(server.count(/^GET \/api\/v4\/runners\/\d+$/)).toBe(0);
  });

  it("lists only the user's runners for a non-admin token, and says so", async () => {
    const server = await sim(fixtureInstance({ now }));
    const result = await source(server, 'u', SIM_TOKENS.user).collect(signal());
    expect(result.warnings).toEqual([
      "token's user is not an administrator: only the runners this user can see are listed (GET /runners/all needs an admin)",
    ]);
    expect(result.runners?.map((r) => r.id)).toEqual([2, 4]);
    expect(server.count(/runners\/all/)).toBe(0);
  });

  it('fails on 401 with a message naming the instance and the fix, never the token', async () => {
    const server = await sim(fixtureInstance({ now }));
    const badToken = 'glpat-wrong-token-123456';
    const engine = new Engine({ sources: [source(server, 'bad', badToken)] });
    engines.push(engine);
    const snapshot = await engine.runOnce();
    const health = snapshot.sources[0];
    expect(health?.state).toBe('failing');
    expect(health?.lastError?.code).toBe('unauthorized');
    expect(health?.lastError?.message).toContain(new URL(server.url).host);
    expect(health?.lastError?.message).toContain('Check the token configured for this instance');
    expect(JSON.stringify(snapshot)).not.toContain(badToken);
    expect(server.count()).toBe(1); // never retried

    // The next cycles with the same token fail with the same reason without asking GitLab again.
    const again = await engine.runOnce();
    expect(again.sources[0]?.lastError?.code).toBe('unauthorized');
    expect(again.sources[0]?.consecutiveFailures).toBe(2);
    expect(server.count()).toBe(1);
  });

  it('tries a fixed token at once after a 401', async () => {
    const server = await sim(fixtureInstance({ now }));
    let token = 'glpat-wrong-token-123456';
    const gitlab = new GitLabSource({
      settings: GitLabSettings.parse({ id: 'fix', url: server.url, token: { env: 'UNUSED' } }),
      token: async () => token,
    });
    const error: unknown = await gitlab.collect(signal()).catch((e: unknown) => e);
    expect(isGitLabError(error) && error.code).toBe('unauthorized');
    token = SIM_TOKENS.admin;
    const result = await gitlab.collect(signal());
    expect(result.runners).toHaveLength(5);
  });

  it('re-reads scopes when the token changes', async () => {
    const server = await sim(fixtureInstance({ now }));
    let token: string = SIM_TOKENS.adminRead;
    const gitlab = new GitLabSource({
      settings: GitLabSettings.parse({ id: 't', url: server.url, token: { env: 'UNUSED' } }),
      token: async () => token,
    });
    expect((await gitlab.collect(signal())).warnings).toHaveLength(1);
    expect(gitlab.canManage()).toBe(false);
    token = SIM_TOKENS.admin;
    expect((await gitlab.collect(signal())).warnings).toEqual([]);
    expect(gitlab.canManage()).toBe(true);
    expect(server.count(/personal_access_tokens\/self/)).toBe(2);
  });

  it('links a job once its trace appears, and does not cache "no trace yet"', async () => {
    const state = fixtureInstance({
      now,
      onlineRunners: 1,
      offlineRunners: 0,
      staleRunners: 0,
      runningJobsPerRunner: 1,
      finishedJobsPerRunner: 0,
    });
    const job = state.jobs[0];
    if (!job) throw new Error('fixture has no job');
    job.trace = null;
    const server = await sim(state);
    let clock = now;
    const gitlab = source(server, 'tr', SIM_TOKENS.admin, { now: () => clock });
    const first = await gitlab.collect(signal());
    expect(first.jobsByMachine?.size).toBe(0);
    expect(first.unlinkedJobs?.map((j) => j.jobId)).toEqual([job.id]);
    // The running list read it; the timeline leaves it to the back-off instead of reading it twice.
    expect(server.count(/trace$/)).toBe(1);

    delete job.trace;
    server.resetCounts();
    clock += 30_000; // the next cycle
    const second = await gitlab.collect(signal());
    expect([...(second.jobsByMachine?.keys() ?? [])]).toEqual([job.machine]);
    expect(server.count(/trace$/)).toBe(1);

    server.resetCounts();
    clock += 30_000;
    await gitlab.collect(signal());
    expect(server.count(/trace$/)).toBe(0); // linked jobs are cached for good
  });

  it('backs off the trace of a running job that names no machine yet, and keeps it unlinked', async () => {
    const state = fixtureInstance({
      now,
      onlineRunners: 1,
      offlineRunners: 0,
      staleRunners: 0,
      runningJobsPerRunner: 1,
      finishedJobsPerRunner: 0,
    });
    const job = state.jobs[0];
    if (!job) throw new Error('fixture has no job');
    // Runner has started the job but is still pulling images: no `Running on … via` line yet.
    job.trace = 'Running with gitlab-runner 17.5.0\nPreparing the "docker+machine" executor\n';
    const server = await sim(state);
    let clock = now;
    const gitlab = source(server, 'bo', SIM_TOKENS.admin, { now: () => clock });
    const reads: number[] = [];
    const unlinked: number[][] = [];
    for (let cycle = 0; cycle < 16; cycle++) {
      server.resetCounts();
      const result = await gitlab.collect(signal());
      reads.push(server.count(/trace$/));
      unlinked.push(result.unlinkedJobs?.map((j) => j.jobId) ?? []);
      expect(result.jobsByMachine?.size).toBe(0);
      clock += 30_000;
    }
    // Read at cycles 0, 1, 3, 7, 15: waits of 30 s, 60 s, 2 min, 4 min (cap 5 min).
    expect(reads.flatMap((n, i) => (n > 0 ? [i] : []))).toEqual([0, 1, 3, 7, 15]);
    expect(reads.every((n) => n <= 1)).toBe(true);
    // Backed off or not, the job is reported unlinked every cycle: its runner's machines stay unknown.
    expect(unlinked.every((ids) => ids.length === 1 && ids[0] === job.id)).toBe(true);
    expect(gitlab.lastCycle).toMatchObject({ newJobs: 0, traceRetries: 1 });

    // Still running, now with the line: linked at the next due read, then never read again.
    delete job.trace;
    server.resetCounts();
    const linkedAt: number[] = [];
    for (let cycle = 16; cycle < 30; cycle++) {
      const result = await gitlab.collect(signal());
      if (result.jobsByMachine?.get(job.machine ?? '')?.[0]?.jobId === job.id) linkedAt.push(cycle);
      clock += 30_000;
    }
    // The wait after 5 misses is the 5 min cap: cycle 15 + 10.
    expect(linkedAt[0]).toBe(25);
    expect(linkedAt).toHaveLength(5);
    expect(server.count(/trace$/)).toBe(1);
  });

  it('reads a backed-off trace at once when the job changes status', async () => {
    const state = fixtureInstance({
      now,
      onlineRunners: 1,
      offlineRunners: 0,
      staleRunners: 0,
      runningJobsPerRunner: 1,
      finishedJobsPerRunner: 0,
    });
    const job = state.jobs[0];
    if (!job) throw new Error('fixture has no job');
    job.trace = null;
    const server = await sim(state);
    let clock = now;
    // The timeline is re-read every cycle here, so the finished status is seen at once.
    const gitlab = source(server, 'st', SIM_TOKENS.admin, {
      now: () => clock,
      timelineRefreshMs: 1_000,
    });
    await gitlab.collect(signal());
    clock += 30_000;
    await gitlab.collect(signal()); // second miss: the next read waits 60 s
    clock += 30_000;
    server.resetCounts();
    await gitlab.collect(signal());
    expect(server.count(/trace$/)).toBe(0);

    // The job finished meanwhile: a finished job's trace is read at once, whatever the wait.
    job.status = 'success';
    job.finishedAt = clock;
    delete job.trace;
    server.resetCounts();
    clock += 1_000;
    await gitlab.collect(signal());
    expect(server.count(/trace$/)).toBe(1);
    const linked = gitlab.timeline().find((j) => j.jobId === job.id);
    expect(linked?.machine).toBe(job.machine);
  });

  it('links shell-executor jobs to their host', async () => {
    const state = fixtureInstance({
      now,
      onlineRunners: 1,
      offlineRunners: 0,
      staleRunners: 0,
      runningJobsPerRunner: 1,
      finishedJobsPerRunner: 0,
    });
    const job = state.jobs[0];
    if (!job) throw new Error('fixture has no job');
    job.executor = 'shell';
    job.machine = 'ci-host-07';
    const server = await sim(state);
    const result = await source(server, 'sh', SIM_TOKENS.admin).collect(signal());
    expect(result.jobsByMachine?.get('ci-host-07')?.map((j) => j.jobId)).toEqual([job.id]);
  });

  it('works against an older GitLab without managers endpoint or status field', async () => {
    const state = fixtureInstance({ now });
    state.version = 'old';
    const server = await sim(state);
    const gitlab = source(server, 'old', SIM_TOKENS.admin);
    const result = await gitlab.collect(signal());
    expect(result.warnings).toEqual([]);
    expect(result.runners?.map((r) => r.status)).toEqual([
      'online',
      'online',
      'offline',
      'offline',
      'offline',
    ]);
    expect(result.runners?.every((r) => r.managers.length === 0)).toBe(true);
    // Stale by the configured days, though the old version does not call them stale yet.
    expect(result.runners?.[3]?.staleReason).toBe('no contact for 10 days (limit 7 days)');
    expect(result.jobsByMachine?.size).toBe(4);
    server.resetCounts();
    await gitlab.collect(signal());
    expect(server.count(/managers/)).toBe(0); // learned once that the endpoint is missing
  });

  it('does not re-fetch what has not changed in steady state', async () => {
    const server = await sim(
      fixtureInstance({ now, onlineRunners: 3, offlineRunners: 2, staleRunners: 3 }),
    );
    const gitlab = source(server, 's', SIM_TOKENS.admin);
    await gitlab.collect(signal());
    server.resetCounts();
    await gitlab.collect(signal());
    // One runner list page and one running-jobs call per busy (online) runner.
    expect(Object.fromEntries(server.counts())).toEqual({
      'GET /api/v4/runners/all': 1,
      'GET /api/v4/runners/1/jobs': 1,
      'GET /api/v4/runners/2/jobs': 1,
      'GET /api/v4/runners/3/jobs': 1,
    });
    expect(gitlab.lastCycle).toMatchObject({
      requests: 4,
      busyRunners: 3,
      newJobs: 0,
      traceRetries: 0,
    });

    // A new job costs its trace head, once.
    const runner = server.state.runners[0];
    server.state.jobs.push({
      id: 99_999,
      runnerId: 1,
      systemId: runner?.managers[0]?.systemId ?? null,
      projectId: 77,
      projectPath: 'g/new',
      pipelineId: 1,
      name: 'new',
      stage: 'test',
      ref: 'main',
      status: 'running',
      createdAt: now,
      startedAt: now,
      finishedAt: null,
      username: 'dev',
      machine: 'vm-new',
      executor: 'docker+machine',
    });
    server.resetCounts();
    const result = await gitlab.collect(signal());
    expect(server.count()).toBe(5);
    expect(result.jobsByMachine?.get('vm-new')?.map((j) => j.jobId)).toEqual([99_999]);
  });

  it('times out a request that gets no answer and says which call', async () => {
    const server = await sim(fixtureInstance({ now }));
    server.state.faults.slowMs = 3_000;
    const gitlab = new GitLabSource({
      settings: GitLabSettings.parse({
        id: 'slow',
        url: server.url,
        token: { env: 'UNUSED' },
        timeoutSec: 1,
      }),
      token: async () => SIM_TOKENS.admin,
    });
    const error: unknown = await gitlab.collect(signal()).catch((e: unknown) => e);
    expect(isGitLabError(error) && error.code).toBe('timeout');
    expect(isGitLabError(error) && error.message).toBe(
      `${new URL(server.url).host}: GET /personal_access_tokens/self got no answer within 1000 ms`,
    );
  });

  it('stops at once when the cycle is aborted', async () => {
    const server = await sim(fixtureInstance({ now }));
    server.state.faults.slowMs = 3_000;
    const abort = new AbortController();
    const pending = source(server, 'ab', SIM_TOKENS.admin).collect(abort.signal);
    setTimeout(() => abort.abort(new Error('engine stopped')), 50);
    await expect(pending).rejects.toThrow('engine stopped');
  });

  it('keeps recent jobs for the timeline, linked to machines, newest first, within the window', async () => {
    const state = fixtureInstance({
      now,
      onlineRunners: 1,
      offlineRunners: 0,
      staleRunners: 0,
      runningJobsPerRunner: 1,
      finishedJobsPerRunner: 4,
    });
    const old = state.jobs[0];
    if (!old) throw new Error('fixture has no job');
    old.createdAt = now - 8 * 3_600_000; // before the 6 h window
    old.startedAt = old.createdAt;
    old.finishedAt = old.createdAt + 60_000;
    const server = await sim(state);
    const gitlab = source(server, 'tl', SIM_TOKENS.admin, { timelineRefreshMs: 0 });
    await gitlab.collect(signal());
    const timeline = gitlab.timeline();
    expect(timeline.map((j) => [j.jobId, j.status])).toEqual([
      [10_004, 'running'],
      [10_003, 'failed'],
      [10_002, 'success'],
      [10_001, 'success'],
    ]);
    for (const job of timeline) {
      const simJob = server.state.jobs.find((j) => j.id === job.jobId)!;
      expect(job.machine).toBe(simJob.machine);
      // The pick-up wait, from GitLab's queued_duration (queue health reads it).
      expect(job.queuedSec).toBe((simJob.startedAt! - simJob.createdAt) / 1000);
    }
    // The running job finishes: the next refresh reads it again and records the end.
    const running = server.state.jobs.find((j) => j.id === 10_004)!;
    running.status = 'success';
    running.finishedAt = now;
    server.resetCounts();
    await gitlab.collect(signal());
    expect(gitlab.timeline()[0]).toMatchObject({
      jobId: 10_004,
      status: 'success',
      finishedAt: now,
      key: 'tl/10004',
    });
    expect(server.count(/trace$/)).toBe(0); // its machine was known already
  });

  it('retries a 5xx with backoff and carries on', async () => {
    const server = await sim(fixtureInstance({ now }));
    server.state.faults.errors = { status: 502, remaining: 2, pathIncludes: '/runners/all' };
    const result = await source(server, 'x', SIM_TOKENS.admin).collect(signal());
    expect(result.runners).toHaveLength(5);
    expect(
      server.requests.slice(0, 5).map((r) => [r.path.replace('/api/v4', ''), r.status]),
    ).toEqual([
      ['/personal_access_tokens/self', 200],
      ['/user', 200],
      ['/runners/all', 502],
      ['/runners/all', 502],
      ['/runners/all', 200],
    ]);
  });

  it('keeps the other instance fresh when one goes down in the middle of a cycle', async () => {
    const a = await sim(fixtureInstance({ now, firstId: 1, machinePrefix: 'aaaa' }));
    const b = await sim(fixtureInstance({ now, firstId: 500, machinePrefix: 'bbbb' }));
    let clock = now;
    const engine = new Engine({
      sources: [source(a, 'a', SIM_TOKENS.admin), source(b, 'b', SIM_TOKENS.admin, { retries: 0 })],
      now: () => clock,
    });
    engines.push(engine);
    await engine.runOnce();
    clock += 30_000;
    // B answers the runner list, then drops every connection.
    b.state.runners[0]!.contactedAt = now - 1; // status unchanged; only the list is read
    b.state.faults.downAfterRequests = 1;
    const snapshot = await engine.runOnce();
    const [healthA, healthB] = snapshot.sources;
    expect(healthA).toMatchObject({ id: 'gitlab:a', state: 'ok', lastOkAt: clock });
    expect(healthB).toMatchObject({ id: 'gitlab:b', state: 'failing', lastOkAt: now });
    expect(healthB?.lastError?.code).toBe('unreachable');
    expect(healthB?.lastError?.message).toContain(new URL(b.url).host);
    // Runners of both stay listed (B's last reading), A's are fresh.
    expect(snapshot.runners.map((r) => r.instance).filter((i) => i === 'b')).toHaveLength(5);
    expect(b.count()).toBeGreaterThanOrEqual(1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
