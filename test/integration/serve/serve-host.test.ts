import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invokeChannels, type AppInfo, type InvokeChannel } from '../../../shared/api';
import { CheckNowResult } from '../../../shared/check';
import { FleetEvent, FleetSnapshot } from '../../../shared/fleet';
import { createApiHandlers } from '../../../electron/core/api';
import { Engine } from '../../../electron/core/engine';
import { RwError } from '../../../electron/core/errors/rw-error';
import type { CollectResult, Source } from '../../../electron/core/sources/source';
import {
  startServeHost,
  type ServeHost,
  type ServeHostOptions,
} from '../../../electron/serve/serve-host';

/** An inventory source whose machine list the test sets between cycles. */
function fakeInventory(): Source & { names: string[] } {
  const source = {
    id: 'hetzner:test',
    kind: 'hetzner' as const,
    label: 'test project',
    phase: 'inventory' as const,
    intervalMs: 60_000,
    timeoutMs: 5_000,
    names: ['vm-1'],
    async collect(): Promise<CollectResult> {
      return {
        inventoryOf: ['ci'],
        machines: source.names.map((name, i) => ({
          fleet: 'ci',
          name,
          identity: {
            kind: 'autoscaled' as const,
            provider: 'hetzner' as const,
            providerId: String(100 + i),
            serverType: 'cx22',
            createdAt: 1_700_000_000_000,
            labels: {},
            addresses: ['127.0.0.1'],
            providerStatus: 'running',
            state: 'running' as const,
          },
        })),
      };
    },
  };
  return source;
}

const info: AppInfo = {
  name: 'Runner Watch',
  version: '0.0.0-test',
  host: 'serve',
  demo: false,
  startedAt: 1,
  warnings: [],
};

let rendererDir: string;
let outside: string;
const hosts: ServeHost[] = [];
const engines: Engine[] = [];

beforeAll(async () => {
  outside = await mkdtemp(join(tmpdir(), 'rw-serve-'));
  rendererDir = join(outside, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(
    join(rendererDir, 'index.html'),
    '<!doctype html><title>Runner Watch</title><script type="module" src="/assets/app.js"></script>',
  );
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log("app")');
  await writeFile(join(rendererDir, 'assets', 'app.css'), 'body{}');
  await writeFile(join(rendererDir, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(outside, 'secret.txt'), 'outside-the-root');
  await symlink(join(outside, 'secret.txt'), join(rendererDir, 'link.txt'));
});

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.dispose()));
  await Promise.all(engines.splice(0).map((e) => e.dispose()));
});

afterAll(async () => {
  await rm(outside, { recursive: true, force: true });
});

async function start(extra: Partial<ServeHostOptions> = {}) {
  const source = fakeInventory();
  const engine = new Engine({ sources: [source] });
  engines.push(engine);
  const api = createApiHandlers({ engine, info });
  const host = await startServeHost({ runtime: { engine, api }, port: 0, rendererDir, ...extra });
  hosts.push(host);
  const base = host.url.replace(/\/$/, '');
  const auth = { Authorization: `Bearer ${host.token}` };
  return { host, engine, source, base, auth };
}

