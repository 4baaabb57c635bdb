import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/core/engine';
import { createHcloudSource } from '../../../electron/core/sources/hcloud/source';
import { createProbeSource } from '../../../electron/core/sources/ssh/probe-source';
import type { Machine } from '../../../shared/machine';
import { Settings } from '../../../shared/settings';
import { HcloudSim } from '../../sim/hcloud-sim';
import {
  readCalls,
  RUNNER_LABEL,
  SHIMS_DIR,
  writeHostState,
  type HostState,
} from '../../sim/host-state';
import { sshdSkipReason, startSshdCluster, type SshdCluster } from '../../support/sshd';

const skip = sshdSkipReason();
if (skip) console.warn(`skipping real-sshd probe tests: ${skip}`);

const GiB = 1024 * 1024;
function state(
  name: string,
  rootUsedGiB: number,
  dockerUsedGiB: number,
  jobs: number[] = [],
): HostState {
  return {
    hostname: name,
    now: Math.floor(Date.now() / 1000),
    mounts: [
      {
        device: '/dev/sda1',
        fstype: 'ext4',
        mount: '/',
        sizeKiB: 40 * GiB,
        usedKiB: rootUsedGiB * GiB,
        availKiB: (38 - rootUsedGiB) * GiB,
        inodes: { total: 2_600_000, used: 200_000, free: 2_400_000 },
      },
      {
        device: '/dev/sdb',
        fstype: 'xfs',
        mount: '/var/lib/docker',
        sizeKiB: 100 * GiB,
        usedKiB: dockerUsedGiB * GiB,
        availKiB: (100 - dockerUsedGiB) * GiB,
        inodes: null,
      },
    ],
    containers: jobs.map((jobId, i) => ({
      id: jobId.toString(16).padStart(64, '0'),
      name: `runner-x1y2z3w4-project-42-concurrent-${i}-${jobId}-build`,
      image: 'alpine:3.20',
      command: 'sh -c "make test"',
      created: Math.floor(Date.now() / 1000) - 60,
      state: 'running' as const,
      labels: {
        [RUNNER_LABEL.jobId]: String(jobId),
        [RUNNER_LABEL.projectId]: '42',
        [RUNNER_LABEL.pipelineId]: '777',
        [RUNNER_LABEL.type]: 'build',
        [RUNNER_LABEL.jobUrl]: `http://127.0.0.1:1/g/p/-/jobs/${jobId}`,
      },
    })),
  };
}

const byName = (machines: Machine[], name: string): Machine => {
  const m = machines.find((x) => x.name === name);
  if (!m) throw new Error(`no machine ${name} in ${machines.map((x) => x.name).join(', ')}`);
  return m;
};

let vmKnownHosts = '';

