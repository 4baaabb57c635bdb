import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSnapshot } from '../../../shared/fleet';
import type { Proposal } from '../../../shared/proposal';
import { Settings } from '../../../shared/settings';
import { readAudit } from '../../../electron/core/audit/audit-log';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';
import { formatSnapshotText } from '../../../electron/cli/snapshot-text';
import { ManualClock } from '../../sim/clock';
import { startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { simSecrets } from '../../support/sim-secrets';

// Issue 15.2 on the simulated fleet: 17 VMs the runner manager lists and 3 orphans among
// 20 servers, through the real collectors (Hetzner, docker-machine ls on the manager over
// SSH, the SSH probe, GitLab). One orphan runs a job container: never proposed. The other
// two are proposed with their cost; a manager listing that fails makes them unproven; an
// orphan the manager adopts between proposal and confirmation is refused at the re-check.
let clock: ManualClock;
let fleet: SimulatedFleet;
let runtime: Runtime;
let settings: Settings;
let orphans: string[];
let withJob: string;

const api = () => runtime.api;

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
  fleet = await startSimulatedFleet({
    clock,
    vms: 17,
    orphans: 3,
    stuck: 0,
    seed: 15,
    deleteDelayMs: 0,
    dockerMachine: 'direct',
  });
  orphans = fleet.world
    .vms()
    .filter((vm) => vm.orphan)
    .map((vm) => vm.name);
  withJob = orphans[0]!;
  fleet.world.startOrphanJob(withJob);
  const env = fleet.env;
  const secrets = simSecrets(env);
  settings = Settings.parse({
    ...fleet.settings,
    // Other VMs' disks must not make this a disk-rule test (orphans themselves stay 25–50 %).
    fleets: fleet.settings.fleets?.map((f) => ({ ...f, reaper: { diskThresholdPct: 95 } })),
  });
  runtime = await createRuntime({
    settings,
    secrets,
    host: 'serve',
    actions: true,
    demo: true,
    version: 'test',
    now: () => clock.now(),
  });
}, 120_000);

afterAll(async () => {
  await runtime?.dispose();
  await fleet?.dispose();
  clock?.dispose();
});

async function cycle(): Promise<FleetSnapshot> {
  clock.tick(10_000);
  await fleet.settled();
  return runtime.engine.runOnce();
}

/** Cycles until `done` holds (GitLab links finished jobs over a few cycles), at most `max`. */
async function until(done: (s: FleetSnapshot) => boolean, max = 12): Promise<FleetSnapshot> {
  let snapshot = await cycle();
  for (let i = 1; i < max && !done(snapshot); i++) snapshot = await cycle();
  return snapshot;
}

async function proposals(): Promise<Proposal[]> {
  return api()['rw:reaper:proposals']({});
}

