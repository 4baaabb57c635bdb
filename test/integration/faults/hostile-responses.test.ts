import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitLabSettings, HetznerSettings } from '../../../shared/settings';
import { Engine } from '../../../electron/core/engine';
import { GitLabSource } from '../../../electron/core/sources/gitlab/gitlab-source';
import { createHcloudSource } from '../../../electron/core/sources/hcloud/source';
import { fixtureInstance, SIM_TOKENS } from '../../sim/gitlab/fixtures';
import { startGitLabSim, type GitLabSim } from '../../sim/gitlab/server';
import { HcloudSim } from '../../sim/hcloud-sim';
import { recordFigures } from '../../support/figures';
import { faultTally } from './tally';

/*
 * Malformed and hostile API answers: wrong types, huge arrays, endless pagination, a 50 MB
 * trace, a gigantic body, invalid UTF-8. A proxy in front of the real simulators replaces
 * one answer at a time. Each must end in a typed error on the source (or a bounded read),
 * never a crash, a hang or unbounded memory; and the next honest answer recovers.
 */
const tally = faultTally('hostile responses');
let inputsTried = 0;
afterAll(() => {
  tally.print();
  console.log(`figures: hostile API answers tried: ${inputsTried}`);
  recordFigures('bad-inputs-hostile-responses', { kind: 'bad-inputs', tried: inputsTried });
});