describe.skipIf(skip !== null)('probe source against real sshd, merged with Hetzner', () => {
  let cluster: SshdCluster;
  let sim: HcloudSim;
  let engine: Engine;
  let probe: ReturnType<typeof createProbeSource>;
  const serverIds: number[] = [];
  const names = [
    'runner-x1y2z3w4-auto-scale-1',
    'runner-x1y2z3w4-auto-scale-2',
    'runner-x1y2z3w4-auto-scale-3',
  ];

  beforeAll(async () => {
    cluster = await startSshdCluster({
      addresses: ['127.0.2.21', '127.0.2.22', '127.0.2.23', '127.0.2.24'],
      shimDir: SHIMS_DIR,
    });
    sim = await HcloudSim.start({ projects: [{ name: 'prod' }] });
    names.forEach((name, i) => {
      serverIds.push(
        sim.addServer('prod', { name, labels: { role: 'ci' }, publicIp: cluster.hosts[i]!.address })
          .id,
      );
      writeHostState(cluster.hosts[i]!.stateDir, state(name, 10, 20));
    });
    writeHostState(cluster.hosts[3]!.stateDir, state('build-host', 5, 50, [9001]));
    // Generous for a loaded 2-core machine (a probe runs ~10 shim processes); hangs still time out.
    vmKnownHosts = join(cluster.dir, 'known_hosts_vms');
    const ssh = cluster.access({ connectTimeoutSec: 5, commandTimeoutSec: 8 });
    const settings = Settings.parse({
      fleets: [
        // Autoscaled VMs: trust on first use, keys filed under the machine name (IPs are recycled).
        { id: 'ci', ssh: { ...ssh, trustOnFirstUse: true, knownHostsFile: vmKnownHosts } },
        { id: 'ded', kind: 'dedicated', ssh },
      ],
      hetzner: [
        {
          id: 'prod',
          fleet: 'ci',
          token: { env: 'HC' },
          apiUrl: sim.url,
          labelSelector: 'role=ci',
        },
      ],
      sshHosts: [{ alias: 'build-host', fleet: 'ded', host: cluster.hosts[3]!.address }],
      probe: { sshConfigFile: null, concurrency: 4 },
    });
    const hcloud = createHcloudSource({
      settings: settings.hetzner[0]!,
      secrets: { resolve: async () => sim.tokensOf('prod').token },
    });
    probe = createProbeSource({ settings, secrets: null });
    engine = new Engine({ sources: [hcloud, probe] });
  });
  afterAll(async () => {
    await engine?.dispose();
    await sim?.dispose();
    await cluster?.dispose();
  });

  it('merges Hetzner identity and probed disks/jobs into one machine per server', async () => {
    const snap = await engine.runOnce();
    expect(snap.machines.map((m) => m.key)).toEqual(
      [...names.map((n) => `ci/${n}`), 'ded/build-host'].sort(),
    );
    const m = byName(snap.machines, names[0]!);
    expect(m).toMatchObject({
      provider: 'hetzner',
      providerId: String(serverIds[0]),
      addresses: [cluster.hosts[0]!.address],
      seenBy: ['hetzner:prod', 'ssh:probe'],
    });
    expect(m.status).toMatchObject({ value: 'running', source: 'hetzner:prod', stale: false });
    expect(m.disks).toMatchObject({ source: 'ssh:probe', error: null, stale: false });
    expect(m.disks.value?.map((d) => [d.mount, d.usedPct])).toEqual([
      ['/', 27],
      ['/var/lib/docker', 20],
    ]);
    expect(m.jobs.value).toEqual([]);
    expect(m.load.value?.cpus).toBeGreaterThan(0);
    const ded = byName(snap.machines, 'build-host');
    expect(ded).toMatchObject({
      kind: 'dedicated',
      provider: 'ssh',
      addresses: [cluster.hosts[3]!.address],
      status: { value: 'running' },
    });
    expect(ded.jobs.value?.map((j) => [j.jobId, j.projectId, j.pipelineId, j.seenIn])).toEqual([
      [9001, 42, 777, ['machine']],
    ]);
    expect(snap.sources.map((s) => [s.id, s.state])).toEqual([
      ['hetzner:prod', 'ok'],
      ['ssh:probe', 'ok'],
    ]);
    // Each VM's key was recorded under its machine name, not its (recyclable) address.
    const recorded = readFileSync(vmKnownHosts, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[0])
      .sort();
    expect(recorded).toEqual([...names].sort());
  });

  it('sees a disk grow and a job container appear on the next cycle', async () => {
    const before = byName(engine.machines(), names[1]!);
    writeHostState(cluster.hosts[1]!.stateDir, state(names[1]!, 10, 71, [4242, 4243]));
    await new Promise((r) => setTimeout(r, 5));
    const snap = await engine.runOnce();
    const m = byName(snap.machines, names[1]!);
    expect(m.disks.value?.find((d) => d.mount === '/var/lib/docker')?.usedPct).toBe(71);
    expect(m.disks.observedAt).toBeGreaterThan(before.disks.observedAt ?? 0);
    expect(m.jobs.value?.map((j) => j.jobId)).toEqual([4242, 4243]);
    expect(m.jobs.value?.[0]?.containerName).toBe(
      'runner-x1y2z3w4-project-42-concurrent-0-4242-build',
    );
  });

  it('marks a host that drops the connection mid-probe unknown, keeps the others, reconnects after', async () => {
    const host = cluster.hosts[2]!;
    host.override(
      'docker',
      `p=$$
while [ "$p" -gt 1 ]; do
  case "$(cat /proc/$p/comm)" in sshd*) kill -9 "$p"; exit 1 ;; esac
  p=$(cut -d' ' -f4 /proc/$p/stat)
done`,
    );
    try {
      const snap = await engine.runOnce();
      const dropped = byName(snap.machines, names[2]!);
      expect(dropped.disks.value).toBeNull();
      expect(dropped.jobs.value).toBeNull();
      expect(dropped.jobs.error).toMatch(/connection|ended without an exit status/);
      expect(byName(snap.machines, names[0]!).disks.value).not.toBeNull();
      expect(snap.sources.find((s) => s.id === 'ssh:probe')).toMatchObject({
        state: 'degraded',
        warnings: [expect.stringContaining(names[2]!)],
      });
    } finally {
      host.clearOverrides();
    }
    const opened = probe.pool.stats.connectionsOpened;
    const snap = await engine.runOnce();
    expect(byName(snap.machines, names[2]!).jobs.value).toEqual([]);
    expect(probe.pool.stats.connectionsOpened).toBe(opened + 1);
  });

  it('times out a hanging host without stalling the others', async () => {
    const host = cluster.hosts[0]!;
    writeHostState(cluster.hosts[1]!.stateDir, state(names[1]!, 10, 72, [4242]));
    host.override('df', 'while printf " "; do sleep 0.2; done');
    try {
      const snap = await engine.runOnce();
      const hung = byName(snap.machines, names[0]!);
      expect(hung.disks.value).toBeNull();
      expect(hung.disks.error).toMatch(/did not finish within 8000 ms|aborted/);
      const other = byName(snap.machines, names[1]!);
      expect(other.disks.value?.find((d) => d.mount === '/var/lib/docker')?.usedPct).toBe(72);
      expect(byName(snap.machines, 'build-host').disks.value).not.toBeNull();
    } finally {
      host.clearOverrides();
    }
  });

  it('marks a server deleted at the provider gone and stops probing it', async () => {
    sim.removeServer(serverIds[2]!);
    const calls = () => readCallsCount(cluster.hosts[2]!.stateDir);
    const before = calls();
    const snap = await engine.runOnce();
    expect(byName(snap.machines, names[2]!).status.value).toBe('gone');
    expect(calls()).toBe(before);
  });
});

function readCallsCount(dir: string): number {
  return readCalls(dir).calls.length;
}
