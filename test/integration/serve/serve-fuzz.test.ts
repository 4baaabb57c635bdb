import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeChannels, isInvokeChannel, type AppInfo } from '../../../shared/api';
import { ApiError } from '../../../shared/errors';
import { createApiHandlers } from '../../../electron/core/api';
import { Engine } from '../../../electron/core/engine';
import { startServeHost, type ServeHost } from '../../../electron/serve/serve-host';

// The fuzz that issues 16 and 17 ran over the serve API, kept in the suite: malformed
// requests on every channel get a typed error (never a 500, never a stack or a token),
// and access control holds for every channel.

const info: AppInfo = {
  name: 'Runner Watch',
  version: '0.0.0-test',
  host: 'serve',
  demo: false,
  startedAt: 1,
  warnings: [],
};

let host: ServeHost;
let engine: Engine;
let base: string;
let dir: string;
const channels = Object.keys(invokeChannels);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-serve-fuzz-'));
  engine = new Engine({ sources: [] });
  host = await startServeHost({
    runtime: { engine, api: createApiHandlers({ engine, info }) },
    port: 0,
    rendererDir: dir,
  });
  base = host.url.replace(/\/$/, '');
});
afterAll(async () => {
  await host.dispose();
  await engine.dispose();
  await rm(dir, { recursive: true, force: true });
});

const bodies = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('null', '[]', '{"keys":[]}', '{"keys":["gl/1e400"]}', '{"limit":1e308}', '{'),
  fc
    .record({
      keys: fc.array(fc.string({ maxLength: 30 }), { maxLength: 20 }),
      pauseMs: fc.oneof(fc.integer(), fc.double()),
      batchSize: fc.oneof(fc.integer(), fc.constant(null)),
      dryRun: fc.oneof(fc.boolean(), fc.string()),
    })
    .map((value) => JSON.stringify(value)),
);

const requests = fc.record({
  channel: fc.oneof(fc.constantFrom(...channels), fc.string({ maxLength: 40 })),
  body: fc.option(bodies, { nil: undefined }),
  type: fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8'),
});

describe('serve API fuzz', () => {
  it('answers every malformed request with a typed error, never 500', async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(requests, async ({ channel, body, type }) => {
        sent += 1;
        const res = await fetch(`${base}/api/invoke/${encodeURIComponent(channel)}`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${host.token}`,
            Origin: base,
            ...(body === undefined ? {} : { 'Content-Type': type }),
          },
          ...(body === undefined ? {} : { body }),
        });
        const text = await res.text();
        expect(res.status, `${channel} ${body ?? ''}`).not.toBe(500);
        expect(text).not.toContain(host.token);
        expect(text).not.toMatch(/\bat .*\.ts:\d+/);
        if (res.status === 200) {
          expect(isInvokeChannel(channel)).toBe(true);
        } else {
          expect(ApiError.safeParse(JSON.parse(text)).success).toBe(true);
          expect([400, 404, 409, 413, 415]).toContain(res.status);
        }
      }),
      { numRuns: 420, seed: 16_17 },
    );
    expect(sent).toBe(420);
  });

  it('needs the token on every channel, and our Origin on every command', async () => {
    for (const channel of channels) {
      const url = `${base}/api/invoke/${channel}`;
      expect((await fetch(url, { method: 'POST' })).status, channel).toBe(401);
      const wrong = await fetch(url, {
        method: 'POST',
        headers: { Authorization: 'Bearer x'.repeat(40) },
      });
      expect(wrong.status, channel).toBe(401);
      const def = invokeChannels[channel as keyof typeof invokeChannels];
      if (def.kind === 'command') {
        const foreign = await fetch(url, {
          method: 'POST',
          headers: { Authorization: `Bearer ${host.token}`, Origin: 'http://evil.example' },
        });
        expect(foreign.status, channel).toBe(403);
      }
    }
  });
});
