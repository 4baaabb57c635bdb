import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import type { Proposal } from '../../../shared/proposal';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import type { Runtime } from '../../../electron/core/runtime';
import { ManualClock } from '../../sim/clock';
import {
  SIM_FLEETING_FLEET_ID,
  startSimulatedFleet,
  type SimulatedFleet,
  type SimulatedFleeting,
} from '../../sim/fleet';
import { startSimReaper } from '../../support/sim-reaper';
import { simSecrets } from '../../support/sim-secrets';

// A docker-autoscaler fleet (fleeting-plugin-hetzner) beside the docker+machine one, watched
// through the real Hetzner, GitLab and SSH collectors: instances probed at their private
// address (use_external_addr = false), jobs linked by the `Dialing instance` trace line, a
// stuck instance proposed and deleted, and the manager — named like the group, at 70 % —
// never deletable.

let clock: ManualClock;
let fleet: SimulatedFleet;
let fleeting: SimulatedFleeting;
let runtime: Runtime;
let reaper: Reaper;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 12));
  fleet = await startSimulatedFleet({
    clock,
    vms: 2,
    seed: 5,
    stuck: 0,
    deleteDelayMs: 0,
    autoscaler: { vms: 4, stuck: 1 },
  });
  if (!fleet.fleeting) throw new Error('no docker-autoscaler fleet');
  fleeting = fleet.fleeting;
  // The manager is listed by the `ci-fleet-` prefix: the probe files its key under its name.
  const knownHosts = fleet.settings.fleets?.[0]?.ssh?.knownHostsFile;
  if (!knownHosts) throw new Error('no known_hosts');
  appendFileSync(
    knownHosts,
    fleet.ssh.knownHostsLineAs(fleeting.manager.name, fleeting.manager.address) + '\n',
  );
  const settings = Settings.parse(fleet.settings);
  const env = fleet.env;
  const secrets = simSecrets(env);
  ({ runtime, reaper } = await startSimReaper({ settings, secrets, now: () => clock.now() }));
  for (let i = 0; i < 3; i++) {
    clock.tick(10_000);
    await fleet.settled();
    await runtime.engine.runOnce();
    await reaper.idle();
  }
});
afterAll(async () => {
  await reaper?.dispose();
  await runtime?.dispose();
  await fleet?.dispose();
  clock?.dispose();
});

const machines = () => runtime.engine.machines().filter((m) => m.fleet === SIM_FLEETING_FLEET_ID);
const proposalOf = (name: string): Proposal | undefined =>
  reaper.proposals().find((p) => p.machineName === name && p.fleet === SIM_FLEETING_FLEET_ID);
const describeAll = () =>
  JSON.stringify(reaper.proposals().map((p) => [p.machineName, p.rule, p.action, p.blocked]));

describe('simulated docker-autoscaler fleet', () => {
  it('lists the group instances and the look-alike manager, and probes the instances at their private address', () => {
    const vms = fleeting.world.vms();
    expect(vms.every((v) => /^ci-fleet-[0-9a-f]{8}$/.test(v.name))).toBe(true);
    const seen = machines();
    expect(seen.map((m) => m.name).sort()).toEqual(
      [...vms.map((v) => v.name), fleeting.manager.name].sort(),
    );
    for (const vm of vms) {
      const m = seen.find((x) => x.name === vm.name);
      // the private network address is dialled first; the public one does not answer SSH
      expect(m?.addresses, vm.name).toEqual([vm.privateAddress, vm.address]);
      expect(m?.disks.error, vm.name).toBeNull();
      expect(m?.disks.value?.find((d) => d.mount === '/')?.usedPct, vm.name).toBe(vm.diskUsedPct);
    }
    expect(fleet.ssh.execs.some((e) => e.address.startsWith('127.0.6.'))).toBe(false);
    expect(fleet.ssh.execs.some((e) => e.address.startsWith('127.0.7.'))).toBe(true);
  });

  it("links the runner's running jobs to instances by the trace's `Dialing instance` line, never to the manager", () => {
    const running = fleeting.world.jobList().filter((j) => j.status === 'running');
    expect(running.length, 'the scenario should have running fleeting jobs').toBeGreaterThan(0);
    for (const job of running) {
      const m = machines().find((x) => x.name === job.machine);
      expect(m?.jobs.value?.find((j) => j.jobId === job.id)?.seenIn, `job ${job.id}`).toEqual([
        'machine',
        'gitlab',
      ]);
    }
    const manager = machines().find((m) => m.name === fleeting.manager.name);
    expect(manager?.jobs.value ?? []).toEqual([]);
  });

  it('proposes the stuck instance for its disk, open to confirm; the manager at 70 % is blocked for every reason', () => {
    const stuck = fleeting.world.vms().find((v) => v.stuck);
    if (!stuck) throw new Error('no stuck instance');
    const proposal = proposalOf(stuck.name);
    expect(proposal?.rule, describeAll()).toBe('disk');
    expect(proposal?.action).toBe('hcloud-delete');
    expect(proposal?.blocked, describeAll()).toEqual([]);
    expect(proposal?.providerId).toBe(String(stuck.serverId));
    const manager = proposalOf(fleeting.manager.name);
    expect(manager?.evidence.diskPct, describeAll()).toBe(70);
    const why = manager?.blocked.join('\n') ?? '';
    expect(why).toMatch(/not an instance of group ci-fleet/);
    expect(why).toMatch(/runner manager \(manager of GitLab runner #102/);
  });

  it('deletes the stuck instance when confirmed; the manager stays', async () => {
    const stuck = fleeting.world.vms().find((v) => v.stuck);
    const proposal = stuck ? proposalOf(stuck.name) : undefined;
    if (!stuck || !proposal) throw new Error('no proposal for the stuck instance');
    const result = await reaper.confirm(proposal.id, 'alice@ws1');
    expect(result.outcome, JSON.stringify(result)).toBe('ok');
    expect(fleet.hcloud.list('default').some((s) => s.name === stuck.name)).toBe(false);
    expect(fleet.hcloud.list('default').some((s) => s.name === fleeting.manager.name)).toBe(true);
    const managerConfirm = await reaper.confirm(
      proposalOf(fleeting.manager.name)?.id ?? '',
      'alice@ws1',
    );
    expect(managerConfirm.outcome).toBe('refused');
  });
});
