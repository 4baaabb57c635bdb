import fc from 'fast-check';
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeChannels, type InvokeChannel } from '../../../shared/api';
import { ApiError } from '../../../shared/errors';
import { Settings } from '../../../shared/settings';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';
import type { DispatchResult } from '../../../electron/core/api';
import { registerIpc } from '../../../electron/ipc-main';
import { startServeHost, type ServeHost } from '../../../electron/serve/serve-host';
import { ManualClock } from '../../sim/clock';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { recordFigures } from '../../support/figures';
import { simSecrets } from '../../support/sim-secrets';

/*
 * Every API call, over HTTP (serve host) and over IPC (the Electron handler wrapper), fed
 * random and malformed payloads: each answer is a success that parses with the channel's
 * response schema or a typed ApiError, never a crash, a stack trace or a 500; the process
 * and the runtime keep answering afterwards. The runtime is the real one (engine, reaper,
 * runner service) on the simulated fleet, so handlers run their real validation.
 */
const channels = Object.keys(invokeChannels) as InvokeChannel[];
const figures = { http: 0, ipc: 0 };

let clock: ManualClock;
let fleet: SimulatedFleet;
let runtime: Runtime;
let serve: ServeHost;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
  fleet = await startSimulatedFleet({ clock, vms: 3, seed: 3, stuck: 1 });
  const env = fleet.env;
  runtime = await createRuntime({
    settings: Settings.parse(fleet.settings),
    secrets: simSecrets(env),
    host: 'serve',
    demo: true,
    version: 'test',
    now: () => clock.now(),
  });
  await runtime.engine.runOnce();
  serve = await startServeHost({
    runtime,
    port: 0,
    rendererDir: fleet.root,
    warn: () => undefined,
  });
});
afterAll(async () => {
  await serve?.dispose();
  await runtime?.dispose();
  await fleet?.dispose();
  clock?.dispose();
  console.log(
    `figures: bad inputs tried: ${figures.http} over HTTP, ${figures.ipc} over IPC (${channels.length} channels)`,
  );
  recordFigures('bad-inputs-api-fuzz', {
    kind: 'bad-inputs',
    http: figures.http,
    ipc: figures.ipc,
    channels: channels.length,
  });
});

/** Payloads: any JSON, near-misses of real requests, deep nesting, huge strings. */
const payload = fc.oneof(
  fc.jsonValue(),
  fc.record({
    proposalId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    fleet: fc.oneof(fc.string(), fc.constant('sim-hetzner')),
    mode: fc.oneof(fc.string(), fc.constant('sideways')),
    ids: fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 5 }),
    limit: fc.oneof(fc.integer(), fc.double(), fc.string()),
  }),
  fc.constant({ __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } }),
  fc.constant(JSON.parse('{"__proto__": {"isAdmin": true}}') as unknown),
  fc.integer({ min: 1, max: 2000 }).map((depth) => {
    let v: unknown = 'leaf';
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  }),
  fc.constant('x'.repeat(200_000)),
);

const expectTyped = (status: number, body: unknown, channel: InvokeChannel, what: string) => {
  if (status === 200) {
    const schema = invokeChannels[channel].response;
    const parsed = schema.safeParse(body);
    expect(parsed.success, `${channel} ${what}: 200 with a body off the contract`).toBe(true);
    return;
  }
  expect(status, `${channel} ${what}`).toBeLessThan(500);
  const parsed = ApiError.safeParse(body);
  expect(parsed.success, `${channel} ${what}: ${JSON.stringify(body).slice(0, 200)}`).toBe(true);
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at |node:internal|\.ts:\d+/);
};

describe('API fuzz', () => {
  it('serve host: every channel answers random payloads with its schema or a typed error', async () => {
    const origin = `http://127.0.0.1:${serve.port}`;
    const base = serve.url.replace(/\/$/, '');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...channels), payload, async (channel, input) => {
        figures.http += 1;
        const res = await fetch(`${base}/api/invoke/${channel}`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${serve.token}`,
            Origin: origin,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify(input) ?? 'null',
        });
        const text = await res.text();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new Error(`${channel}: answer is not JSON (${res.status}): ${text.slice(0, 200)}`);
        }
        expectTyped(res.status, body, channel, `with ${JSON.stringify(input)?.slice(0, 80)}`);
      }),
      { numRuns: 150, seed: 14 },
    );
  });

  it('serve host: raw bytes that are not JSON, or not UTF-8, are a 400 bad_input', async () => {
    const base = serve.url.replace(/\/$/, '');
    const bodies: (string | Buffer)[] = [
      '{',
      '}{',
      '\u0000',
      '{"a":1}{"b":2}',
      'NaN',
      Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
    ];
    for (const channel of channels) {
      for (const body of bodies) {
        figures.http += 1;
        const res = await fetch(`${base}/api/invoke/${channel}`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${serve.token}`,
            Origin: `http://127.0.0.1:${serve.port}`,
            'Content-Type': 'application/json',
          },
          body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
        });
        const answer = (await res.json()) as unknown;
        expectTyped(res.status, answer, channel, `raw ${String(body).slice(0, 20)}`);
        if (typeof body !== 'string' || body !== 'NaN') expect(res.status).not.toBe(200);
      }
    }
  });

  it('IPC: the same payloads through the registered handlers: typed results, never a throw', async () => {
    const handlers = new Map<string, (event: IpcMainInvokeEvent, input: unknown) => unknown>();
    const ipc = {
      handle: (channel: string, fn: (event: IpcMainInvokeEvent, input: unknown) => unknown) =>
        void handlers.set(channel, fn),
      removeHandler: (channel: string) => void handlers.delete(channel),
    } satisfies Pick<IpcMain, 'handle' | 'removeHandler'>;
    const registration = registerIpc(ipc, runtime.api, () => true);
    try {
      const event = {} as IpcMainInvokeEvent;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...channels), payload, async (channel, input) => {
          figures.ipc += 1;
          const handler = handlers.get(channel);
          expect(handler, channel).toBeDefined();
          const result = (await handler!(event, input)) as DispatchResult;
          if (result.ok) {
            expect(invokeChannels[channel].response.safeParse(result.value).success).toBe(true);
          } else {
            expect(ApiError.safeParse(result.error).success, JSON.stringify(result)).toBe(true);
          }
        }),
        { numRuns: 150, seed: 15 },
      );
    } finally {
      registration.dispose();
    }
  });

  it('still answers normally afterwards, and nothing was deleted', async () => {
    const res = await fetch(`${serve.url}api/invoke/rw:fleet:snapshot`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${serve.token}` },
    });
    expect(res.status).toBe(200);
    expect(fleet.hcloud.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(runtime.engine.snapshot().machines.length).toBeGreaterThan(0);
  });
});
