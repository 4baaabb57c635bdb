import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/core/engine';
import { createDockerMachineSource } from '../../../electron/core/sources/docker-machine/source';
import { createHcloudSource } from '../../../electron/core/sources/hcloud/source';
import { SshPool } from '../../../electron/core/sources/ssh/pool';
import { createProbeSource } from '../../../electron/core/sources/ssh/probe-source';
import { Settings } from '../../../shared/settings';
import { HcloudSim } from '../../sim/hcloud-sim';
import { SHIMS_DIR, writeHostState, type HostState, type SimMachine } from '../../sim/host-state';
import { sshdSkipReason, startSshdCluster, type SshdCluster } from '../../support/sshd';

const skip = sshdSkipReason();
if (skip) console.warn(`skipping real-sshd docker-machine tests: ${skip}`);

const GiB = 1024 * 1024;
function hostState(name: string, dockerUsedGiB: number, machines?: SimMachine[]): HostState {
  return {
    hostname: name,
    now: Math.floor(Date.now() / 1000),
    mounts: [
      {
        device: '/dev/sda1',
        fstype: 'ext4',
        mount: '/',
        sizeKiB: 40 * GiB,
        usedKiB: 8 * GiB,
        availKiB: 30 * GiB,
        inodes: null,
      },
      {
        device: '/dev/sdb',
        fstype: 'ext4',
        mount: '/var/lib/docker',
        sizeKiB: 100 * GiB,
        usedKiB: dockerUsedGiB * GiB,
        availKiB: (100 - dockerUsedGiB) * GiB,
        inodes: null,
      },
    ],
    ...(machines ? { machines } : {}),
  };
}

let vmKnownHosts = '';

