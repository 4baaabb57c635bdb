import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/core/engine';
import { isPrometheusError } from '../../../electron/core/sources/prometheus/prometheus-error';
import { createPrometheusSource } from '../../../electron/core/sources/prometheus/source';
import type { CollectContext, Source } from '../../../electron/core/sources/source';
import type { Machine } from '../../../shared/machine';
import { Settings, type SettingsInput } from '../../../shared/settings';
import { testMachine } from '../../support/machines';
import {
  freePort,
  prometheusSkipReason,
  startPrometheusHarness,
  type PrometheusHarness,
} from '../../support/prometheus';

const skip = prometheusSkipReason();
if (skip) console.warn(`skipping real-Prometheus source tests: ${skip}`);

const noSecrets = { resolve: () => Promise.reject(new Error('no secrets in this test')) };

/** df's Use% of `/` on this host: what the product must show for every simulated machine. */
function dfRootPct(): number {
  const out = execFileSync('df', ['-P', '/'], { encoding: 'utf8' }).trim().split('\n');
  const cols = (out[1] ?? '').split(/\s+/);
  return Number((cols[4] ?? '').replace('%', ''));
}

function settingsFor(url: string, prom: Record<string, unknown> = {}): Settings {
  const input: SettingsInput = {
    fleets: [{ id: 'ci', watchedMounts: ['/', '/var/lib/docker'] }],
    prometheus: [{ id: 'lab', fleet: 'ci', url, machineLabel: 'machine', ...prom }],
  };
  return Settings.parse(input);
}

function sourceFor(settings: Settings): Source {
  const prom = settings.prometheus[0];
  if (!prom) throw new Error('no prometheus settings');
  return createPrometheusSource({ settings, prom, secrets: noSecrets });
}

const machines: Machine[] = [
  testMachine('vm-a', { addresses: ['127.0.5.1'], disks: { ...testMachine('x').disks } }),
  testMachine('vm-b', { addresses: ['127.0.5.2'] }),
  testMachine('vm-c', { addresses: ['127.0.5.3'] }),
];
const context: CollectContext = { now: Date.now, machines: () => machines };

describe.skipIf(skip !== null)(
  'Prometheus source against real Prometheus and node_exporter',
  () => {
    let lab: PrometheusHarness;

    beforeAll(async () => {
      lab = await startPrometheusHarness([
        { name: 'vm-a', instance: '127.0.5.1:9100' },
        { name: 'vm-b', instance: '127.0.5.2:9100' },
        // scraped but unknown to the fleet: left out, never added as a machine
        { name: 'stranger', instance: '127.0.9.9:9100' },
      ]);
      await lab.waitForScrapes(2);
    }, 60_000);
    afterAll(async () => {
      await lab?.dispose();
    });

    it('reads disk % for every relabelled machine in one cycle, as df computes it', async () => {
      const source = sourceFor(settingsFor(lab.url));
      const before = Date.now();
      const result = await source.collect(AbortSignal.timeout(10_000), context);
      const byName = new Map(result.machines.map((m) => [m.name, m]));
      expect([...byName.keys()].sort()).toEqual(['vm-a', 'vm-b']);
      const df = dfRootPct();
      for (const name of ['vm-a', 'vm-b']) {
        const obs = byName.get(name)!;
        const root = obs.disks?.find((d) => d.mount === '/');
        expect(root, `${name} has /`).toBeDefined();
        // df's used / (used + avail), not 1 - avail/size (which counts root's reserve as used)
        expect(Math.abs(root!.usedPct - df)).toBeLessThanOrEqual(1);
        expect(root!.usedBytes).toBeLessThan(root!.sizeBytes);
        expect(obs.load?.load1).toBeGreaterThanOrEqual(0);
        expect(obs.load?.cpus).toBeGreaterThanOrEqual(1);
        expect(obs.load?.memAvailableBytes).toBeGreaterThan(0);
        // the scrape time, not the collection time: at most a few scrapes old
        expect(obs.observedAt).toBeGreaterThan(before - 10_000);
        expect(obs.observedAt).toBeLessThanOrEqual(Date.now());
        expect(obs.jobs).toBeUndefined(); // Prometheus knows nothing of jobs
      }
      expect(result.warnings ?? []).toEqual([]);
    });

    it('maps series by address: instance with the port cut off', async () => {
      const source = sourceFor(settingsFor(lab.url, { machineLabel: 'instance', stripPort: true }));
      const result = await source.collect(AbortSignal.timeout(10_000), context);
      expect(result.machines.map((m) => m.name).sort()).toEqual(['vm-a', 'vm-b']);
    });

    it('says so when no series matches a machine of the fleet (a warning: state degraded)', async () => {
      const source = sourceFor(
        settingsFor(lab.url, { machineLabel: 'instance', stripPort: false }),
      );
      const result = await source.collect(AbortSignal.timeout(10_000), context);
      expect(result.machines).toEqual([]);
      expect(result.warnings?.join(' ')).toMatch(
        /no series matched a machine of fleet ci by label instance \(values like "127\.0\.5\.1:9100"/,
      );
    });

    it('an empty answer is a clear degraded state, not an empty fleet', async () => {
      const source = sourceFor(settingsFor(lab.url, { matchers: 'job="no-such-job"' }));
      const engine = new Engine({ sources: [source] });
      const snapshot = await engine.runOnce();
      const health = snapshot.sources[0]!;
      expect(health.state).toBe('degraded');
      expect(health.warnings.join(' ')).toMatch(/no node_exporter series for job="no-such-job"/);
      expect(snapshot.machines).toEqual([]);
      await engine.dispose();
    });

    it('a query Prometheus refuses fails the source with its reason', async () => {
      const source = sourceFor(settingsFor(lab.url, { matchers: 'job=~"("' }));
      const error: unknown = await source
        .collect(AbortSignal.timeout(10_000), context)
        .catch((e: unknown) => e);
      expect(isPrometheusError(error)).toBe(true);
      expect((error as { code: string }).code).toBe('bad_input');
      expect((error as Error).message).toMatch(/Prometheus lab: Prometheus refused .*bad_data/);
      const engine = new Engine({
        sources: [sourceFor(settingsFor(lab.url, { matchers: 'job=~"("' }))],
      });
      const snapshot = await engine.runOnce();
      expect(snapshot.sources[0]).toMatchObject({
        state: 'failing',
        lastError: { code: 'bad_input' },
      });
      await engine.dispose();
    });

    it('Prometheus down: unreachable, and the machines keep their last reading, marked with the error', async () => {
      const port = await freePort();
      const down = sourceFor(settingsFor(`http://127.0.0.1:${port}`));
      const error: unknown = await down
        .collect(AbortSignal.timeout(10_000), context)
        .catch((e: unknown) => e);
      expect((error as { code: string }).code).toBe('unreachable');
      expect((error as Error).message).toMatch(
        /Prometheus lab: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
      );
    });
  },
);
