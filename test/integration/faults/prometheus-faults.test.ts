import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSnapshot } from '../../../shared/fleet';
import type { Machine } from '../../../shared/machine';
import type { SourceHealth } from '../../../shared/source';
import { Settings, type SettingsInput } from '../../../shared/settings';
import { readingBlockers } from '../../../electron/core/reaper/policy';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';
import { startSimulatedFleet, SIM_PROMETHEUS_ID, type SimulatedFleet } from '../../sim/fleet';
import { freePort, prometheusSkipReason } from '../../support/prometheus';
import { faultTally } from './tally';
import { simSecrets } from '../../support/sim-secrets';

/*
 * Prometheus down or answering errors, on the simulated fleet with a real Prometheus
 * scraping the VMs' exporters. The VMs cannot be reached over SSH here (their port is
 * closed), so their disk readings come from Prometheus only: the setup of a fleet too
 * big for SSH, or behind a firewall. Between the engine and Prometheus sits a small
 * HTTP proxy that passes requests through or answers with one fault at a time.
 *
 * For each fault: the cycle completes, Hetzner stays fresh, the Prometheus source says
 * what failed (its code and message), and the machines stay listed. Once the last good
 * reading is older than three intervals the disk is stale, which the policy treats as
 * unknown: a machine whose disk only Prometheus knew can no longer be acted on.
 */
const skip = prometheusSkipReason();
if (skip) console.warn(`skipping the Prometheus fault tests: ${skip}`);

const PROM = `prometheus:${SIM_PROMETHEUS_ID}`;
const HCLOUD = 'hetzner:sim-hcloud';
/** The source's interval in these tests; stale after three of them. */
const PROM_INTERVAL_SEC = 5;
const tally = faultTally('prometheus faults');

type Fault = (req: IncomingMessage, res: ServerResponse) => void;

const json = (status: number, body: unknown): Fault => {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
};

/** Each fault, the error code the source must report, and a part of its message. */
const faults: [string, Fault, string, RegExp][] = [
  [
    'connection reset (Prometheus down)',
    (req) => req.socket.destroy(),
    'unreachable',
    /cannot reach http:\/\/127\.0\.0\.1:\d+/,
  ],
  [
    'HTTP 500 with a plain-text body',
    (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal Server Error');
    },
    'remote_error',
    /HTTP 500, not a Prometheus API answer \(Internal Server Error\)/,
  ],
  [
    'HTTP 502 HTML page from a reverse proxy',
    (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    },
    'remote_error',
    /HTTP 502/,
  ],
  [
    'HTTP 503 {"status":"error"} (TSDB not ready)',
    json(503, { status: 'error', errorType: 'unavailable', error: 'TSDB not ready' }),
    'remote_error',
    /unavailable: TSDB not ready/,
  ],
  [
    'HTTP 200 {"status":"error"} (execution error)',
    json(200, { status: 'error', errorType: 'execution', error: 'many-to-many matching' }),
    'remote_error',
    /execution: many-to-many matching/,
  ],
  [
    'a query timeout reported by Prometheus',
    json(503, {
      status: 'error',
      errorType: 'timeout',
      error: 'query timed out in expression evaluation',
    }),
    'timeout',
    /timeout: query timed out/,
  ],
  ['no answer at all (hangs)', () => undefined, 'timeout', /no answer within 1000 ms/],
  [
    'wrong types (labels and sample values not strings)',
    json(200, {
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { instance: 7 }, value: [1, 42] }] },
    }),
    'bad_response',
    /unexpected answer to \/api\/v1\/query/,
  ],
  [
    'a matrix where a vector belongs',
    json(200, { status: 'success', data: { resultType: 'matrix', result: [] } }),
    'bad_response',
    /expected a vector/,
  ],
  [
    'JSON cut off mid-answer',
    json(200, '{"status":"success","data":{"resultType":"vec'),
    'bad_response',
    /not a Prometheus API answer/,
  ],
  ['an empty 200', json(200, ''), 'bad_response', /empty body/],
];

