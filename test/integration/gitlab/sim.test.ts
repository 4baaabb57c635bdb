import { afterEach, describe, expect, it } from 'vitest';
import { startGitLabSim, type GitLabSim } from '../../sim/gitlab/server';
import { fixtureInstance, SIM_TOKENS } from '../../sim/gitlab/fixtures';

const now = Date.now();
let sim: GitLabSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(mutate?: (s: GitLabSim['state']) => void): Promise<GitLabSim> {
  const state = fixtureInstance({
    now,
    onlineRunners: 2,
    offlineRunners: 1,
    staleRunners: 2,
    neverContactedRunners: 1,
  });
  mutate?.(state);
  sim = await startGitLabSim({ state });
  return sim;
}

const get = (
  server: GitLabSim,
  path: string,
  headers: Record<string, string> = { 'PRIVATE-TOKEN': SIM_TOKENS.admin },
) => fetch(`${server.url}/api/v4${path}`, { headers });

describe('GitLab simulator follows the documented API', () => {
  it('accepts PRIVATE-TOKEN and Authorization: Bearer, and answers 401 like GitLab otherwise', async () => {
    const server = await start();
    expect((await get(server, '/user')).status).toBe(200);
    expect(
      (await get(server, '/user', { Authorization: `Bearer ${SIM_TOKENS.admin}` })).status,
    ).toBe(200);
    const missing = await get(server, '/user', {});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ message: '401 Unauthorized' });
  });

  it('sends is_admin only for administrators', async () => {
    const server = await start();
    expect(await (await get(server, '/user')).json()).toMatchObject({ is_admin: true });
    expect(
      await (await get(server, '/user', { 'PRIVATE-TOKEN': SIM_TOKENS.user })).json(),
    ).not.toHaveProperty('is_admin');
    expect(
      await (
        await get(server, '/personal_access_tokens/self', { 'PRIVATE-TOKEN': SIM_TOKENS.user })
      ).json(),
    ).toMatchObject({
      scopes: ['read_api', 'manage_runner'],
      active: true,
      revoked: false,
    });
  });

  it('refuses /runners/all to non-admins and DELETE without manage_runner with insufficient_scope', async () => {
    const server = await start();
    const notAdmin = await get(server, '/runners/all', { 'PRIVATE-TOKEN': SIM_TOKENS.user });
    expect(notAdmin.status).toBe(403);
    const del = await fetch(`${server.url}/api/v4/runners/3`, {
      method: 'DELETE',
      headers: { 'PRIVATE-TOKEN': SIM_TOKENS.adminRead },
    });
    expect(del.status).toBe(403);
    expect(await del.json()).toMatchObject({
      error: 'insufficient_scope',
      scope: 'manage_runner api',
    });
    const ok = await fetch(`${server.url}/api/v4/runners/3`, {
      method: 'DELETE',
      headers: { 'PRIVATE-TOKEN': SIM_TOKENS.admin },
    });
    expect(ok.status).toBe(204);
  });

  it('derives statuses and filters runners by status, type, paused and tags', async () => {
    const server = await start((s) => {
      s.runners[0]!.paused = true;
      s.runners[1]!.tagList = ['docker', 'gpu'];
    });
    const all = (await (await get(server, '/runners/all')).json()) as {
      id: number;
      status: string;
    }[];
    expect(all.map((r) => r.status)).toEqual([
      'online',
      'online',
      'offline',
      'stale',
      'stale',
      'never_contacted',
    ]);
    const ids = async (query: string) =>
      ((await (await get(server, `/runners/all?${query}`)).json()) as { id: number }[]).map(
        (r) => r.id,
      );
    expect(await ids('status=stale')).toEqual([4, 5]);
    expect(await ids('paused=true')).toEqual([1]);
    expect(await ids('tag_list=gpu,docker')).toEqual([2]);
    expect(await ids('type=group_type')).toEqual([]);
  });

  it('paginates with X-* headers and Link, and omits the totals on large sets', async () => {
    const server = await start();
    const page = await get(server, '/runners/all?per_page=2&page=2');
    expect(
      Object.fromEntries(
        ['x-page', 'x-per-page', 'x-next-page', 'x-prev-page', 'x-total', 'x-total-pages'].map(
          (h) => [h, page.headers.get(h)],
        ),
      ),
    ).toEqual({
      'x-page': '2',
      'x-per-page': '2',
      'x-next-page': '3',
      'x-prev-page': '1',
      'x-total': '6',
      'x-total-pages': '3',
    });
    expect(page.headers.get('link')).toMatch(
      /<[^>]*\/runners\/all\?per_page=2&page=3>; rel="next"/,
    );
    expect(page.headers.get('link')).toContain('rel="last"');
    server.state.totalsLimit = 5;
    const large = await get(server, '/runners/all?per_page=500');
    expect(large.headers.get('x-per-page')).toBe('100');
    expect(large.headers.get('x-total')).toBeNull();
    expect(large.headers.get('link')).not.toContain('rel="last"');
  });

  it('sorts runner jobs only with order_by=id, oldest first otherwise', async () => {
    const server = await start();
    const ids = async (query: string) =>
      ((await (await get(server, `/runners/1/jobs?${query}`)).json()) as { id: number }[]).map(
        (j) => j.id,
      );
    const ascending = await ids('sort=desc');
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    expect(await ids('order_by=id&sort=desc')).toEqual([...ascending].reverse());
    expect(await ids('status=running')).toEqual([10_005, 10_006]);
  });

  it('sends RateLimit headers and a plain-text 429 "Retry later" with Retry-After', async () => {
    const server = await start((s) => {
      s.rateLimit = { limit: 2, windowSec: 60 };
    });
    const first = await get(server, '/user');
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect(first.headers.get('ratelimit-observed')).toBe('1');
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(now / 1000);
    expect(first.headers.get('ratelimit-resettime')).toMatch(/GMT$/);
    await get(server, '/user');
    const over = await get(server, '/user');
    expect(over.status).toBe(429);
    expect(over.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await over.text()).toBe('Retry later');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('in old-version mode has no managers endpoint and no status field', async () => {
    const server = await start((s) => {
      s.version = 'old';
    });
    expect((await get(server, '/runners/1/managers')).status).toBe(404);
    const runner = (await (await get(server, '/runners/1')).json()) as Record<string, unknown>;
    expect(runner).not.toHaveProperty('status');
    expect(runner).toMatchObject({ online: true, active: true });
  });

  it('answers an empty trace for a job without one, and injected faults', async () => {
    const server = await start((s) => {
      s.jobs.find((j) => j.status === 'running')!.trace = null;
    });
    const job = server.state.jobs.find((j) => j.trace === null)!;
    const trace = await get(server, `/projects/${job.projectId}/jobs/${job.id}/trace`);
    expect(trace.status).toBe(200);
    expect(await trace.text()).toBe('');
    server.state.faults.errors = { status: 503, remaining: 1 };
    expect((await get(server, '/user')).status).toBe(503);
    expect((await get(server, '/user')).status).toBe(200);
    server.state.faults.down = true;
    await expect(get(server, '/user')).rejects.toThrow();
    expect(server.count(/^GET \/api\/v4\/user$/)).toBe(2);
  });
});