describe.skipIf(skip !== null)('docker-machine source + Hetzner + probe against real sshd', () => {
  let cluster: SshdCluster;
  let sim: HcloudSim;
  let engine: Engine;
  let pool: SshPool;
  const vm = (i: number) => `runner-x1y2z3w4-auto-scale-170000000${i}-1a2b3c4${i}`;

  beforeAll(async () => {
    cluster = await startSshdCluster({
      addresses: ['127.0.2.31', '127.0.2.32', '127.0.2.33'],
      shimDir: SHIMS_DIR,
    });
    const [manager, vm1, vm2] = cluster.hosts as [
      (typeof cluster.hosts)[0],
      (typeof cluster.hosts)[0],
      (typeof cluster.hosts)[0],
    ];
    writeHostState(
      manager.stateDir,
      hostState('manager', 5, [
        { name: vm(1), state: 'Running', url: `tcp://${vm1.address}:2376` },
        { name: vm(2), state: 'Running', url: `tcp://${vm2.address}:2376` },
        { name: vm(3), state: 'Stopped', url: '' },
      ]),
    );
    writeHostState(vm1.stateDir, hostState(vm(1), 61));
    writeHostState(vm2.stateDir, hostState(vm(2), 12));
    sim = await HcloudSim.start({ projects: [{ name: 'prod' }] });
    sim.addServer('prod', {
      name: vm(1),
      labels: { 'ci-runner': 'x1y2z3w4' },
      publicIp: vm1.address,
      serverType: 'cx32',
    });
    sim.addServer('prod', {
      name: vm(2),
      labels: { 'ci-runner': 'x1y2z3w4' },
      publicIp: vm2.address,
    });
    vmKnownHosts = join(cluster.dir, 'known_hosts_vms');
    const ssh = cluster.access({ connectTimeoutSec: 5, commandTimeoutSec: 10 });
    const settings = Settings.parse({
      fleets: [
        // Autoscaled VMs: trust on first use, keys filed under the machine name (IPs are recycled).
        { id: 'dm', ssh: { ...ssh, trustOnFirstUse: true, knownHostsFile: vmKnownHosts } },
        { id: 'ops', kind: 'dedicated', ssh },
      ],
      hetzner: [
        {
          id: 'prod',
          fleet: 'dm',
          token: { env: 'HC' },
          apiUrl: sim.url,
          labelSelector: 'ci-runner=x1y2z3w4',
        },
      ],
      sshHosts: [{ alias: 'manager', fleet: 'ops', host: manager.address }],
      dockerMachine: [{ id: 'mgr', fleet: 'dm', manager: 'manager', viaManager: true }],
      probe: { sshConfigFile: null },
    });
    pool = new SshPool({ agentSocket: null });
    engine = new Engine({
      sources: [
        createHcloudSource({
          settings: settings.hetzner[0]!,
          secrets: { resolve: async () => sim.tokensOf('prod').token },
        }),
        createDockerMachineSource({
          settings,
          dm: settings.dockerMachine[0]!,
          secrets: null,
          pool,
        }),
        createProbeSource({ settings, secrets: null, pool }),
      ],
    });
  });
  afterAll(async () => {
    await engine?.dispose();
    await pool?.dispose();
    await sim?.dispose();
    await cluster?.dispose();
  });

  it('merges the three sources into one machine per VM, probed through the manager', async () => {
    const snap = await engine.runOnce();
    expect(snap.sources.map((s) => [s.id, s.state, s.lastError])).toEqual([
      ['hetzner:prod', 'ok', null],
      ['docker-machine:mgr', 'ok', null],
      ['ssh:probe', 'ok', null],
    ]);
    expect(snap.machines.map((m) => m.key)).toEqual([
      `dm/${vm(1)}`,
      `dm/${vm(2)}`,
      `dm/${vm(3)}`,
      'ops/manager',
    ]);
    const m1 = snap.machines[0]!;
    expect(m1.seenBy).toEqual(['docker-machine:mgr', 'hetzner:prod', 'ssh:probe']);
    // Hetzner's richer identity is kept; docker-machine does not erase its id and type.
    expect(m1).toMatchObject({
      provider: 'hetzner',
      serverType: 'cx32',
      addresses: [cluster.hosts[1]!.address],
      labels: { 'ci-runner': 'x1y2z3w4' },
    });
    expect(m1.providerId).not.toBeNull();
    expect(m1.disks.value?.find((d) => d.mount === '/var/lib/docker')?.usedPct).toBe(61);
    expect(m1.disks.source).toBe('ssh:probe');
    const m3 = snap.machines[2]!;
    expect(m3).toMatchObject({
      provider: 'docker-machine',
      status: { value: 'off' },
      providerStatus: 'Stopped',
      addresses: [],
    });
    expect(m3.disks.value).toBeNull();
    // The VM's probe went through the manager: its sshd opened a forwarded channel to the VM.
    const vmAddress = cluster.hosts[1]!.address.replace(/\./g, '\\.');
    expect(cluster.hosts[0]!.log()).toMatch(
      new RegExp(`channel \\d+: connected to ${vmAddress} port ${cluster.port}`),
    );
  });

  it('keeps one identity when the sources run again (no flip between providers)', async () => {
    for (let i = 0; i < 2; i++) {
      const snap = await engine.runOnce();
      expect(snap.machines[0]).toMatchObject({ provider: 'hetzner', serverType: 'cx32' });
    }
  });

  it('marks a machine gone once the manager no longer lists it and the provider deleted it', async () => {
    const [manager] = cluster.hosts;
    writeHostState(
      manager!.stateDir,
      hostState('manager', 5, [
        { name: vm(1), state: 'Running', url: `tcp://${cluster.hosts[1]!.address}:2376` },
      ]),
    );
    const id = sim.list('prod').find((s) => s.name === vm(2))!.id;
    sim.removeServer(id);
    const snap = await engine.runOnce();
    const byKey = new Map(snap.machines.map((m) => [m.key, m]));
    expect(byKey.get(`dm/${vm(2)}`)?.status.value).toBe('gone');
    expect(byKey.get(`dm/${vm(3)}`)?.status.value).toBe('gone');
    expect(byKey.get(`dm/${vm(1)}`)?.status.value).toBe('running');
  });

  it('fails the source on a garbled listing instead of marking machines gone', async () => {
    const [manager] = cluster.hosts;
    manager!.override('docker-machine', 'echo "garbage without tabs"');
    try {
      const snap = await engine.runOnce();
      expect(snap.sources.find((s) => s.id === 'docker-machine:mgr')).toMatchObject({
        state: 'failing',
        lastError: {
          code: 'bad_response',
          message: expect.stringContaining('expected name, state and URL'),
        },
      });
      expect(snap.machines.find((m) => m.key === `dm/${vm(1)}`)?.status.value).toBe('running');
    } finally {
      manager!.clearOverrides();
    }
  });
});
