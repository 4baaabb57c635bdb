import { describe, expect, it } from 'vitest';
import { HcloudClient, HcloudServer } from '../../../electron/core/sources/hcloud/client';
import { isHcloudError } from '../../../electron/core/sources/hcloud/hcloud-error';
import { throttleDelayMs } from '../../../electron/core/sources/hcloud/rate-limit';
import { createHcloudSource, hcloudIdentity } from '../../../electron/core/sources/hcloud/source';

const TOKEN = 'hc-secret-token-0123456789';

function server(id: number, name: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    name,
    status: 'running',
    created: '2026-11-23T10:00:00+00:00',
    labels: { role: 'ci' },
    public_net: { ipv4: { ip: `127.0.3.${id % 250}` } },
    private_net: [{ ip: `127.0.4.${id % 250}` }],
    server_type: { name: 'cx22', cores: 2, memory: 4, disk: 40 },
    datacenter: { name: 'fsn1-dc14', location: { name: 'fsn1' } },
    ...extra,
  };
}

type Handler = (url: URL, init: RequestInit) => Response;
function fakeFetch(handler: Handler): typeof fetch & { calls: URL[] } {
  const calls: URL[] = [];
  const fn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
    );
    calls.push(url);
    const auth = new Headers(init?.headers).get('authorization');
    if (auth !== `Bearer ${TOKEN}`) {
      return json(401, { error: { code: 'unauthorized', message: 'unable to authenticate' } });
    }
    return handler(url, init ?? {});
  }) as typeof fetch & { calls: URL[] };
  fn.calls = calls;
  return fn;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function paged(all: unknown[], url: URL): Response {
  const page = Number(url.searchParams.get('page') ?? '1');
  const perPage = Number(url.searchParams.get('per_page') ?? '25');
  const last = Math.max(1, Math.ceil(all.length / perPage));
  return json(200, {
    servers: all.slice((page - 1) * perPage, page * perPage),
    meta: {
      pagination: {
        page,
        per_page: perPage,
        previous_page: page > 1 ? page - 1 : null,
        next_page: page < last ? page + 1 : null,
        last_page: last,
        total_entries: all.length,
      },
    },
  });
}

const client = (fetchFn: typeof fetch, token = TOKEN, now = () => 1_000_000) =>
  new HcloudClient({
    apiUrl: 'http://127.0.0.1:1/v1',
    token,
    project: 'prod',
    fetch: fetchFn,
    now,
    sleep: async () => {},
  });

