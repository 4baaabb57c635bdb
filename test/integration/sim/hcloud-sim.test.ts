import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../sim/clock';
import { HcloudSim, parseLabelSelector } from '../../sim/hcloud-sim';

let clock: ManualClock;
let sim: HcloudSim;
let token: string;
let readOnly: string;

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 12));
  sim = await HcloudSim.start({
    now: () => clock.now(),
    deleteDelayMs: 3000,
    rateLimitPerHour: 3600,
  });
  ({ token, readOnlyToken: readOnly } = sim.tokensOf());
});
afterEach(async () => {
  await sim.dispose();
  clock.dispose();
});

function addFleet(count: number): void {
  for (let i = 1; i <= count; i++) {
    sim.addServer('default', {
      name: `runner-abcdefgh-auto-scale-${1_795_000_000 + i}-${i.toString(16).padStart(8, '0')}`,
      labels:
        i % 3 === 0 ? { role: 'other' } : { role: 'ci-runner', pool: i % 2 === 0 ? 'even' : 'odd' },
      publicIp: `127.0.1.${i}`,
      privateIps: [`127.0.2.${i}`],
    });
  }
}

async function get(
  path: string,
  bearer: string = token,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(sim.url + path, { headers: { Authorization: `Bearer ${bearer}` } });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    headers: res.headers,
  };
}
async function del(path: string, bearer: string = token) {
  const res = await fetch(sim.url + path, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${bearer}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
type Page = {
  servers: { id: number; name: string; labels: Record<string, string> }[];
  meta: { pagination: Record<string, number | null> };
};

describe('Hetzner simulator: auth', () => {
  it('answers 401 unauthorized for a missing or wrong token, without rate headers', async () => {
    const wrong = await get('/servers', 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: { code: 'unauthorized' } });
    expect(wrong.headers.get('ratelimit-remaining')).toBeNull();
    const none = await fetch(sim.url + '/servers');
    expect(none.status).toBe(401);
    expect(sim.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v1/servers',
      status: 401,
      project: null,
    });
  });

  it('lets a read-only token list but answers 403 forbidden on DELETE', async () => {
    addFleet(1);
    const list = await get('/servers', readOnly);
    expect(list.status).toBe(200);
    const id = (list.body as unknown as Page).servers[0]!.id;
    const res = await del(`/servers/${id}`, readOnly);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'forbidden' } });
    expect(sim.list()).toHaveLength(1);
  });

  it('keeps projects apart: a token sees only its own servers', async () => {
    const other = sim.addProject({ name: 'other' });
    sim.addServer('other', { name: 'elsewhere', publicIp: '127.0.3.1' });
    addFleet(2);
    const mine = (await get('/servers')).body as unknown as Page;
    expect(mine.servers.map((s) => s.name)).not.toContain('elsewhere');
    const theirs = (await get('/servers', other.token)).body as unknown as Page;
    expect(theirs.servers.map((s) => s.name)).toEqual(['elsewhere']);
  });
});

