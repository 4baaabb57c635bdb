import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GitLabClient } from '../../../electron/core/sources/gitlab/client';
import { isRwError } from '../../../electron/core/errors/rw-error';

// Issue 17.1: a GitLab URL answering `302 → another origin` must never carry the
// PRIVATE-TOKEN there. Two real HTTP servers on loopback stand for the two origins.

const TOKEN = 'glpat-redirect-test-secret-77';

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
  );
});

async function listen(
  handler: (
    path: string,
    respond: (status: number, headers: Record<string, string>, body?: string) => void,
  ) => void,
): Promise<{ origin: string; seen: Recorded[] }> {
  const seen: Recorded[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    handler(req.url ?? '/', (status, headers, body = '') => {
      res.writeHead(status, headers);
      res.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json = { 'Content-Type': 'application/json' };
const selfBody = JSON.stringify({
  id: 1,
  name: 'rw',
  scopes: ['read_api'],
  active: true,
  revoked: false,
  expires_at: null,
});
const userBody = JSON.stringify({ id: 1, username: 'watcher' });

function client(origin: string): GitLabClient {
  return new GitLabClient({ url: origin, token: () => TOKEN, timeoutMs: 5_000, retries: 0 });
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(isRwError(error)).toBe(true);
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error('expected a failure');
}

describe('GitLab redirects', () => {
  it('never sends PRIVATE-TOKEN to another origin, and names the target', async () => {
    const other = await listen((_path, respond) => respond(200, json, selfBody));
    const gitlab = await listen((path, respond) =>
      respond(302, { Location: `${other.origin}${path}` }),
    );
    const error = await failure(client(gitlab.origin).identify(new AbortController().signal));
    expect(error.code).toBe('bad_response');
    expect(error.message).toContain(
      `redirected (HTTP 302) to ${other.origin}, not ${gitlab.origin}`,
    );
    expect(error.message).not.toContain(TOKEN);
    expect(other.seen).toEqual([]);
    expect(gitlab.seen[0]?.headers['private-token']).toBe(TOKEN);
  });

  it('refuses a same-host downgrade to another scheme or port too', async () => {
    const gitlab = await listen((path, respond) =>
      respond(307, { Location: `http://localhost:1${path}` }),
    );
    const error = await failure(client(gitlab.origin).identify(new AbortController().signal));
    expect(error.message).toContain('to http://localhost:1, not');
  });

  it('follows a redirect within the same origin, with the token', async () => {
    const gitlab = await listen((path, respond) => {
      if (path.startsWith('/api/v4/personal_access_tokens/self'))
        respond(301, { Location: '/api/v4/moved/self' });
      else if (path.startsWith('/api/v4/moved/self')) respond(200, json, selfBody);
      else if (path.startsWith('/api/v4/user')) respond(200, json, userBody);
      else respond(404, json, '{"message":"404 Not Found"}');
    });
    const info = await client(gitlab.origin).identify(new AbortController().signal);
    expect(info).toEqual({ scopes: ['read_api'], isAdmin: false, username: 'watcher' });
    const moved = gitlab.seen.find((r) => r.path.startsWith('/api/v4/moved/self'));
    expect(moved?.headers['private-token']).toBe(TOKEN);
  });

  it('gives up on a redirect loop', async () => {
    const gitlab = await listen((path, respond) => respond(302, { Location: path }));
    const error = await failure(client(gitlab.origin).identify(new AbortController().signal));
    expect(error.message).toContain('was redirected more than 5 times');
    expect(gitlab.seen).toHaveLength(6);
  });
});