type Hostile = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Forwards to `target` unless `hostile` answered the request itself. */
async function startProxy(target: string): Promise<{
  url: string;
  set(h: Hostile | null): void;
  close(): Promise<void>;
}> {
  let hostile: Hostile | null = null;
  const server: Server = createServer((req, res) => {
    if (hostile?.(req, res)) return;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host',
        ),
      );
      fetch(`${target}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      })
        .then(async (answer) => {
          const body = Buffer.from(await answer.arrayBuffer());
          const out: Record<string, string> = {};
          answer.headers.forEach((v, k) => {
            if (k !== 'content-length' && k !== 'content-encoding' && k !== 'transfer-encoding')
              out[k] = v;
          });
          res.writeHead(answer.status, out).end(body);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (h) => (hostile = h),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const json = (res: ServerResponse, body: string | Buffer, headers: Record<string, string> = {}) =>
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(body);

describe('hostile GitLab answers', () => {
  let sim: GitLabSim;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let engine: Engine;
  // A fresh instance and source per case: one case's rate-limit use must not spill over.
  beforeEach(async () => {
    sim = await startGitLabSim({
      state: fixtureInstance({ now: Date.now(), onlineRunners: 2, runningJobsPerRunner: 1 }),
    });
    proxy = await startProxy(sim.url);
    const source = new GitLabSource({
      settings: GitLabSettings.parse({
        id: 'hostile',
        url: proxy.url,
        token: { env: 'UNUSED' },
        timeoutSec: 5,
      }),
      token: async () => SIM_TOKENS.admin,
      retryBaseMs: 5,
    });
    engine = new Engine({ sources: [source] });
  });
  afterEach(async () => {
    await engine?.dispose();
    await proxy?.close();
    await sim?.close();
  });

  const cases: [string, Hostile][] = [
    [
      'runners is an object, not an array',
      (req, res) =>
        req.url!.startsWith('/api/v4/runners/all') && (json(res, '{"not":"a list"}'), true),
    ],
    [
      'runner fields of the wrong type',
      (req, res) =>
        req.url!.startsWith('/api/v4/runners/all') &&
        (json(
          res,
          JSON.stringify([{ id: 'one', status: 7, description: { x: 1 }, online: 'yes' }]),
        ),
        true),
    ],
    [
      'a huge array of junk (200 000 items)',
      (req, res) =>
        req.url!.startsWith('/api/v4/runners/all') &&
        (json(
          res,
          JSON.stringify(Array.from({ length: 200_000 }, (_, i) => ({ id: -i, junk: true }))),
        ),
        true),
    ],
    [
      'a 64 MB body',
      (req, res) => {
        if (!req.url!.startsWith('/api/v4/runners/all')) return false;
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let sent = 0;
        const more = () => {
          while (sent < 64 && res.write(chunk)) sent++;
          if (sent < 64) res.once('drain', more);
          else res.end('[]');
        };
        res.on('error', () => undefined);
        more();
        return true;
      },
    ],
    [
      'invalid UTF-8 inside the JSON',
      (req, res) =>
        req.url!.startsWith('/api/v4/runners/all') &&
        (json(
          res,
          Buffer.concat([
            Buffer.from('[{"id":1,"description":"'),
            Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
            Buffer.from('"}]'),
          ]),
        ),
        true),
    ],
    [
      'endless pagination (X-Next-Page always set)',
      (req, res) => {
        if (!req.url!.startsWith('/api/v4/runners/all')) return false;
        const page = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? '1');
        json(res, JSON.stringify([]), { 'x-next-page': String(page + 1), 'x-page': String(page) });
        return true;
      },
    ],
    [
      'truncated JSON',
      (req, res) =>
        req.url!.startsWith('/api/v4/user') && (json(res, '{"id": 1, "is_admin": tr'), true),
    ],
    [
      'HTML error page with 200',
      (req, res) =>
        req.url!.startsWith('/api/v4/runners/all') &&
        (res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Login</body></html>'),
        true),
    ],
  ];

  it.each(cases)(
    '%s: a typed error or a bounded result, and the next honest answer recovers',
    async (name, hostile) => {
      tally.inject(`gitlab: ${name}`);
      inputsTried += 1;
      proxy.set(hostile);
      const before = process.memoryUsage().rss;
      const snap = await engine.runOnce();
      const health = snap.sources[0]!;
      // these cannot be read as runners at all: the source must say so
      if (/64 MB|huge array|not an array|wrong type|truncated/.test(name))
        expect(health.lastError?.code, health.lastError?.message).toBe('bad_response');
      if (health.lastError) {
        expect(['bad_response', 'remote_error', 'timeout']).toContain(health.lastError.code);
        expect(health.lastError.message).not.toContain(SIM_TOKENS.admin);
      }
      // nothing read was kept unbounded
      expect(process.memoryUsage().rss - before).toBeLessThan(400 * 1024 * 1024);
      proxy.set(null);
      const again = await engine.runOnce();
      expect(again.sources[0]?.lastError, again.sources[0]?.lastError?.message).toBeNull();
      expect(again.runners.length).toBeGreaterThan(0);
      tally.survived(`gitlab: ${name}`);
    },
  );

  it('a 50 MB job trace: only its head is read, the job is still linked', async () => {
    tally.inject('gitlab: 50 MB trace');
    inputsTried += 1;
    let sentBytes = 0;
    proxy.set((req, res) => {
      if (!/\/jobs\/\d+\/trace/.test(req.url!)) return false;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.on('error', () => undefined);
      const head = Buffer.from(
        'Running with gitlab-runner 17.11.0\nRunning on runner-abc via runner-x1y2z3w4-auto-scale-1-aa...\n',
      );
      res.write(head);
      const filler = Buffer.alloc(1024 * 1024, 0x61);
      const more = () => {
        while (sentBytes < 50 * 1024 * 1024 && !res.destroyed && res.write(filler))
          sentBytes += filler.length;
        if (sentBytes < 50 * 1024 * 1024 && !res.destroyed) res.once('drain', more);
        else res.end();
      };
      res.on('close', () => undefined);
      more();
      return true;
    });
    // a new job, so its trace is not cached yet
    const state = sim.state;
    const running = state.jobs.find((j) => j.status === 'running');
    expect(running).toBeDefined();
    state.jobs.push({ ...running!, id: running!.id + 100_000 });
    const snap = await engine.runOnce();
    expect(snap.sources[0]?.lastError, snap.sources[0]?.lastError?.message).toBeNull();
    expect(sentBytes).toBeLessThan(50 * 1024 * 1024);
    tally.survived('gitlab: 50 MB trace');
  });
});

describe('hostile Hetzner answers', () => {
  let sim: HcloudSim;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let engine: Engine;
  beforeAll(async () => {
    sim = await HcloudSim.start();
    for (let i = 0; i < 3; i++)
      sim.addServer('default', {
        name: `runner-${i}`,
        publicIp: `127.0.9.${i + 1}`,
        labels: { role: 'ci' },
      });
    proxy = await startProxy(sim.url.replace(/\/v1$/, ''));
    const token = sim.tokensOf().token;
    engine = new Engine({
      sources: [
        createHcloudSource({
          settings: HetznerSettings.parse({
            id: 'hostile',
            fleet: 'ci',
            token: { env: 'UNUSED' },
            apiUrl: `${proxy.url}/v1`,
            labelSelector: 'role=ci',
            timeoutSec: 5,
          }),
          secrets: { resolve: async () => token },
        }),
      ],
    });
  });
  afterEach(() => proxy.set(null));
  afterAll(async () => {
    await engine?.dispose();
    await proxy?.close();
    await sim?.dispose();
  });

  const servers = (req: IncomingMessage) =>
    req.url!.startsWith('/v1/servers?') || req.url === '/v1/servers';
  const cases: [string, Hostile][] = [
    [
      'servers is null',
      (req, res) => servers(req) && (json(res, '{"servers":null,"meta":{}}'), true),
    ],
    [
      'a server with wrong types',
      (req, res) =>
        servers(req) &&
        (json(
          res,
          JSON.stringify({
            servers: [{ id: '1; rm -rf /', name: 42, status: 'exploded', created: 'yesterday' }],
            meta: { pagination: { page: 1, next_page: null } },
          }),
        ),
        true),
    ],
    [
      'endless pagination (next_page always set)',
      (req, res) => {
        if (!servers(req)) return false;
        const page = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? '1');
        json(
          res,
          JSON.stringify({
            servers: [],
            meta: {
              pagination: {
                page,
                per_page: 50,
                next_page: page + 1,
                last_page: 1e9,
                total_entries: 5e10,
              },
            },
          }),
        );
        return true;
      },
    ],
    [
      'a declared 2 GB body',
      (req, res) => {
        if (!servers(req)) return false;
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(2 * 1024 ** 3),
        });
        res.write('{"servers":[');
        setTimeout(() => res.destroy(), 200);
        return true;
      },
    ],
    [
      'invalid UTF-8',
      (req, res) => servers(req) && (json(res, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), true),
    ],
  ];

  it.each(cases)(
    '%s: a typed error, and the next honest answer recovers',
    async (name, hostile) => {
      tally.inject(`hetzner: ${name}`);
      inputsTried += 1;
      proxy.set(hostile);
      const snap = await engine.runOnce();
      const health = snap.sources[0]!;
      expect(health.lastError?.code ?? 'none', health.lastError?.message).toMatch(
        /bad_response|unreachable|timeout/,
      );
      expect(health.lastError?.message).not.toContain(sim.tokensOf().token);
      proxy.set(null);
      const again = await engine.runOnce();
      expect(again.sources[0]?.lastError, again.sources[0]?.lastError?.message).toBeNull();
      expect(again.machines.map((m) => m.name).sort()).toEqual([
        'runner-0',
        'runner-1',
        'runner-2',
      ]);
      tally.survived(`hetzner: ${name}`);
    },
  );
});
