import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext } from '../../../electron/core/reaper/actions/action';
import { CleanupAction } from '../../../electron/core/reaper/actions/cleanup';
import { MachineRmAction } from '../../../electron/core/reaper/actions/machine-rm';
import { sshRemoteExec } from '../../../electron/core/reaper/remote-exec';
import { SshPool } from '../../../electron/core/sources/ssh/pool';
import { emptySshConfig } from '../../../electron/core/sources/ssh/ssh-config';
import { resolveTarget } from '../../../electron/core/sources/ssh/target';
import { readCalls, readHostState, SHIMS_DIR, writeHostState } from '../../sim/host-state';
import { sshdSkipReason, startSshdCluster, type SshdCluster } from '../../support/sshd';
import { machine } from '../../unit/reaper/fixtures';

// The reaper's remote actions over a real OpenSSH sshd (the SSH pool of the probe), with
// the simulator's docker and docker-machine shims answering on the host.
const skip = sshdSkipReason();
if (skip) console.warn(`skipping real-sshd reaper action tests: ${skip}`);

describe.skipIf(skip !== null)('reaper actions over real sshd', () => {
  let cluster: SshdCluster;
  let pool: SshPool;
  const NOW = 1_790_000_000;
  const hex = (n: number) => n.toString(16).padStart(64, '0');

  beforeAll(async () => {
    cluster = await startSshdCluster({ addresses: ['127.0.66.1'], shimDir: SHIMS_DIR });
    pool = new SshPool({ agentSocket: null });
  });
  afterAll(async () => {
    await pool?.dispose();
    await cluster?.dispose();
  });

  const exec = () => {
    const host = cluster.hosts[0]!;
    return sshRemoteExec(pool, (alias) =>
      resolveTarget(
        alias === 'build-01' || alias === 'manager-1' ? host.address : alias,
        cluster.access(),
        emptySshConfig,
        { port: host.port },
      ),
    );
  };

  function context(name: string, fleet: string): ActionContext {
    const inFlight = {
      proposalId: 'p-1',
      machineKey: `${fleet}/${name}`,
      machineName: name,
      fleet,
      rule: 'disk' as const,
      action: 'cleanup' as const,
      providerId: null,
      providerSource: null,
      startedAt: 0,
      who: 'test',
      hcloudActionId: null,
      step: 'starting',
    };
    return {
      machine: machine(
        { name, fleet, kind: 'dedicated', provider: 'ssh', providerId: null },
        Date.now(),
      ),
      inFlight,
      signal: new AbortController().signal,
      stepTimeoutMs: 15_000,
      progress: async (patch) => void Object.assign(inFlight, patch),
    };
  }

  it('cleans a dedicated host: unused runner volumes go, used ones and foreign ones stay', async () => {
    const dir = cluster.hosts[0]!.stateDir;
    writeHostState(dir, {
      hostname: 'build-01',
      now: NOW,
      mounts: [
        {
          device: '/dev/sda1',
          fstype: 'ext4',
          mount: '/',
          sizeKiB: 100,
          usedKiB: 90,
          availKiB: 10,
          inodes: null,
        },
      ],
      containers: [
        {
          id: hex(1),
          name: 'job',
          image: 'alpine',
          created: NOW - 10,
          state: 'running',
          volumes: ['runner-aaaa-cache-1'],
        },
      ],
      volumes: [
        { name: 'runner-aaaa-cache-1', sizeBytes: 1 },
        { name: 'runner-aaaa-cache-2', sizeBytes: 1 },
        { name: 'grafana-data', sizeBytes: 1 },
      ],
    });
    const detail = await new CleanupAction({ exec: exec(), pruneHoursFor: () => 48 }).run(
      context('build-01', 'hosts'),
    );
    expect(detail).toMatch(/removed 1 unused runner volume \(runner-aaaa-cache-2\)/);
    expect(
      readHostState(dir)
        .volumes.map((v) => v.name)
        .sort(),
    ).toEqual(['grafana-data', 'runner-aaaa-cache-1']);
    expect(readCalls(dir).calls.map((c) => [c.tool, ...c.args].join(' '))).toContain(
      'docker image prune -a -f --filter until=48h',
    );
  });

  it('docker-machine rm with a hostile name: one literal argument on the manager, nothing injected', async () => {
    const dir = cluster.hosts[0]!.stateDir;
    const odd = `runner-x $(touch ${dir}/pwned); touch ${dir}/pwned2 'q'`;
    writeHostState(dir, {
      hostname: 'manager-1',
      now: NOW,
      mounts: [
        {
          device: '/dev/sda1',
          fstype: 'ext4',
          mount: '/',
          sizeKiB: 100,
          usedKiB: 10,
          availKiB: 90,
          inodes: null,
        },
      ],
      machines: [{ name: odd, state: 'Running' }],
    });
    const result = await new MachineRmAction(exec(), () => 'manager-1').run(context(odd, 'ci'));
    expect(result).toMatch(/removed by manager-1/);
    expect(readHostState(dir).machines).toEqual([]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'pwned2'))).toBe(false);
  });
});
