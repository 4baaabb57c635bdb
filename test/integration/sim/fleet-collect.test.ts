import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';
import { ManualClock } from '../../sim/clock';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { simSecrets } from '../../support/sim-secrets';

// The engine's real collectors (Hetzner over fetch, the SSH probe over ssh2) against the
// simulated fleet: what the demo and `scan` see.
let clock: ManualClock;
let fleet: SimulatedFleet;
let runtime: Runtime;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
  fleet = await startSimulatedFleet({ clock, vms: 5, seed: 21 });
  const env = fleet.env;
  runtime = await createRuntime({
    settings: Settings.parse(fleet.settings),
    secrets: simSecrets(env),
    host: 'cli',
    demo: true,
    version: 'test',
    now: () => clock.now(),
  });
});
afterAll(async () => {
  await runtime?.dispose();
  await fleet?.dispose();
  clock.dispose();
});

describe('collectors against the simulated fleet', () => {
  it('finds every VM through Hetzner, reads its disk and jobs over SSH, links jobs from GitLab', async () => {
    await runtime.engine.runOnce();
    const snapshot = await runtime.engine.runOnce();
    const errors = snapshot.sources
      .filter((s) => s.lastError !== null)
      .map((s) => `${s.id}: ${s.lastError?.message}`);
    expect(errors).toEqual([]);
    const vms = fleet.world.vms();
    const byName = new Map(snapshot.machines.map((m) => [m.name, m]));
    expect([...byName.keys()].sort()).toEqual(vms.map((v) => v.name).sort());
    const runner = snapshot.runners.find((r) => r.id === fleet.world.runner.id);
    expect(runner).toMatchObject({ description: fleet.world.runner.description, status: 'online' });
    expect(snapshot.runners.filter((r) => r.staleReason !== null).length).toBeGreaterThan(0);
    for (const vm of vms) {
      const machine = byName.get(vm.name)!;
      const root = machine.disks.value?.find((d) => d.mount === '/');
      expect(root?.usedPct, vm.name).toBe(vm.diskUsedPct);
      expect(
        machine.jobs.value?.map((j) => j.jobId),
        vm.name,
      ).toEqual(vm.runningJobId === null ? [] : [vm.runningJobId]);
    }
  });
});
