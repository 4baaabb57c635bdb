import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';
import { Settings } from '../../../shared/settings';
import { startSimulatedFleet, SIM_PROMETHEUS_ID, type SimulatedFleet } from '../../sim/fleet';
import { prometheusSkipReason } from '../../support/prometheus';
import { simSecrets } from '../../support/sim-secrets';

// The demo with --prometheus: per-VM node_exporter metrics from the same host state the SSH
// shims read, scraped by a real Prometheus, read by the engine's Prometheus source.
const skip = prometheusSkipReason();
if (skip) console.warn(`skipping the simulated fleet with Prometheus: ${skip}`);

describe.skipIf(skip !== null)('simulated fleet with Prometheus', () => {
  let fleet: SimulatedFleet;
  let runtime: Runtime;

  beforeAll(async () => {
    fleet = await startSimulatedFleet({ vms: 3, seed: 5, gitlab: false, prometheus: true });
    const env = fleet.env;
    runtime = await createRuntime({
      settings: Settings.parse(fleet.settings),
      secrets: simSecrets(env),
      host: 'cli',
      demo: true,
      version: 'test',
    });
  }, 60_000);
  afterAll(async () => {
    await runtime?.dispose();
    await fleet?.dispose();
  });

  it('the fleet disk figures come from Prometheus too, and agree with df over SSH', async () => {
    const source = `prometheus:${SIM_PROMETHEUS_ID}`;
    const deadline = Date.now() + 40_000;
    let snapshot = await runtime.engine.runOnce();
    // the first scrapes come within one scrape interval of the targets appearing
    while (
      Date.now() < deadline &&
      snapshot.machines.filter((m) =>
        m.readings?.some((r) => r.source === source && r.disks?.value),
      ).length < fleet.world.vms().length
    ) {
      await new Promise((r) => setTimeout(r, 1_000));
      snapshot = await runtime.engine.runOnce();
    }
    const health = snapshot.sources.find((s) => s.id === source);
    expect(health).toMatchObject({ kind: 'prometheus', state: 'ok', lastError: null });
    const vms = fleet.world.vms();
    expect(snapshot.machines.map((m) => m.name).sort()).toEqual(vms.map((v) => v.name).sort());
    for (const machine of snapshot.machines) {
      const prom = machine.readings?.find((r) => r.source === source);
      const ssh = machine.readings?.find((r) => r.source === 'ssh:probe');
      const promRoot = prom?.disks?.value?.find((d) => d.mount === '/');
      const sshRoot = ssh?.disks?.value?.find((d) => d.mount === '/');
      expect(promRoot, machine.name).toBeDefined();
      // one definition for both sources: df's used / (used + avail)
      expect(promRoot?.usedPct, machine.name).toBe(sshRoot?.usedPct);
      expect(promRoot?.usedPct, machine.name).toBe(
        vms.find((v) => v.name === machine.name)?.diskUsedPct,
      );
      expect(prom?.load?.value?.cpus).toBeGreaterThanOrEqual(1);
    }
    // the runner manager's own counters (one page: jobs and used machines agree)
    const [counters] = snapshot.counters ?? [];
    expect(counters).toMatchObject({ source: 'runner-metrics:sim-runner', concurrent: 3 });
    expect(counters?.jobs).toBe(counters?.machines?.used);
    const total = Object.values(counters?.machines ?? {}).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual(3);
  }, 60_000);
});
