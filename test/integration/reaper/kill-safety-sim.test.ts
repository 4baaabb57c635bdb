import { appendFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Settings, type SettingsInput } from '../../../shared/settings';
import type { Proposal } from '../../../shared/proposal';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import type { Runtime } from '../../../electron/core/runtime';
import { ManualClock } from '../../sim/clock';
import { SIM_FLEET_ID, startSimulatedFleet, type SimulatedFleet } from '../../sim/fleet';
import { startSimReaper } from '../../support/sim-reaper';
import { simSecrets } from '../../support/sim-secrets';

// Kill safety on the simulated fleet (issue 9): real Hetzner, GitLab and SSH collectors
// against the simulators and real sshd hosts. The project also holds the runner manager
// (at 70 % disk, running gitlab-runner) and a backup server; a new user who configures
// the project without a selector must not be able to delete either, nor any VM.

let clock: ManualClock;
let fleet: SimulatedFleet;
let runtime: Runtime | null = null;
let reaper: Reaper | null = null;
let settings: Settings;

const MANAGER = 'runner-manager-1';

beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
  fleet = await startSimulatedFleet({
    clock,
    vms: 4,
    seed: 7,
    stuck: 1,
    deleteDelayMs: 0,
    scenario: { managerDiskPct: 70 },
  });
  // The probe files a provider-listed machine's host key under its name (HostKeyAlias).
  const knownHosts = fleet.settings.fleets?.[0]?.ssh?.knownHostsFile;
  if (!knownHosts) throw new Error('the simulated fleet has no known_hosts');
  appendFileSync(knownHosts, fleet.ssh.knownHostsLineAs(MANAGER, fleet.manager.address) + '\n');
});
afterEach(async () => {
  await close();
});
afterAll(async () => {
  await close();
  await fleet?.dispose();
  clock?.dispose();
});

async function close(): Promise<void> {
  await reaper?.dispose();
  await runtime?.dispose();
  reaper = null;
  runtime = null;
}

/** The fleet's settings as a new user writes them: the Hetzner project without any filter. */
function newUser(): SettingsInput {
  const input = structuredClone(fleet.settings);
  for (const h of input.hetzner ?? []) {
    delete h.labelSelector;
    delete h.namePrefix;
  }
  return input;
}

/** The naming `import-toml` records from config.toml (runner-<token8>-<MachineName>). */
function namePrefix(): string {
  const prefix = fleet.settings.hetzner?.[0]?.namePrefix;
  if (!prefix) throw new Error('the simulated fleet has no name prefix');
  return prefix;
}

function withNaming(input: SettingsInput): SettingsInput {
  const [first, ...rest] = input.fleets ?? [];
  if (!first) throw new Error('no fleet');
  return {
    ...input,
    fleets: [{ ...first, autoscaler: { namePrefixes: [namePrefix()] } }, ...rest],
  };
}

function withReaper(input: SettingsInput, reaperSettings: Record<string, unknown>): SettingsInput {
  const [first, ...rest] = input.fleets ?? [];
  if (!first) throw new Error('no fleet');
  return {
    ...input,
    fleets: [{ ...first, reaper: { ...first.reaper, ...reaperSettings } }, ...rest],
  };
}

async function open(input: SettingsInput): Promise<void> {
  await close();
  settings = Settings.parse(input);
  const env = fleet.env;
  const secrets = simSecrets(env);
  ({ runtime, reaper } = await startSimReaper({ settings, secrets, now: () => clock.now() }));
}

async function cycles(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.tick(10_000);
    await fleet.settled();
    await runtime?.engine.runOnce();
    await reaper?.idle();
  }
}

const stuckVm = () => {
  const vm = fleet.world.vms().find((v) => v.stuck);
  if (!vm) throw new Error('no stuck VM');
  return vm;
};
const proposalOf = (name: string): Proposal | undefined =>
  reaper?.proposals().find((p) => p.machineName === name && p.fleet === SIM_FLEET_ID);
const serverOf = (name: string) => fleet.hcloud.list('default').find((s) => s.name === name);
const deletes = () => fleet.hcloud.requests.filter((r) => r.method === 'DELETE').length;
const describeAll = () =>
  JSON.stringify(reaper?.proposals().map((p) => [p.machineName, p.rule, p.action, p.blocked]));