describe('Hetzner simulator: GET /servers', () => {
  it('paginates with meta.pagination across pages', async () => {
    addFleet(60);
    const first = (await get('/servers?per_page=25')).body as unknown as Page;
    expect(first.servers).toHaveLength(25);
    expect(first.meta.pagination).toEqual({
      page: 1,
      per_page: 25,
      previous_page: null,
      next_page: 2,
      last_page: 3,
      total_entries: 60,
    });
    const names = new Set<string>();
    let page: number | null = 1;
    let requests = 0;
    while (page !== null) {
      const body = (await get(`/servers?page=${page}&per_page=25`)).body as unknown as Page;
      for (const s of body.servers) names.add(s.name);
      page = body.meta.pagination.next_page ?? null;
      requests++;
    }
    expect(requests).toBe(3);
    expect(names.size).toBe(60);
    const last = (await get('/servers?page=3&per_page=25')).body as unknown as Page;
    expect(last.servers).toHaveLength(10);
    expect(last.meta.pagination).toMatchObject({ previous_page: 2, next_page: null });
  });

  it('caps per_page at 50 and defaults to 25', async () => {
    addFleet(60);
    const big = (await get('/servers?per_page=500')).body as unknown as Page;
    expect(big.servers).toHaveLength(50);
    expect(big.meta.pagination.per_page).toBe(50);
    const def = (await get('/servers')).body as unknown as Page;
    expect(def.servers).toHaveLength(25);
    expect((await get('/servers?per_page=0')).status).toBe(400);
    expect((await get('/servers?page=abc')).body).toMatchObject({
      error: { code: 'invalid_input' },
    });
  });

  it('filters by label selector, name and status', async () => {
    addFleet(9);
    const names = async (q: string) =>
      ((await get(`/servers?${q}`)).body as unknown as Page).servers.map((s) => s.id).length;
    expect(await names('label_selector=role%3Dci-runner')).toBe(6);
    expect(await names('label_selector=role!%3Dci-runner')).toBe(3);
    expect(await names('label_selector=role%3Dci-runner,pool%3Deven')).toBe(3);
    expect(await names('label_selector=pool')).toBe(6);
    expect(await names('label_selector=!pool')).toBe(3);
    expect(await names(`label_selector=${encodeURIComponent('pool in (even,odd)')}`)).toBe(6);
    const one = (await get('/servers?name=runner-abcdefgh-auto-scale-1795000002-00000002'))
      .body as unknown as Page;
    expect(one.servers).toHaveLength(1);
    sim.setStatus(one.servers[0]!.id, 'off');
    expect(await names('status=off')).toBe(1);
    expect(await names('status=running&status=off')).toBe(9);
    const bad = await get('/servers?label_selector=%3D%3Dbad');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'invalid_input' } });
    expect((await get('/servers?status=exploded')).status).toBe(400);
  });

  it('returns every documented server field', async () => {
    addFleet(1);
    const s = ((await get('/servers')).body as unknown as { servers: Record<string, unknown>[] })
      .servers[0]!;
    expect(s).toMatchObject({
      id: expect.any(Number),
      name: 'runner-abcdefgh-auto-scale-1795000001-00000001',
      status: 'running',
      created: '2026-11-23T12:00:00+00:00',
      labels: { role: 'ci-runner', pool: 'odd' },
      public_net: { ipv4: { ip: '127.0.1.1' } },
      private_net: [{ ip: '127.0.2.1' }],
      server_type: { name: 'cx22', cores: 2, memory: 4, disk: 40 },
      datacenter: { name: 'fsn1-dc14', location: { name: 'fsn1' } },
    });
  });

  it('lists server types with prices per location', async () => {
    const res = await get('/server_types');
    const types = res.body.server_types as {
      name: string;
      prices: { location: string; price_hourly: { net: string; gross: string } }[];
    }[];
    const cx22 = types.find((t) => t.name === 'cx22')!;
    expect(cx22.prices.map((p) => p.location)).toEqual(['fsn1', 'nbg1', 'hel1', 'ash']);
    expect(Number(cx22.prices[0]!.price_hourly.gross)).toBeGreaterThan(
      Number(cx22.prices[0]!.price_hourly.net),
    );
    // Locations differ in price, as Hetzner's US locations do.
    const hourly = (location: string) =>
      Number(cx22.prices.find((p) => p.location === location)!.price_hourly.net);
    expect(hourly('ash')).toBeCloseTo(hourly('fsn1') * 1.2, 10);
  });
});