/** A raw request, so paths reach the server exactly as written (fetch would normalise `..`). */
function raw(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve host: access token', () => {
  it('binds loopback, makes a 43-character base64url token and refuses API calls without it', async () => {
    const { host, base } = await start();
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const path of ['/api/invoke/rw:app:info', '/api/events']) {
      const res = await fetch(base + path, { method: path.includes('invoke') ? 'POST' : 'GET' });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        code: 'unauthenticated',
        message: 'open the URL with the access token that runner-watch printed',
      });
    }
    const wrong = await fetch(`${base}/api/invoke/rw:app:info`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${'x'.repeat(43)}` },
    });
    expect(wrong.status).toBe(401);
  });

  it('refuses requests for another host name (DNS rebinding), even with the token', async () => {
    const { host, base, auth } = await start();
    const port = new URL(base).port;
    const rebound = await raw(base, '/api/events', { ...auth, Host: `evil.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain(host.token);
    const page = await raw(base, '/', { Host: 'evil.example' });
    expect(page.status).toBe(421);
    for (const name of ['127.0.0.1', 'localhost']) {
      const ok = await raw(base, '/', { Host: `${name}:${port}` });
      expect(ok.status, name).toBe(200);
    }
  });

  it('accepts the bearer token', async () => {
    const { base, auth } = await start();
    const res = await fetch(`${base}/api/invoke/rw:app:info`, { method: 'POST', headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(info);
  });

  it('exchanges ?token= for an HttpOnly SameSite=Strict cookie and redirects to /', async () => {
    const { host, base } = await start();
    const res = await fetch(`${base}/?token=${host.token}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      new RegExp(`^rw_session_${host.port}=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=/$`),
    );
    expect(cookie).not.toContain(host.token);
    const pair = cookie.split(';')[0]!;
    const api = await fetch(`${base}/api/invoke/rw:app:info`, {
      method: 'POST',
      headers: { Cookie: pair },
    });
    expect(api.status).toBe(200);
    const forged = await fetch(`${base}/api/invoke/rw:app:info`, {
      method: 'POST',
      headers: { Cookie: `rw_session_${host.port}=${host.token}` },
    });
    expect(forged.status).toBe(401);
  });

  it('refuses a wrong ?token= without setting a cookie, with a sign-in page for a person (not JSON)', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/?token=wrong-token-value`, { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<h1>Sign-in needed</h1>');
    expect(html).toContain('Open the URL that <code>runner-watch</code> printed');
    expect(html).not.toContain('wrong-token-value');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('sends a signed-in browser that opens a stale token link to / instead of refusing it', async () => {
    const { base, host } = await start();
    const signIn = await fetch(`${base}/?token=${host.token}`, { redirect: 'manual' });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const res = await fetch(`${base}/?token=from-an-earlier-start`, {
      redirect: 'manual',
      headers: { cookie },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
  });

  it('uses a given token and refuses a short one', async () => {
    const token = 'given-token-given-token-given-token-123';
    const { host } = await start({ token });
    expect(host.token).toBe(token);
    await expect(start({ token: 'short' })).rejects.toThrow(
      'the access token must be at least 32 characters',
    );
  });
});

describe('serve host: API', () => {
  it('returns the snapshot, 404 for unknown channels, 400 for bad input and bad JSON, 413 for big bodies', async () => {
    const { base, auth, engine } = await start({ maxBodyBytes: 1024 });
    await engine.runOnce();
    const post = (channel: string, body?: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/api/invoke/${channel}`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body }),
      });
    const snap = await post('rw:fleet:snapshot');
    expect(snap.status).toBe(200);
    const snapshot = FleetSnapshot.parse(await snap.json());
    expect(snapshot.machines.map((m) => m.name)).toEqual(['vm-1']);

    const unknown = await post('rw:nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: 'not_found', message: 'unknown channel rw:nope' });

    const bad = await post('rw:fleet:snapshot', '{"extra": 1}');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('bad_input');

    const notJson = await post('rw:fleet:snapshot', '{"extra": ');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({
      code: 'bad_input',
      message: 'request body is not valid JSON',
    });

    const big = await post('rw:fleet:snapshot', JSON.stringify({ pad: 'x'.repeat(2000) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({
      code: 'bad_input',
      message: 'request body larger than 1024 bytes',
    });

    const wrongType = await post('rw:fleet:snapshot', '{}', { 'Content-Type': 'text/plain' });
    expect(wrongType.status).toBe(415);

    const get = await fetch(`${base}/api/invoke/rw:fleet:snapshot`, { headers: auth });
    expect(get.status).toBe(405);
  });

  it('maps a handler error to its status without leaking the stack', async () => {
    const source = fakeInventory();
    const engine = new Engine({ sources: [source] });
    engines.push(engine);
    const api = createApiHandlers({ engine, info });
    api['rw:app:info'] = async () => {
      throw new RwError('conflict', 'the engine is busy');
    };
    const host = await startServeHost({ runtime: { engine, api }, port: 0, rendererDir });
    hosts.push(host);
    const res = await fetch(`${host.url}api/invoke/rw:app:info`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${host.token}` },
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ code: 'conflict', message: 'the engine is busy' });
  });

  it('requires our own Origin on command channels', async () => {
    // The contract may not have a command channel yet; mark a query as one to test the check.
    const { base, auth, host } = await start({ isCommandChannel: (c) => c === 'rw:app:info' });
    const call = (headers: Record<string, string>) =>
      fetch(`${base}/api/invoke/rw:app:info`, { method: 'POST', headers: { ...auth, ...headers } });
    const none = await call({});
    expect(none.status).toBe(403);
    expect(((await none.json()) as { message: string }).message).toContain('Origin');
    expect((await call({ Origin: 'http://evil.example' })).status).toBe(403);
    expect((await call({ Origin: `http://127.0.0.1:${host.port + 1}` })).status).toBe(403);
    expect((await call({ Origin: `http://127.0.0.1:${host.port}` })).status).toBe(200);
    expect((await call({ Origin: `http://localhost:${host.port}` })).status).toBe(200);
    // Queries need no Origin.
    const query = await fetch(`${base}/api/invoke/rw:fleet:snapshot`, {
      method: 'POST',
      headers: auth,
    });
    expect(query.status).toBe(200);
  });

  it('checks Origin on every real command channel of the contract', async () => {
    const commands = (Object.keys(invokeChannels) as InvokeChannel[]).filter(
      (c) => (invokeChannels[c] as { kind: string }).kind === 'command',
    );
    expect(commands.length).toBeGreaterThan(0);
    const { base, auth, host } = await start();
    for (const channel of commands) {
      const res = await fetch(`${base}/api/invoke/${channel}`, { method: 'POST', headers: auth });
      expect(res.status, channel).toBe(403);
      // With our Origin the call gets past the check (and fails on its empty input instead).
      const ours = await fetch(`${base}/api/invoke/${channel}`, {
        method: 'POST',
        headers: {
          ...auth,
          Origin: `http://127.0.0.1:${host.port}`,
          'Content-Type': 'application/json',
        },
        body: '{"not-a-field": true}',
      });
      expect(ours.status, channel).not.toBe(403);
    }
  });
});

describe('serve host: Check now', () => {
  it('rw:engine:refresh runs one cycle through the HTTP API and the new data arrives', async () => {
    const { base, auth, host, engine, source } = await start();
    await engine.runOnce();
    expect(engine.snapshot().machines.map((m) => m.name)).toEqual(['vm-1']);
    source.names = ['vm-1', 'vm-2'];
    const refresh = () =>
      fetch(`${base}/api/invoke/rw:engine:refresh`, {
        method: 'POST',
        headers: { ...auth, Origin: `http://127.0.0.1:${host.port}` },
      });
    // A command: without our Origin it is refused, and nothing is collected.
    const refused = await fetch(`${base}/api/invoke/rw:engine:refresh`, {
      method: 'POST',
      headers: auth,
    });
    expect(refused.status).toBe(403);
    expect(engine.snapshot().machines).toHaveLength(1);

    const res = await refresh();
    expect(res.status).toBe(200);
    const result = CheckNowResult.parse(await res.json());
    expect(result.failingSources).toBe(0);
    expect(result.finishedAt).toBeGreaterThanOrEqual(result.startedAt);
    expect(result.version).toBe(engine.snapshot().version);
    expect(
      engine
        .snapshot()
        .machines.map((m) => m.name)
        .sort(),
    ).toEqual(['vm-1', 'vm-2']);
    expect(engine.isChecking).toBe(false);
  });
});

describe('serve host: events', () => {
  it('streams the snapshot first, then a delta, and stops listening when the client goes', async () => {
    const { base, auth, engine, source } = await start();
    await engine.runOnce();
    const abort = new AbortController();
    const res = await fetch(`${base}/api/events`, { headers: auth, signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextEvent = async (): Promise<FleetEvent> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          if (!lines.includes('event: rw:fleet:event')) continue; // retry: and comments
          const data = lines.find((l) => l.startsWith('data: '))!.slice('data: '.length);
          return FleetEvent.parse(JSON.parse(data));
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    };
    const first = await nextEvent();
    expect(first.type).toBe('snapshot');
    if (first.type !== 'snapshot') return;
    expect(first.snapshot.machines.map((m) => m.name)).toEqual(['vm-1']);

    source.names = ['vm-1', 'vm-2'];
    await engine.runOnce();
    const second = await nextEvent();
    expect(second.type).toBe('delta');
    if (second.type !== 'delta') return;
    expect(second.upserted.map((m) => m.name)).toContain('vm-2');
    expect(first.snapshot.machines.map((m) => m.name)).not.toContain('vm-2');
    expect(second.version).toBe(first.snapshot.version + 1);

    const listeners = (engine as unknown as { listeners: Set<unknown> }).listeners;
    expect(listeners.size).toBe(1);
    abort.abort();
    await reader.cancel().catch(() => undefined);
    await expect.poll(() => listeners.size).toBe(0);
  });

  it('sends keep-alive comments', async () => {
    const { base, auth } = await start({ keepaliveMs: 20 });
    const abort = new AbortController();
    const res = await fetch(`${base}/api/events`, { headers: auth, signal: abort.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': keepalive\n\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain(': keepalive\n\n');
    abort.abort();
  });

  it('ends open streams on dispose', async () => {
    const { host, base, auth } = await start();
    const res = await fetch(`${base}/api/events`, { headers: auth });
    const reader = res.body!.getReader();
    await reader.read();
    await host.dispose();
    let done = false;
    while (!done) done = (await reader.read().catch(() => ({ done: true }))).done;
    expect(done).toBe(true);
    await expect(
      fetch(`${base}/api/invoke/rw:app:info`, { method: 'POST', headers: auth }),
    ).rejects.toThrow();
  });
});

describe('serve host: static files and headers', () => {
  it('serves index.html for / and assets with their content types', async () => {
    const { base } = await start();
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<title>Runner Watch</title>');
    const js = await fetch(`${base}/assets/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/assets/app.css`)).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    expect((await fetch(`${base}/icon.svg`)).headers.get('content-type')).toBe('image/svg+xml');
    const route = await fetch(`${base}/fleet/timeline`);
    expect(await route.text()).toContain('<title>Runner Watch</title>');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
  });

  it('sets the security headers on pages and API answers', async () => {
    const { base } = await start();
    for (const res of [await fetch(`${base}/`), await fetch(`${base}/api/events`)]) {
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/link.txt',
    '/%00index.html',
  ])('refuses traversal %s', async (path) => {
    const { base } = await start();
    const res = await raw(base, path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside-the-root');
  });

  it('says how to build the renderer when it is missing', async () => {
    const { base } = await start({ rendererDir: join(outside, 'no-renderer') });
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      code: 'not_found',
      message: 'the renderer is not built: run npm run build:renderer',
    });
  });
});

describe('serve host: binding', () => {
  it('does not warn on another loopback address', async () => {
    const warnings: string[] = [];
    const { host } = await start({ host: '127.0.0.9', warn: (m) => warnings.push(m) });
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.9:/);
    expect(warnings).toEqual([]);
  });

  it('reports a port in use as a conflict', async () => {
    const { host } = await start();
    await expect(start({ port: host.port })).rejects.toThrow(
      `port ${host.port} on 127.0.0.1 is already in use`,
    );
  });
});