describe('orphans on the simulated fleet', () => {
  it('finds the two idle orphans among 20 servers, never the one with a job container', async () => {
    expect(fleet.world.vms()).toHaveLength(20);
    const snapshot = await until(
      (s) => s.machines.filter((m) => m.orphan?.state === 'orphan').length >= 2,
    );
    const errors = snapshot.sources
      .filter((s) => s.lastError !== null)
      .map((s) => `${s.id}: ${s.lastError?.message}`);
    expect(errors).toEqual([]);
    const found = snapshot.machines.filter((m) => m.orphan?.state === 'orphan').map((m) => m.name);
    expect(found.sort()).toEqual(orphans.slice(1).sort());
    // The one with a job container is accounted for: no orphan status at all.
    const busy = snapshot.machines.find((m) => m.name === withJob);
    expect(busy?.jobs.value?.length).toBe(1);
    expect(busy).not.toHaveProperty('orphan');
    // Every VM the manager lists is no orphan.
    const listed = snapshot.machines.filter((m) =>
      m.listedBy?.includes('docker-machine:sim-docker-machine'),
    );
    expect(listed.length).toBeGreaterThanOrEqual(17);
    for (const m of listed) expect(m).not.toHaveProperty('orphan');

    // Priced from Hetzner's /server_types: cost since created at the type's hourly price.
    await runtime.refreshPrices();
    const priced = await cycle();
    for (const name of orphans.slice(1)) {
      const m = priced.machines.find((x) => x.name === name)!;
      expect(m.orphan?.perHour, JSON.stringify(m.orphan)).toBeGreaterThan(0);
      const hours = (priced.generatedAt - (m.createdAt ?? 0)) / 3_600_000;
      expect(m.orphan?.costSoFar).toBeCloseTo((m.orphan?.perHour ?? 0) * hours, 6);
      expect(m.orphan?.currency).toBe('EUR');
    }
    // The CLI table says so too.
    const text = formatSnapshotText(priced).join('\n');
    for (const name of orphans.slice(1)) expect(text).toMatch(new RegExp(`${name}.*orphan`));

    const open = (await proposals()).filter((p) => p.rule === 'orphan');
    expect(open.map((p) => p.machineName).sort()).toEqual(orphans.slice(1).sort());
    for (const p of open) {
      expect(p.blocked).toEqual([]);
      expect(p.action).toBe('hcloud-delete');
      expect(p.mode).toBe('notify');
      expect(p.summary).toMatch(
        /^Delete orphan .*not listed by docker-machine on runner-manager-1/,
      );
    }
    expect((await proposals()).some((p) => p.machineName === withJob)).toBe(false);
  });

  it('calls nothing an orphan while the manager listing fails', async () => {
    // The manager refuses SSH: its docker-machine ls cannot be read.
    await fleet.ssh.setFault(fleet.manager.address, 'refuse');
    const snapshot = await cycle();
    const dm = snapshot.sources.find((s) => s.id === 'docker-machine:sim-docker-machine');
    expect(dm?.lastError, 'the manager listing must fail').not.toBeNull();
    expect(snapshot.machines.filter((m) => m.orphan?.state === 'orphan')).toEqual([]);
    const p = (await proposals()).filter((x) => x.rule === 'orphan');
    expect(p.length).toBeGreaterThan(0);
    for (const x of p)
      expect(x.blocked.join('; ')).toMatch(
        /not proven an orphan: docker-machine on runner-manager-1: last listing failed/,
      );
    await fleet.ssh.setFault(fleet.manager.address, null);
    await until((s) => s.machines.filter((m) => m.orphan?.state === 'orphan').length >= 2);
  });

  it('refuses at the re-check an orphan the manager adopted after the proposal', async () => {
    const [adopted, kept] = orphans.slice(1);
    const before = (await proposals()).find((p) => p.machineName === adopted);
    expect(before?.blocked).toEqual([]);
    fleet.world.adoptOrphan(adopted!);
    const refused = await api()['rw:reaper:confirm']({ proposalId: before!.id });
    expect(refused.outcome).toBe('refused');
    expect(refused.reasons.join('; ')).toMatch(
      /orphan rule no longer fires: listed by docker-machine on runner-manager-1/,
    );
    expect(fleet.hcloud.list().map((s) => s.name)).toContain(adopted);
    // Listed again, it is no orphan: its proposal is withdrawn, and the audit says why.
    await cycle();
    await expect
      .poll(async () => {
        const { records } = await readAudit({
          dir: settings.stateDir,
          filter: { machine: adopted! },
        });
        return records.find((r) => r.type === 'withdrawn')?.detail ?? null;
      })
      .toMatch(/proposal withdrawn: it is no orphan any more \(a runner manager lists it/);
    expect((await proposals()).some((p) => p.machineName === adopted)).toBe(false);

    // The one nobody adopted is deleted on confirmation, after a fresh manager list.
    const target = (await proposals()).find((p) => p.machineName === kept);
    const done = await api()['rw:reaper:confirm']({ proposalId: target!.id });
    expect(done, JSON.stringify(done)).toMatchObject({ outcome: 'ok' });
    expect(fleet.hcloud.list().map((s) => s.name)).not.toContain(kept);
    const { records } = await readAudit({ dir: settings.stateDir, filter: { machine: kept! } });
    expect(records.map((r) => r.type).reverse()).toEqual([
      'proposal',
      'confirm',
      'action-start',
      'result',
    ]);
    // Recorded when first seen (maybe still unproven while GitLab linked its jobs); the
    // deletion started on the re-check's fresh, proven evidence.
    expect(records.find((r) => r.type === 'proposal')?.evidence?.orphan).toBeDefined();
    expect(records.find((r) => r.type === 'action-start')?.evidence?.orphan?.state).toBe('orphan');
  });

  it('calls nothing an orphan when docker-machine ls answers from an empty machine store', async () => {
    // Wrong user or MACHINE_STORAGE_PATH: exit 0, no machines, every VM still running.
    fleet.world.loseMachineStore();
    const snapshot = await until(
      (s) => !s.machines.some((m) => m.listedBy?.includes('docker-machine:sim-docker-machine')),
    );
    const dm = snapshot.sources.find((s) => s.id === 'docker-machine:sim-docker-machine');
    expect(dm?.lastError ?? null).toBeNull();
    const unlisted = snapshot.machines.filter((m) => m.orphan !== undefined);
    // The busy ones are accounted for by their job containers; the rest read unlisted.
    expect(unlisted.length).toBeGreaterThanOrEqual(10);
    expect(snapshot.machines.filter((m) => m.orphan?.state === 'orphan')).toEqual([]);
    for (const m of unlisted)
      expect(m.orphan?.unknown.join('; '), m.name).toMatch(
        /docker-machine on runner-manager-1: (lists no machine at all|its list is incomplete)/,
      );
    const open = (await proposals()).filter(
      (p) => p.action !== 'cleanup' && p.blocked.length === 0,
    );
    expect(open).toEqual([]);
    fleet.world.loseMachineStore(false);
  });
});
