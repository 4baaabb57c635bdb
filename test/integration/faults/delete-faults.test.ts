import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { readAudit } from '../../../electron/core/audit/audit-log';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import type { Runtime } from '../../../electron/core/runtime';
import { ManualClock } from '../../sim/clock';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { faultTally } from './tally';
import { startSimReaper } from '../../support/sim-reaper';
import { simSecrets } from '../../support/sim-secrets';

/*
 * A confirmed delete meets Hetzner faults: the server stays locked (423) past the retries,
 * or the delete action ends in `error`. Each: the result says what failed, it is audited,
 * the server is still there, nothing is repeated on its own, and a later confirmation
 * (once the fault is gone) deletes it.
 */
const tally = faultTally('delete faults');
let clock: ManualClock;
let fleet: SimulatedFleet;
let runtime: Runtime;
let reaper: Reaper;
let settings: Settings;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
  fleet = await startSimulatedFleet({ clock, vms: 5, seed: 7, stuck: 2, deleteDelayMs: 0 });
  const env = fleet.env;
  const secrets = simSecrets(env);
  settings = Settings.parse(fleet.settings);
  ({ runtime, reaper } = await startSimReaper({
    settings,
    secrets,
    now: () => clock.now(),
    reaper: { hcloud: { pollIntervalMs: 20, lockedDelayMs: 10, lockedRetries: 2 } },
  }));
  for (let i = 0; i < 3; i++) await cycle();
});
afterAll(async () => {
  await reaper?.dispose();
  await runtime?.dispose();
  await fleet?.dispose();
  clock?.dispose();
  tally.print();
});

async function cycle(): Promise<void> {
  clock.tick(10_000);
  await fleet.settled();
  await runtime.engine.runOnce();
  await reaper.idle();
}

function executable(name: string) {
  const p = reaper.proposals().find((x) => x.machineName === name);
  expect(
    p,
    `${name}: ${JSON.stringify(reaper.proposals().map((x) => x.machineName))}`,
  ).toBeDefined();
  expect(p?.blocked).toEqual([]);
  return p!;
}

const deletesOf = (id: number) =>
  fleet.hcloud.requests.filter((r) => r.method === 'DELETE' && r.path === `/v1/servers/${id}`);

describe('Hetzner faults during a confirmed delete', () => {
  it('423 locked past the retries: failed, audited, server kept; deleted once unlocked and confirmed again', async () => {
    tally.inject('hetzner 423 locked');
    const vm = fleet.world.vms().filter((v) => v.stuck)[0]!;
    const server = fleet.hcloud.list().find((s) => s.name === vm.name)!;
    fleet.hcloud.lockServer(server.id);
    const first = await reaper.confirm(executable(vm.name).id, 'alice@ws1');
    expect(first.outcome).toBe('failed');
    expect(first.detail).toMatch(/locked/);
    expect(fleet.hcloud.list().map((s) => s.id)).toContain(server.id);
    const tries = deletesOf(server.id).length;
    expect(deletesOf(server.id).every((r) => r.status === 423)).toBe(true);
    // not repeated on its own
    await cycle();
    expect(deletesOf(server.id).length).toBe(tries);
    fleet.hcloud.unlockServer(server.id);
    const again = await reaper.confirm(executable(vm.name).id, 'alice@ws1');
    expect(again.outcome, again.detail ?? '').toBe('ok');
    expect(fleet.hcloud.list().map((s) => s.id)).not.toContain(server.id);
    const { records } = await readAudit({ dir: settings.stateDir, filter: { machine: vm.name } });
    const results = records.filter((r) => r.type === 'result').map((r) => r.outcome);
    expect(results).toEqual(['ok', 'failed']);
    tally.survived('hetzner 423 locked');
  });

  it('delete action ends in error: failed with Hetzner’s message, server kept, DELETE not repeated', async () => {
    tally.inject('hetzner delete action error');
    await cycle();
    const vm = fleet.world.vms().filter((v) => v.stuck)[0]!;
    const server = fleet.hcloud.list().find((s) => s.name === vm.name)!;
    fleet.hcloud.failNextDeleteActions(1, {
      code: 'action_failed',
      message: 'server deletion failed: hypervisor busy',
    });
    const result = await reaper.confirm(executable(vm.name).id, 'bob@ws2');
    expect(result.outcome).toBe('failed');
    expect(result.detail).toMatch(/hypervisor busy/);
    expect(fleet.hcloud.list().find((s) => s.id === server.id)?.status).toBe('running');
    expect(deletesOf(server.id)).toHaveLength(1);
    await cycle();
    expect(deletesOf(server.id)).toHaveLength(1);
    const { records } = await readAudit({ dir: settings.stateDir, filter: { machine: vm.name } });
    expect(records[0]).toMatchObject({ type: 'result', outcome: 'failed', who: 'bob@ws2' });
    expect(records[0]?.detail).toMatch(/hypervisor busy/);
    tally.survived('hetzner delete action error');
  });
});