describe('HcloudClient', () => {
  it('follows every page with per_page 50 and filters by name prefix', async () => {
    const all = Array.from({ length: 123 }, (_, i) =>
      server(i + 1, i % 2 ? `runner-a-${i}` : `other-${i}`),
    );
    const f = fakeFetch((url) => paged(all, url));
    const servers = await client(f).listServers({
      labelSelector: 'role=ci',
      namePrefix: 'runner-a-',
    });
    expect(f.calls.map((u) => u.searchParams.get('page'))).toEqual(['1', '2', '3']);
    expect(f.calls.every((u) => u.searchParams.get('per_page') === '50')).toBe(true);
    expect(f.calls[0]?.searchParams.get('label_selector')).toBe('role=ci');
    expect(servers).toHaveLength(61);
    expect(servers.every((s) => s.name.startsWith('runner-a-'))).toBe(true);
  });

  it('refuses pagination that goes backwards', async () => {
    const f = fakeFetch(() =>
      json(200, {
        servers: [],
        meta: {
          pagination: {
            page: 2,
            per_page: 50,
            previous_page: 1,
            next_page: 1,
            last_page: 3,
            total_entries: 0,
          },
        },
      }),
    );
    await expect(client(f).listServers()).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('maps a rejected token to unauthorized naming the project, never the token', async () => {
    const f = fakeFetch(() => json(200, {}));
    const error = await client(f, 'wrong-token-abcdef')
      .listServers()
      .catch((e: unknown) => e);
    expect(isHcloudError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(String((error as Error).message)).toContain('prod');
    expect(String((error as Error).message)).not.toContain('wrong-token');
  });

  it.each([
    [403, 'forbidden', 'forbidden'],
    [404, 'not_found', 'not_found'],
    [423, 'locked', 'conflict'],
    [500, 'server_error', 'remote_error'],
  ])('maps HTTP %i (%s) to %s', async (status, hcloudCode, code) => {
    const f = fakeFetch(() => json(status, { error: { code: hcloudCode, message: 'nope' } }));
    await expect(client(f).deleteServer(42)).rejects.toMatchObject({ code, status, hcloudCode });
  });

  it('maps 429 to rate_limited with retryAfterMs from RateLimit-Reset', async () => {
    const now = 1_700_000_000_000;
    const f = fakeFetch(() =>
      json(
        429,
        { error: { code: 'rate_limit_exceeded', message: 'limit' } },
        {
          'RateLimit-Limit': '3600',
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': String(now / 1000 + 30),
        },
      ),
    );
    await expect(client(f, TOKEN, () => now).listServers()).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 30_000,
    });
  });

  it('fails fast without calling when the next call is far off', async () => {
    const now = 1_700_000_000_000;
    let calls = 0;
    const f = fakeFetch((url) => {
      calls += 1;
      return new Response(paged([server(1, 'a')], url).body, {
        status: 200,
        headers: {
          'RateLimit-Limit': '10',
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': String(now / 1000 + 600),
        },
      });
    });
    const c = client(f, TOKEN, () => now);
    await c.listServers();
    await expect(c.listServers()).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 60_000,
    });
    expect(calls).toBe(1);
  });

  it('rejects garbled answers as bad_response', async () => {
    const f1 = fakeFetch(() => new Response('<html>proxy error</html>', { status: 200 }));
    await expect(client(f1).listServers()).rejects.toMatchObject({ code: 'bad_response' });
    const f2 = fakeFetch(() => json(200, { servers: [{ id: 'x' }], meta: {} }));
    await expect(client(f2).listServers()).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('reports an unreachable API as unreachable', async () => {
    const f = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    }) as unknown as typeof fetch;
    await expect(client(f).getAction(1)).rejects.toMatchObject({ code: 'unreachable' });
  });

  it('times out a request that never answers', async () => {
    const f = ((_: unknown, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as unknown as typeof fetch;
    const c = new HcloudClient({
      apiUrl: 'http://127.0.0.1:1/v1',
      token: TOKEN,
      project: 'p',
      fetch: f,
      timeoutMs: 50,
    });
    await expect(c.listServers()).rejects.toMatchObject({ code: 'timeout' });
  });

  it('refuses a non-integer id before calling', async () => {
    const f = fakeFetch(() => json(200, {}));
    await expect(client(f).deleteServer(Number.NaN)).rejects.toMatchObject({ code: 'bad_input' });
    expect(f.calls).toHaveLength(0);
  });
});

describe('throttleDelayMs', () => {
  const now = 1_000_000;
  it('does not wait while plenty is left', () => {
    expect(throttleDelayMs({ limit: 3600, remaining: 3000, resetAt: now + 3_600_000 }, now)).toBe(
      0,
    );
    expect(throttleDelayMs(null, now)).toBe(0);
  });
  it('paces at the refill rate when low or empty', () => {
    // 3600/hour: the bucket refills one call per second.
    expect(throttleDelayMs({ limit: 3600, remaining: 9, resetAt: now + 3_591_000 }, now)).toBe(
      1000,
    );
    expect(throttleDelayMs({ limit: 3600, remaining: 0, resetAt: now + 3_600_000 }, now)).toBe(
      1000,
    );
  });
  it('does not wait once the reset passed', () => {
    expect(throttleDelayMs({ limit: 3600, remaining: 0, resetAt: now - 1 }, now)).toBe(0);
  });
});

describe('Hetzner source', () => {
  it('reports identities with public IPv4 first and the fleet as complete inventory', async () => {
    const f = fakeFetch((url) =>
      paged(
        [
          server(7, 'runner-a-1'),
          server(8, 'runner-a-2', { public_net: { ipv4: null }, status: 'initializing' }),
        ],
        url,
      ),
    );
    const source = createHcloudSource({
      settings: {
        id: 'prod',
        fleet: 'ci',
        token: { env: 'X' },
        apiUrl: 'http://127.0.0.1:1/v1',
        namePrefix: 'runner-a-',
        intervalSec: 30,
        timeoutSec: 15,
      },
      secrets: { resolve: async () => TOKEN },
      fetch: f,
    });
    const result = await source.collect(new AbortController().signal, {
      now: Date.now,
      machines: () => [],
    });
    expect(result.inventoryOf).toEqual(['ci']);
    expect(result.machines.map((m) => [m.name, m.identity?.addresses, m.identity?.state])).toEqual([
      ['runner-a-1', ['127.0.3.7', '127.0.4.7'], 'running'],
      ['runner-a-2', ['127.0.4.8'], 'starting'],
    ]);
    expect(result.machines[0]?.identity).toMatchObject({
      providerId: '7',
      serverType: 'cx22',
      kind: 'autoscaled',
      provider: 'hetzner',
    });
  });

  it('asks the engine to space cycles when the rate budget runs low', async () => {
    const now = 1_700_000_000_000;
    const f = fakeFetch(
      (url) =>
        new Response(paged([server(1, 'runner-a-1')], url).body, {
          status: 200,
          // Empty bucket of 60 that is full again in 120 s: it refills one call every 2 s.
          headers: {
            'RateLimit-Limit': '60',
            'RateLimit-Remaining': '0',
            'RateLimit-Reset': String(now / 1000 + 120),
          },
        }),
    );
    const source = createHcloudSource({
      settings: {
        id: 'p',
        fleet: 'ci',
        token: { env: 'X' },
        apiUrl: 'http://127.0.0.1:1/v1',
        intervalSec: 1,
        timeoutSec: 15,
      },
      secrets: { resolve: async () => TOKEN },
      fetch: f,
      now: () => now,
    });
    const result = await source.collect(new AbortController().signal, {
      now: () => now,
      machines: () => [],
    });
    expect(result.retryAfterMs).toBe(2000);
    expect(result.machines).toHaveLength(1);
  });

  it('puts the private network address first for a fleet that dials it (use_external_addr = false)', () => {
    const parsed = HcloudServer.parse(server(7, 'ci-fleet-0badcafe'));
    expect(hcloudIdentity(parsed).addresses).toEqual(['127.0.3.7', '127.0.4.7']);
    expect(hcloudIdentity(parsed, 'autoscaled', 'private').addresses).toEqual([
      '127.0.4.7',
      '127.0.3.7',
    ]);
    // no private network: the public address is the one left to dial
    const lone = HcloudServer.parse(server(8, 'ci-fleet-00000008', { private_net: [] }));
    expect(hcloudIdentity(lone, 'autoscaled', 'private').addresses).toEqual(['127.0.3.8']);
  });

  it('maps statuses', () => {
    expect(
      hcloudIdentity({
        ...server(1, 'x'),
        created: 0,
        labels: {},
        private_net: [],
        status: 'off',
      } as never).state,
    ).toBe('off');
  });
});