describe('kill safety on the simulated fleet', () => {
  it('a new user without any selector: nothing can be deleted; the stuck VM and the runner manager at 70 % say why', async () => {
    await open(newUser());
    await cycles(3);
    const stuck = proposalOf(stuckVm().name);
    expect(stuck?.rule, describeAll()).toBe('disk');
    expect(stuck?.blocked.join('\n')).toMatch(/no selector identifies autoscaled VMs/);
    const manager = proposalOf(MANAGER);
    expect(manager?.evidence.diskPct, describeAll()).toBe(70);
    expect(manager?.action).toBe('hcloud-delete');
    const why = manager?.blocked.join('\n') ?? '';
    expect(why).toMatch(/runner manager \(manager of GitLab runner #\d+.* on 127\.0\.0\.2\)/);
    // The probe saw the runner process too (pgrep over real sshd).
    expect(
      runtime?.engine.machines().find((m) => m.name === MANAGER && m.fleet === SIM_FLEET_ID)
        ?.runsGitlabRunner,
    ).toBe(true);
    // No open deletion anywhere in the fleet.
    expect(
      reaper?.proposals().filter((p) => p.blocked.length === 0 && p.action !== 'cleanup'),
    ).toEqual([]);
    const before = deletes();
    const result = await reaper?.confirm(stuck?.id ?? '', 'alice@ws1');
    expect(result?.outcome).toBe('refused');
    expect(deletes()).toBe(before);
    expect(serverOf(stuckVm().name)).toBeDefined();
  });

  it('a dedicated host (sshHosts) that Hetzner lists without selector gets a cleanup, never a deletion', async () => {
    const input = newUser();
    input.sshHosts = [{ alias: MANAGER, fleet: SIM_FLEET_ID, host: fleet.manager.address }];
    await open(input);
    await cycles(3);
    const manager = proposalOf(MANAGER);
    expect(manager?.action, describeAll()).toBe('cleanup');
    expect(manager?.summary).toMatch(/^Clean up runner-manager-1 \(disk 70 %/);
    expect(
      reaper?.proposals().filter((p) => p.machineName === MANAGER && p.action !== 'cleanup'),
    ).toEqual([]);
  });

  it('with the autoscaler naming from config.toml the stuck VM may go, the manager still not; delete protection blocks and refuses', async () => {
    await open(withNaming(newUser()));
    await cycles(3);
    const name = stuckVm().name;
    expect(proposalOf(name)?.blocked, describeAll()).toEqual([]);
    expect(proposalOf(MANAGER)?.blocked.join('\n')).toMatch(/runner manager/);
    expect(proposalOf('db-backup-1')).toBeUndefined();

    const id = serverOf(name)?.id ?? -1;
    fleet.hcloud.setDeleteProtection(id, true);
    await cycles(1);
    expect(proposalOf(name)?.blocked.join('\n')).toMatch(/Hetzner delete protection is on/);

    fleet.hcloud.setDeleteProtection(id, false);
    await cycles(1);
    const open_ = proposalOf(name);
    expect(open_?.blocked).toEqual([]);
    // Someone protects the server between the dialog and the click: the re-check sees it.
    fleet.hcloud.setDeleteProtection(id, true);
    const before = deletes();
    const result = await reaper?.confirm(open_?.id ?? '', 'alice@ws1');
    expect(result?.outcome).toBe('refused');
    expect(result?.reasons.join('\n')).toMatch(/delete protection is on/);
    expect(deletes()).toBe(before);
    fleet.hcloud.setDeleteProtection(id, false);
  });

  it('a server replaced under the same name between proposal and kill is not deleted', async () => {
    await open(withNaming(newUser()));
    await cycles(3);
    const name = stuckVm().name;
    const proposal = proposalOf(name);
    expect(proposal?.blocked, describeAll()).toEqual([]);
    const old = serverOf(name);
    if (!old) throw new Error('no server');
    expect(proposal?.providerId).toBe(String(old.id));
    fleet.hcloud.removeServer(old.id);
    const replacement = fleet.hcloud.addServer('default', {
      name,
      publicIp: old.publicIp,
      privateIps: old.privateIps,
      labels: old.labels,
      serverType: old.serverType,
      createdMs: clock.now(),
    });
    const before = deletes();
    const result = await reaper?.confirm(proposal?.id ?? '', 'alice@ws1');
    expect(result?.outcome, JSON.stringify(result)).toBe('refused');
    expect(result?.reasons.join('\n')).toMatch(
      new RegExp(`server replaced under the same name: id ${old.id} → ${replacement.id}`),
    );
    expect(deletes()).toBe(before);
    expect(serverOf(name)?.id).toBe(replacement.id);
    // The replacement starts over: its own samples, its own proposal.
    await cycles(1);
    expect(proposalOf(name)).toBeUndefined();
    await cycles(2);
    expect(proposalOf(name)?.providerId).toBe(String(replacement.id));
    expect(proposalOf(name)?.id).not.toBe(proposal?.id);
  });

  it('a job handed to a runner but not linked to a machine yet blocks every VM, naming the job, until the trace names its VM', async () => {
    await open(withNaming(newUser()));
    await cycles(3);
    const name = stuckVm().name;
    expect(proposalOf(name)?.blocked, describeAll()).toEqual([]);
    const gitlab = fleet.gitlab;
    if (!gitlab) throw new Error('no GitLab simulator');
    const state = gitlab.sim.state;
    const template = state.runners[0];
    if (!template) throw new Error('no runner');
    state.runners.push({
      ...template,
      id: 9001,
      description: 'second manager',
      contactedAt: clock.now(),
      managers: [],
    });
    const job = {
      id: 990_001,
      runnerId: 9001,
      systemId: null,
      projectId: 1,
      projectPath: 'group/app',
      pipelineId: 77,
      name: 'build',
      stage: 'build',
      ref: 'main',
      status: 'running' as const,
      createdAt: clock.now(),
      startedAt: clock.now(),
      finishedAt: null,
      username: 'dev',
      machine: null as string | null,
      executor: 'docker+machine' as const,
      // Image pulls come before `Running on … via <machine>`: no trace yet.
      trace: null as string | null | undefined,
    };
    state.jobs.push(job);
    await cycles(1);
    expect(proposalOf(name)?.blocked.join('\n'), describeAll()).toMatch(
      /GitLab job state unknown \(running job #990001 \(runner #9001\) not linked to a machine yet\)/,
    );
    expect(reaper?.proposals().filter((p) => p.blocked.length === 0)).toEqual([]);
    const result = await reaper?.confirm(proposalOf(name)?.id ?? '', 'alice@ws1');
    expect(result?.outcome).toBe('refused');

    // The trace reaches the prepare step: the job runs on the stuck VM.
    job.machine = name;
    job.trace = undefined;
    await cycles(1);
    expect(proposalOf(name)?.blocked.join('\n')).toMatch(/non-expendable job #990001/);

    state.jobs.splice(state.jobs.indexOf(job), 1);
    state.runners.splice(
      state.runners.findIndex((r) => r.id === 9001),
      1,
    );
    await cycles(3);
    expect(proposalOf(name)?.blocked, describeAll()).toEqual([]);
  });

  it("idle since comes from GitLab's record of the last job that ran on each VM", async () => {
    await open(withNaming(newUser()));
    const gitlab = fleet.gitlab;
    if (!gitlab) throw new Error('no GitLab simulator');
    // Until some VM alive now has finished a job (jobs take a few scenario minutes).
    const finishedOnLiveVm = () =>
      gitlab.sim.state.jobs.some(
        (j) =>
          j.finishedAt !== null &&
          fleet.world.vms().some((v) => v.name === j.machine && v.state === 'running'),
      );
    await cycles(3);
    for (let i = 0; i < 120 && !finishedOnLiveVm(); i++) await cycles(1);
    await cycles(3);
    const machines = runtime?.engine.machines().filter((m) => m.fleet === SIM_FLEET_ID) ?? [];
    const vms = machines.filter((m) => m.name.startsWith(namePrefix()));
    expect(vms.length).toBeGreaterThan(0);
    let withJob = 0;
    for (const vm of vms) {
      const evidence = vm.idleEvidence;
      expect(evidence?.gitlabSince, vm.name).not.toBeNull();
      const since = evidence?.gitlabSince ?? 0;
      const finished = gitlab.sim.state.jobs
        .filter((j) => j.machine === vm.name && j.finishedAt !== null && j.finishedAt >= since)
        .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
      const last = finished[0];
      expect(evidence?.lastJob ?? null, vm.name).toEqual(
        last ? { jobId: last.id, finishedAt: last.finishedAt } : null,
      );
      if (last) withJob += 1;
      // The probe reads the stops of the job containers each VM still lists (issue 9.7).
      expect(vm.containerExits?.value, `${vm.name}: ${vm.containerExits?.error}`).not.toBeNull();
      expect(vm.containerExits?.value?.lastExitAt ?? 0).toBeLessThanOrEqual(clock.now());
    }
    expect(withJob).toBeGreaterThan(0);
  });

  it('unreachable for K minutes: never deleted automatically, a person deletes it only with the acknowledgement', async () => {
    await open(withReaper(withNaming(newUser()), { unreachableMinutes: 0.5, mode: 'auto' }));
    await cycles(1);
    const vm = stuckVm();
    await fleet.settled();
    if (!fleet.ssh.addresses().includes(vm.address))
      throw new Error(`${vm.name} has no SSH host: ${fleet.ssh.addresses().join(', ')}`);
    await fleet.ssh.setFault(vm.address, 'refuse');
    await cycles(6);
    const proposal = proposalOf(vm.name);
    expect(proposal?.rule, describeAll()).toBe('unreachable');
    expect(proposal?.acknowledge).toBe('unknown-job-state');
    expect(proposal?.blocked).toEqual([]);
    // Auto mode left it alone.
    expect(serverOf(vm.name)).toBeDefined();
    const refused = await reaper?.confirm(proposal?.id ?? '', 'alice@ws1');
    expect(refused?.outcome).toBe('refused');
    expect(refused?.reasons.join()).toMatch(/job state on the machine is unknown/);
    expect(serverOf(vm.name)).toBeDefined();
    const done = await reaper?.confirm(proposal?.id ?? '', 'alice@ws1', {
      acknowledgeUnknownJobState: true,
    });
    expect(done?.outcome, JSON.stringify(done)).toBe('ok');
    expect(serverOf(vm.name)).toBeUndefined();
  });
});