describe('Hetzner simulator: DELETE', () => {
  it('deletes through an action: 200 running → 423 while it runs → success → 404', async () => {
    addFleet(2);
    const gone: string[] = [];
    sim.onServerDeleted((s) => gone.push(s.name));
    const id = sim.list()[0]!.id;
    const res = await del(`/servers/${id}`);
    expect(res.status).toBe(200);
    const action = res.body.action as {
      id: number;
      command: string;
      status: string;
      started: string;
      finished: null;
    };
    expect(action).toMatchObject({
      command: 'delete_server',
      status: 'running',
      finished: null,
      resources: [{ id, type: 'server' }],
    });
    expect((await get(`/servers/${id}`)).body).toMatchObject({
      server: { status: 'deleting', locked: true },
    });
    expect((await del(`/servers/${id}`)).body).toMatchObject({ error: { code: 'locked' } });
    expect((await del(`/servers/${id}`)).status).toBe(423);
    expect((await get(`/actions/${action.id}`)).body).toMatchObject({
      action: { status: 'running' },
    });

    clock.tick(3000);
    expect((await get(`/actions/${action.id}`)).body).toMatchObject({
      action: { status: 'success', progress: 100 },
    });
    expect(gone).toEqual(['runner-abcdefgh-auto-scale-1795000001-00000001']);
    const again = await del(`/servers/${id}`);
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ error: { code: 'not_found' } });
    expect(((await get('/servers')).body as unknown as Page).servers).toHaveLength(1);
    expect((await get('/actions/999')).status).toBe(404);
  });

  it('answers 423 for a server locked by a fault, and deletes once unlocked', async () => {
    addFleet(1);
    const id = sim.list()[0]!.id;
    sim.lockServer(id);
    expect((await del(`/servers/${id}`)).status).toBe(423);
    sim.unlockServer(id);
    expect((await del(`/servers/${id}`)).status).toBe(200);
  });
});

describe('Hetzner simulator: rate limit and faults', () => {
  it('counts down RateLimit-Remaining and answers 429 rate_limit_exceeded when spent', async () => {
    const first = await get('/servers');
    expect(first.headers.get('ratelimit-limit')).toBe('3600');
    expect(first.headers.get('ratelimit-remaining')).toBe('3599');
    const reset = Number(first.headers.get('ratelimit-reset'));
    expect(reset).toBe(Math.ceil(clock.now() / 1000) + 1);
    expect((await get('/servers')).headers.get('ratelimit-remaining')).toBe('3598');

    sim.setRateLimitRemaining(0);
    const limited = await get('/servers');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    // the budget refills at limit/hour: one request per second here
    clock.tick(1000);
    expect((await get('/servers')).status).toBe(200);
    expect((await get('/servers')).status).toBe(429);
  });

  it('spends a small configured budget', async () => {
    const small = await HcloudSim.start({ now: () => clock.now(), rateLimitPerHour: 3 });
    try {
      const t = small.tokensOf().token;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (await fetch(small.url + '/servers', { headers: { Authorization: `Bearer ${t}` } }))
            .status,
        );
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await small.dispose();
    }
  });

  it('injects 500s for the next N requests, then recovers', async () => {
    sim.failNext(2);
    expect((await get('/servers')).status).toBe(500);
    const second = await get('/servers');
    expect(second.status).toBe(500);
    expect(second.body).toMatchObject({ error: { code: 'server_error' } });
    expect((await get('/servers')).status).toBe(200);
  });

  it('hangs a request until the client gives up', async () => {
    sim.hangNext(1);
    await expect(
      fetch(sim.url + '/servers', {
        headers: { Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
    expect((await get('/servers')).status).toBe(200);
  });

  it('logs requests without the token', async () => {
    await get('/servers?label_selector=role%3Dci-runner&page=2');
    expect(sim.requests.at(-1)).toEqual({
      method: 'GET',
      path: '/v1/servers',
      query: { label_selector: 'role=ci-runner', page: '2' },
      status: 200,
      project: 'default',
    });
    expect(JSON.stringify(sim.requests)).not.toContain(token);
  });

  it('refuses bad options and non-loopback addresses', async () => {
    await expect(HcloudSim.start({ host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
    await expect(HcloudSim.start({ rateLimitPerHour: 0 })).rejects.toThrow(/positive integer/);
    expect(() => sim.addServer('default', { name: 'x', publicIp: '10.0.0.1' })).toThrow(
      /loopback only/,
    );
    expect(() => sim.addServer('nope', { name: 'x', publicIp: '127.0.0.5' })).toThrow(
      /no project nope/,
    );
    expect(() => parseLabelSelector('a=b,,c')).toThrow(/label_selector/);
  });
});
