import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { Engine } from '../../../electron/core/engine';
import { createHcloudSource } from '../../../electron/core/sources/hcloud/source';
import { createMachineSources } from '../../../electron/core/sources/ssh/machine-sources';
import { ManualClock } from '../../sim/clock';
import {
  SIM_FLEET_ID,
  SIM_HCLOUD_TOKEN_ENV,
  SIM_MANAGER_ALIAS,
  SIM_MANAGER_FLEET_ID,
  startSimulatedFleet,
  type SimulatedFleet,
} from '../../sim/fleet';

// The runner manager watched too: the real docker-machine source lists the VMs over SSH on
// the manager, and the probe reaches them through the manager as jump host.
let clock: ManualClock;
let fleet: SimulatedFleet;
let engine: Engine;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 11));
  fleet = await startSimulatedFleet({
    clock,
    vms: 4,
    seed: 31,
    gitlab: false,
    dockerMachine: 'via-manager',
  });
  const settings = Settings.parse(fleet.settings);
  const token = fleet.env[SIM_HCLOUD_TOKEN_ENV]!;
  engine = new Engine({
    sources: [
      createHcloudSource({
        settings: settings.hetzner[0]!,
        secrets: { resolve: async () => token },
      }),
      ...createMachineSources(settings, null),
    ],
    now: () => clock.now(),
  });
});
afterAll(async () => {
  await engine?.dispose();
  await fleet?.dispose();
  clock.dispose();
});

describe('simulated fleet with its runner manager', () => {
  it('merges Hetzner and docker-machine into one machine per VM, probed through the manager', async () => {
    const snapshot = await engine.runOnce();
    expect(snapshot.sources.map((s) => [s.id, s.lastError?.message ?? null])).toEqual([
      ['hetzner:sim-hcloud', null],
      ['docker-machine:sim-docker-machine', null],
      ['ssh:probe', null],
    ]);
    const vms = fleet.world.vms();
    const autoscaled = snapshot.machines.filter((m) => m.fleet === SIM_FLEET_ID);
    expect(autoscaled.map((m) => m.name).sort()).toEqual(vms.map((v) => v.name).sort());
    for (const vm of vms) {
      const machine = autoscaled.find((m) => m.name === vm.name)!;
      expect(machine.seenBy).toEqual(
        expect.arrayContaining([
          'hetzner:sim-hcloud',
          'docker-machine:sim-docker-machine',
          'ssh:probe',
        ]),
      );
      expect(machine.disks.value?.find((d) => d.mount === '/')?.usedPct, vm.name).toBe(
        vm.diskUsedPct,
      );
    }
    const manager = snapshot.machines.find((m) => m.fleet === SIM_MANAGER_FLEET_ID);
    expect(manager).toMatchObject({ name: SIM_MANAGER_ALIAS, kind: 'dedicated' });
    // every VM probe went through the manager: its SSH host forwarded the connections
    expect(
      fleet.ssh.execs
        .filter((e) => e.address === fleet.manager.address)
        .map((e) => e.command)
        .join('\n'),
    ).toContain('docker-machine');
  });
});
