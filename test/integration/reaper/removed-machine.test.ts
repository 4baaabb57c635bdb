import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine } from '../../../shared/machine';
import { Settings, type SecretRef } from '../../../shared/settings';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import type { Runtime } from '../../../electron/core/runtime';
import { ManualClock } from '../../sim/clock';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { startSimReaper } from '../../support/sim-reaper';
import { simSecrets } from '../../support/sim-secrets';

// After a kill on the simulated fleet (real Hetzner, docker-machine, SSH and GitLab
// collectors): Hetzner stops listing the VM, docker-machine keeps listing it in Error for
// a while. The VM reads "deleted by alice@ws1", is not probed (no probe warning), survives
// a restart as such (from the audit log), and leaves the fleet once docker-machine drops it.
let clock: ManualClock;
let fleet: SimulatedFleet;
let runtime: Runtime | null = null;
let reaper: Reaper | null = null;
let settings: Settings;
let secrets: { resolve(ref: SecretRef): Promise<string> };

async function boot(): Promise<void> {
  ({ runtime, reaper } = await startSimReaper({ settings, secrets, now: () => clock.now() }));
}
async function shutdown(): Promise<void> {
  await reaper?.dispose();
  await runtime?.dispose();
  reaper = null;
  runtime = null;
}

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
  fleet = await startSimulatedFleet({
    clock,
    vms: 4,
    seed: 7,
    stuck: 1,
    deleteDelayMs: 0,
    dockerMachine: 'direct',
  });
  const env = fleet.env;
  secrets = simSecrets(env);
  settings = Settings.parse(fleet.settings);
  await boot();
}, 60_000);
afterAll(async () => {
  await shutdown();
  await fleet?.dispose();
  clock.dispose();
});

async function cycle(): Promise<void> {
  clock.tick(10_000);
  await fleet.settled();
  await runtime!.engine.runOnce();
  await reaper!.idle();
}
const machineNamed = (name: string): Machine | undefined =>
  runtime!.engine.snapshot().machines.find((m) => m.name === name);
const probe = () => runtime!.engine.snapshot().sources.find((s) => s.id === 'ssh:probe');

describe('a deleted VM on the simulated fleet', () => {
  it('reads as deleted by whom and when until every source drops it; not probed; survives a restart', async () => {
    const target = fleet.world.vms().find((vm) => vm.stuck)!;
    for (let i = 0; i < 3; i++) await cycle();
    const proposal = reaper!.proposals().find((p) => p.machineName === target.name);
    expect(proposal?.blocked, JSON.stringify(reaper!.proposals())).toEqual([]);
    const result = await reaper!.confirm(proposal!.id, 'alice@ws1');
    expect(result.outcome, JSON.stringify(result)).toBe('ok');
    const killedAt = clock.now();

    // Right after the kill: marked, whatever the sources still say.
    expect(machineNamed(target.name)?.removed).toMatchObject({
      by: 'alice@ws1',
      action: 'hcloud-delete',
      proposalId: proposal!.id,
    });
    await cycle();
    await cycle();
    const ghost = machineNamed(target.name);
    // docker-machine still lists it (in Error): the same deleted VM, not a new failing one.
    expect(ghost?.seenBy).toContain('docker-machine:sim-docker-machine');
    expect(ghost?.removed?.by).toBe('alice@ws1');
    expect(ghost?.removed?.at).toBeGreaterThanOrEqual(killedAt - 1_000);
    // Not probed: no probe error on it, and the probe source stays green.
    expect(ghost?.disks.error ?? null).toBeNull();
    expect(probe()?.state, JSON.stringify(probe())).toBe('ok');
    expect(probe()?.warnings).toEqual([]);
    // No new proposal on it (and it no longer counts as a fleet member).
    expect(reaper!.proposals().some((p) => p.machineName === target.name)).toBe(false);

    // A restart while docker-machine still lists it: still "deleted by alice", from the audit log.
    await shutdown();
    await boot();
    await cycle();
    expect(machineNamed(target.name)?.removed?.by).toBe('alice@ws1');
    expect(probe()?.warnings).toEqual([]);

    // Once docker-machine drops it too, the VM leaves the fleet view.
    let cycles = 0;
    while (machineNamed(target.name) && cycles++ < 30) await cycle();
    expect(machineNamed(target.name)).toBeUndefined();
    expect(cycles).toBeGreaterThan(0);
  }, 120_000);
});