describe.skipIf(skip !== null)('Prometheus faults (real Prometheus behind a faulty proxy)', () => {
  let fleet: SimulatedFleet;
  let runtime: Runtime;
  let proxy: Server;
  let fault: Fault | null = null;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    fleet = await startSimulatedFleet({ vms: 3, seed: 43, gitlab: false, prometheus: true });
    const upstream = fleet.prometheus!.url;
    proxy = createServer((req, res) => {
      if (fault) return fault(req, res);
      void fetch(`${upstream}${req.url ?? '/'}`)
        .then(async (answer) => {
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'application/json',
          });
          res.end(await answer.text());
        })
        .catch(() => req.socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const closedPort = await freePort();
    const input: SettingsInput = fleet.settings;
    const settings = Settings.parse({
      ...input,
      // SSH to the VMs goes to a closed port: their disks are known from Prometheus only
      fleets: (input.fleets ?? []).map((f) => ({
        ...f,
        ssh: { ...f.ssh, port: closedPort, connectTimeoutSec: 2 },
      })),
      prometheus: (input.prometheus ?? []).map((p) => ({
        ...p,
        url: proxyUrl,
        timeoutSec: 1,
        intervalSec: PROM_INTERVAL_SEC,
      })),
    });
    const env = fleet.env;
    runtime = await createRuntime({
      settings,
      secrets: simSecrets(env),
      host: 'cli',
      demo: true,
      version: 'test',
    });
    // every VM's disk read from Prometheus once the scrapes of the new targets came in
    const deadline = Date.now() + 50_000;
    let snap = await runtime.engine.runOnce();
    while (Date.now() < deadline && !everyDiskFromPrometheus(snap)) {
      await new Promise((r) => setTimeout(r, 1_000));
      snap = await runtime.engine.runOnce();
    }
    expect(everyDiskFromPrometheus(snap), JSON.stringify(snap.sources)).toBe(true);
  }, 90_000);

  afterAll(async () => {
    fault = null;
    proxy?.closeAllConnections();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await runtime?.dispose();
    await fleet?.dispose();
    process.off('unhandledRejection', onUnhandled);
    tally.print();
  });

  const vms = (snap: FleetSnapshot): Machine[] =>
    snap.machines.filter((m) => m.kind === 'autoscaled' && m.status.value === 'running');
  function everyDiskFromPrometheus(snap: FleetSnapshot): boolean {
    const running = vms(snap);
    return (
      running.length === fleet.world.vms().filter((v) => v.state === 'running').length &&
      running.length > 0 &&
      running.every((m) => m.disks.source === PROM && m.disks.value !== null && !m.disks.stale)
    );
  }
  /**
   * Cycles until Prometheus answers again through the proxy. Its 1 s timeout (which keeps
   * the hang case short) can be missed by an honest answer on a loaded machine, so
   * recovery is waited for, not expected of the very next cycle.
   */
  async function recovered(): Promise<FleetSnapshot> {
    let snap = await runtime.engine.runOnce();
    for (let i = 0; i < 20 && health(snap, PROM).state !== 'ok'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      snap = await runtime.engine.runOnce();
    }
    return snap;
  }
  function health(snap: FleetSnapshot, id: string): SourceHealth {
    const found = snap.sources.find((s) => s.id === id);
    if (!found) throw new Error(`no source ${id} in ${snap.sources.map((s) => s.id).join(', ')}`);
    return found;
  }

  it.each(faults)(
    '%s: the source fails with its reason, Hetzner stays fresh',
    async (name, f, code, message) => {
      tally.inject(name);
      const known = vms(await runtime.engine.runOnce()).map((m) => m.name);
      fault = f;
      const started = Date.now();
      let snap: FleetSnapshot;
      try {
        snap = await runtime.engine.runOnce();
      } finally {
        fault = null;
        proxy.closeAllConnections(); // the hanging requests
      }
      const prom = health(snap, PROM);
      expect(prom.state).toBe('failing');
      expect(prom.lastError?.code, prom.lastError?.message).toBe(code);
      expect(prom.lastError?.message).toMatch(/^Prometheus sim-prometheus: /);
      expect(prom.lastError?.message).toMatch(message);
      const hcloud = health(snap, HCLOUD);
      expect(hcloud.lastError).toBeNull();
      expect(hcloud.lastOkAt).toBeGreaterThanOrEqual(started);
      // the machines are still there, with their last Prometheus reading and the error
      expect(vms(snap).map((m) => m.name)).toEqual(known);
      for (const m of vms(snap)) {
        expect(m.disks.source).toBe(PROM);
        expect(m.disks.value).not.toBeNull();
      }
      // and the next good answer puts the source right again
      const again = await recovered();
      expect(health(again, PROM)).toMatchObject({ state: 'ok', lastError: null });
      expect(unhandled).toEqual([]);
      tally.survived(name);
    },
  );

  it('a disk only Prometheus knew turns stale while it fails, and stale blocks every action', async () => {
    tally.inject('Prometheus failing past three intervals');
    fault = faults[1]![1]; // 500s
    // The source's last good reading ages past three intervals: wait for it (the scrape
    // time is real time), asking Prometheus every second as a failing source's backoff would.
    let started = Date.now();
    let snap = await runtime.engine.runOnce();
    const deadline = Date.now() + (PROM_INTERVAL_SEC * 3 + 20) * 1000;
    while (Date.now() < deadline && !vms(snap).every((m) => m.disks.stale)) {
      await new Promise((r) => setTimeout(r, 1_000));
      started = Date.now();
      snap = await runtime.engine.runOnce();
    }
    fault = null;
    expect(health(snap, PROM).state).toBe('failing');
    expect(health(snap, HCLOUD).lastOkAt).toBeGreaterThanOrEqual(started);
    expect(vms(snap).length).toBeGreaterThan(0);
    for (const m of vms(snap)) {
      expect(m.disks.stale, m.name).toBe(true);
      expect(m.disks.source).toBe(PROM);
      expect(readingBlockers(m, snap.generatedAt).join('\n')).toMatch(/disk reading is stale/);
    }
    // back: fresh again on the next good answer
    const again = await recovered();
    expect(health(again, PROM).state).toBe('ok');
    for (const m of vms(again)) expect(m.disks.stale, m.name).toBe(false);
    expect(unhandled).toEqual([]);
    tally.survived('Prometheus failing past three intervals');
  }, 120_000);
});
