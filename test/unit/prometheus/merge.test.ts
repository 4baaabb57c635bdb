import { describe, expect, it } from 'vitest';
import { FleetModel } from '../../../electron/core/fleet/model';
import { History } from '../../../electron/core/reaper/history';
import { evaluate } from '../../../electron/core/reaper/policy';
import type { MachineIdentity, MachineObservation } from '../../../electron/core/sources/source';
import type { RunningJob } from '../../../shared/machine';
import { FleetSettings } from '../../../shared/settings';
import { disk } from '../../support/machines';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const identity: MachineIdentity = {
  kind: 'autoscaled',
  provider: 'hetzner',
  providerId: '42',
  serverType: 'cx22',
  createdAt: T0 - 3_600_000,
  labels: {},
  addresses: ['127.0.1.5'],
  providerStatus: 'running',
  state: 'running',
  deleteProtected: false,
};
const load = {
  load1: 0.1,
  load5: 0.1,
  load15: 0.1,
  cpus: 2,
  memTotalBytes: 4e9,
  memAvailableBytes: 3e9,
};

function model(): FleetModel {
  const m = new FleetModel();
  m.registerSource('hetzner:p', 30_000);
  m.registerSource('ssh:probe', 30_000);
  m.registerSource('prometheus:lab', 30_000);
  m.registerSource('gitlab:gl', 30_000);
  return m;
}
const inventory = (m: FleetModel, at: number) =>
  m.apply(
    'hetzner:p',
    { machines: [{ fleet: 'ci', name: 'vm-1', identity }], inventoryOf: ['ci'] },
    at,
  );
const prom = (m: FleetModel, pct: number, scrapedAt: number, at: number) =>
  m.apply(
    'prometheus:lab',
    {
      machines: [
        { fleet: 'ci', name: 'vm-1', disks: [disk('/', pct)], load, observedAt: scrapedAt },
      ],
    },
    at,
  );
const ssh = (m: FleetModel, obs: Partial<MachineObservation>, at: number) =>
  m.apply('ssh:probe', { machines: [{ fleet: 'ci', name: 'vm-1', ...obs }] }, at);
const gitlabNoJobs = (m: FleetModel, at: number) =>
  m.apply('gitlab:gl', { machines: [], jobsByMachine: new Map<string, RunningJob[]>() }, at);

describe('SSH and Prometheus readings of one machine', () => {
  it('shows the fresher reading and keeps both for the details', () => {
    const m = model();
    inventory(m, T0);
    ssh(m, { disks: [disk('/', 40)], jobs: [], load }, T0 + 1_000);
    prom(m, 45, T0 + 5_000, T0 + 6_000);
    let vm = m.machines(T0 + 6_000)[0]!;
    expect(vm.disks.value?.[0]?.usedPct).toBe(45);
    expect(vm.disks.source).toBe('prometheus:lab');
    // Prometheus' scrape time, not when the source's cycle ended
    expect(vm.disks.observedAt).toBe(T0 + 5_000);
    expect(vm.readings?.map((r) => [r.source, r.disks?.value?.[0]?.usedPct])).toEqual([
      ['prometheus:lab', 45],
      ['ssh:probe', 40],
    ]);

    ssh(m, { disks: [disk('/', 41)], jobs: [], load }, T0 + 10_000);
    vm = m.machines(T0 + 10_000)[0]!;
    expect(vm.disks.source).toBe('ssh:probe');
    expect(vm.disks.value?.[0]?.usedPct).toBe(41);
    expect(vm.load.source).toBe('ssh:probe');
  });

  it('an older scrape does not replace a newer SSH reading, whenever it arrives', () => {
    const m = model();
    inventory(m, T0);
    ssh(m, { disks: [disk('/', 40)], jobs: [], load }, T0 + 10_000);
    prom(m, 70, T0 + 2_000, T0 + 11_000);
    const vm = m.machines(T0 + 11_000)[0]!;
    expect(vm.disks.source).toBe('ssh:probe');
    expect(vm.disks.value?.[0]?.usedPct).toBe(40);
  });

  it('a failed SSH read does not hide a fresh Prometheus value; the error stays on its reading', () => {
    const m = model();
    inventory(m, T0);
    prom(m, 50, T0 + 1_000, T0 + 1_000);
    ssh(m, { disks: null, jobs: null, load: null, error: 'connect ECONNREFUSED' }, T0 + 2_000);
    const vm = m.machines(T0 + 2_000)[0]!;
    expect(vm.disks.value?.[0]?.usedPct).toBe(50);
    expect(vm.disks.source).toBe('prometheus:lab');
    expect(vm.readings?.find((r) => r.source === 'ssh:probe')?.disks).toMatchObject({
      value: null,
      error: 'connect ECONNREFUSED',
    });
    // jobs are unknown: Prometheus never fills them
    expect(vm.jobs.value).toBeNull();
  });

  it('a source failure marks its reading with the error', () => {
    const m = model();
    inventory(m, T0);
    prom(m, 50, T0, T0);
    m.fail('prometheus:lab', 'Prometheus lab: cannot reach http://127.0.0.1:1 (ECONNREFUSED)');
    const vm = m.machines(T0 + 1_000)[0]!;
    expect(vm.readings?.[0]?.disks?.error).toMatch(/ECONNREFUSED/);
    expect(vm.disks.error).toMatch(/ECONNREFUSED/);
  });
});

describe('Prometheus alone never makes a machine idle', () => {
  const fleet = FleetSettings.parse({
    id: 'ci',
    reaper: { mode: 'auto', minFleetSize: 0, selector: { namePrefix: 'vm-' } },
  });

  function cycles(withSshJobs: boolean) {
    const m = model();
    const history = new History();
    let now = T0;
    for (let i = 0; i < 6; i += 1) {
      now = T0 + i * 30_000;
      inventory(m, now);
      // a second VM of the fleet, so removing vm-1 keeps one running
      m.apply('hetzner:p', { machines: [{ fleet: 'ci', name: 'vm-2', identity }] }, now);
      gitlabNoJobs(m, now);
      prom(m, 95, now - 500, now);
      if (withSshJobs) ssh(m, { jobs: [], runsGitlabRunner: false }, now);
      history.ingest(m.machines(now), [fleet]);
    }
    return evaluate({
      machines: m.machines(now),
      history,
      fleets: [fleet],
      killsInLastHour: new Map(),
      now,
    });
  }

  it('full disk from Prometheus, GitLab says no jobs, but nothing read the machine itself: no kill', () => {
    const proposals = cycles(false);
    const executable = proposals.filter((p) => p.blocked.length === 0);
    expect(executable).toEqual([]);
  });

  it('the same disk with the machine read over SSH (no job containers) is proposed', () => {
    const proposals = cycles(true);
    expect(proposals.filter((p) => p.blocked.length === 0).map((p) => p.machineName)).toEqual([
      'vm-1',
    ]);
  });
});
