import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { readAudit } from '../../../electron/core/audit/audit-log';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import type { Runtime } from '../../../electron/core/runtime';
import { ManualClock } from '../../sim/clock';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { startSimReaper } from '../../support/sim-reaper';
import { simSecrets } from '../../support/sim-secrets';

// The whole path on the simulated fleet (what the demo shows): real collectors (Hetzner,
// SSH probe, GitLab) find a VM stuck full and idle; the reaper proposes it after N
// samples, a person confirms, the re-check passes, Hetzner deletes it; busy VMs stay.
let clock: ManualClock;
let fleet: SimulatedFleet;
let runtime: Runtime;
let reaper: Reaper;
let settings: Settings;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
  fleet = await startSimulatedFleet({ clock, vms: 5, seed: 7, stuck: 1, deleteDelayMs: 0 });
  const env = fleet.env;
  const secrets = simSecrets(env);
  settings = Settings.parse(fleet.settings);
  ({ runtime, reaper } = await startSimReaper({ settings, secrets, now: () => clock.now() }));
});
afterAll(async () => {
  await reaper?.dispose();
  await runtime?.dispose();
  await fleet?.dispose();
  clock.dispose();
});

async function cycle(): Promise<void> {
  clock.tick(10_000);
  await fleet.settled();
  await runtime.engine.runOnce();
  await reaper.idle();
}

describe('reaper on the simulated fleet', () => {
  it('proposes the stuck VM after N samples, never a busy one, and removes it on confirmation', async () => {
    const stuck = fleet.world.vms().filter((vm) => vm.stuck);
    expect(stuck).toHaveLength(1);
    const target = stuck[0]!;
    for (let i = 0; i < 3; i++) await cycle();
    const errors = runtime.engine
      .snapshot()
      .sources.filter((s) => s.lastError !== null)
      .map((s) => `${s.id}: ${s.lastError?.message}`);
    expect(errors).toEqual([]);
    const proposals = reaper.proposals();
    const mine = proposals.find((p) => p.machineName === target.name);
    expect(
      mine,
      JSON.stringify(proposals.map((p) => [p.machineName, p.rule, p.blocked])),
    ).toBeDefined();
    expect(mine?.rule).toBe('disk');
    expect(mine?.blocked).toEqual([]);
    // Every executable proposal is on a VM that runs nothing right now.
    for (const p of proposals.filter((x) => x.blocked.length === 0)) {
      const vm = fleet.world.vms().find((v) => v.name === p.machineName);
      expect(vm?.runningJobId ?? null, p.machineName).toBeNull();
    }
    const check = await reaper.recheck(mine?.id ?? '');
    expect(check.executable).toBe(true);
    const result = await reaper.confirm(mine?.id ?? '', 'alice@ws1');
    expect(result, JSON.stringify(result)).toMatchObject({ outcome: 'ok' });
    expect(fleet.hcloud.list().map((s) => s.name)).not.toContain(target.name);
    const { records } = await readAudit({
      dir: settings.stateDir,
      filter: { machine: target.name },
    });
    expect(records.map((r) => r.type).reverse()).toEqual([
      'proposal',
      'confirm',
      'action-start',
      'result',
    ]);
    expect(records[0]?.evidence ?? null).toBeNull();
    expect(records.find((r) => r.type === 'proposal')?.evidence?.diskPct).toBeGreaterThanOrEqual(
      85,
    );
  });
});
