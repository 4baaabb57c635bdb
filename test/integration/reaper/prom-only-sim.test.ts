import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../../electron/core/audit/audit-log';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import type { Runtime } from '../../../electron/core/runtime';
import { NOT_PROBED_JOBS_UNKNOWN } from '../../../shared/fleet';
import type { Proposal } from '../../../shared/proposal';
import { Settings } from '../../../shared/settings';
import {
  SIM_FLEET_ID,
  SIM_PROMETHEUS_ID,
  startSimulatedFleet,
  type SimulatedFleet,
} from '../../sim/fleet';
import { prometheusSkipReason } from '../../support/prometheus';
import { startSimReaper } from '../../support/sim-reaper';
import { simSecrets } from '../../support/sim-secrets';

// A Prometheus-only fleet (`probe: "none"`) through the real runtime and reaper: Hetzner,
// GitLab and a real Prometheus scraping every VM's node_exporter, no SSH to the VMs. The
// stuck VM is at 95 %, GitLab links no job to it, the autoscaler's naming identifies it and
// the reaper runs in auto mode — with SSH it would be deleted. Without SSH its job
// containers are unknown, and unknown is never idle: the disk rule proposes it, blocked,
// saying why, and neither the reaper nor a person's confirmation deletes it.
const skip = prometheusSkipReason();
if (skip) console.warn(`skipping the Prometheus-only fleet: ${skip}`);

const REASON = NOT_PROBED_JOBS_UNKNOWN;
const PROM = `prometheus:${SIM_PROMETHEUS_ID}`;

describe.skipIf(skip !== null)('Prometheus-only fleet (probe: none) and the reaper', () => {
  let fleet: SimulatedFleet;
  let runtime: Runtime;
  let reaper: Reaper;
  let settings: Settings;
  let stuck: string;

  beforeAll(async () => {
    fleet = await startSimulatedFleet({ vms: 4, seed: 7, stuck: 1, prometheus: true });
    const vm = fleet.world.vms().find((v) => v.stuck);
    if (!vm) throw new Error('no stuck VM');
    stuck = vm.name;
    fleet.world.fillUp(stuck, 95);
    const input = structuredClone(fleet.settings);
    const namePrefix = input.hetzner?.[0]?.namePrefix;
    if (!namePrefix) throw new Error('the simulated fleet has no name prefix');
    settings = Settings.parse({
      ...input,
      fleets: (input.fleets ?? []).map((f) =>
        f.id === SIM_FLEET_ID
          ? {
              ...f,
              probe: 'none',
              autoscaler: { namePrefixes: [namePrefix] },
              reaper: { ...f.reaper, mode: 'auto', samples: 2 },
            }
          : f,
      ),
    });
    ({ runtime, reaper } = await startSimReaper({
      settings,
      secrets: simSecrets(fleet.env),
      now: () => fleet.clock.now(),
    }));
  }, 60_000);
  afterAll(async () => {
    await reaper?.dispose();
    await runtime?.dispose();
    await fleet?.dispose();
  });

  const proposalOf = (name: string): Proposal | undefined =>
    reaper.proposals().find((p) => p.machineName === name && p.fleet === SIM_FLEET_ID);
  const deletes = () => fleet.hcloud.requests.filter((r) => r.method === 'DELETE').length;

  it('proposes the full, idle-looking VM only blocked, deletes nothing and opens no SSH session', async () => {
    const execsBefore = fleet.ssh.execs.length;
    // Prometheus scrapes every 5 s: cycle until the disk rule has its two samples.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && proposalOf(stuck)?.rule !== 'disk') {
      await runtime.engine.runOnce();
      await reaper.idle();
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const machine = runtime.engine.machines().find((m) => m.name === stuck);
    const why = JSON.stringify({ machine, proposals: reaper.proposals() });
    expect(machine?.disks.source, why).toBe(PROM);
    expect(Math.max(...(machine?.disks.value ?? []).map((d) => d.usedPct))).toBeGreaterThanOrEqual(
      95,
    );
    // nothing read its containers; GitLab is no witness of an empty machine
    expect(machine?.jobs.value).toBeNull();
    expect(machine?.seenBy).not.toContain('ssh:probe');

    const proposal = proposalOf(stuck);
    expect(proposal?.rule, why).toBe('disk');
    expect(proposal?.action).toBe('hcloud-delete');
    expect(proposal?.evidence.runningContainers).toBeNull();
    expect(proposal?.blocked).toContain(REASON);
    // Nothing in the fleet is free to be deleted: every VM's containers are unknown.
    expect(
      reaper.proposals().filter((p) => p.blocked.length === 0 && p.action !== 'cleanup'),
    ).toEqual([]);
    expect(deletes()).toBe(0);

    // A person's confirmation is refused too, for the same reason, and audited.
    const result = await reaper.confirm(proposal?.id ?? '', 'alice@ws1');
    expect(result.outcome).toBe('refused');
    expect(result.reasons).toContain(REASON);
    expect(deletes()).toBe(0);
    expect(fleet.hcloud.list('default').some((s) => s.name === stuck)).toBe(true);
    const { records } = await readAudit({ dir: settings.stateDir, filter: { machine: stuck } });
    expect(records.map((r) => r.type)).toContain('proposal');
    expect(records.find((r) => r.type === 'refusal')?.reasons).toContain(REASON);

    // No SSH command ran on any VM: the probe left the fleet alone.
    expect(fleet.ssh.execs.slice(execsBefore)).toEqual([]);
    const probe = runtime.engine.snapshot().sources.find((s) => s.id === 'ssh:probe');
    expect(probe?.lastError ?? null).toBeNull();
    expect(probe?.warnings ?? []).toEqual([]);
  }, 90_000);
});
