import { cpSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshPool } from '../../../electron/core/sources/ssh/pool';
import { emptySshConfig } from '../../../electron/core/sources/ssh/ssh-config';
import { resolveTarget } from '../../../electron/core/sources/ssh/target';
import { SHIMS_DIR, writeHostState } from '../../sim/host-state';
import { sshdSkipReason, startSshdCluster, type SshdCluster } from '../../support/sshd';

const skip = sshdSkipReason();
if (skip) console.warn(`skipping private-checkout sshd test: ${skip}`);

/*
 * A checkout inside a directory only its owner may enter (mode 0700, as /root is): the sshd
 * test user must still run the shims, so the harness has to hand it a copy it can reach.
 * This reproduces CI's fresh clone under /root without moving the checkout.
 */
describe.skipIf(skip !== null)('real-sshd harness from a private checkout', () => {
  let privateRoot: string;
  let cluster: SshdCluster;
  let pool: SshPool;

  beforeAll(async () => {
    privateRoot = mkdtempSync(join(tmpdir(), 'rw-private-'));
    chmodSync(privateRoot, 0o700);
    const shims = join(privateRoot, 'checkout', 'test', 'sim', 'shims');
    cpSync(SHIMS_DIR, shims, { recursive: true });
    cluster = await startSshdCluster({ addresses: ['127.0.2.91'], shimDir: shims });
    pool = new SshPool({ agentSocket: null });
  });
  afterAll(async () => {
    await pool?.dispose();
    await cluster?.dispose();
    if (privateRoot) rmSync(privateRoot, { recursive: true, force: true });
  });

  it('runs the docker and df shims as the test user', async () => {
    const host = cluster.hosts[0]!;
    writeHostState(host.stateDir, {
      hostname: 'private',
      now: 1_700_000_000,
      mounts: [
        {
          device: '/dev/sda1',
          fstype: 'ext4',
          mount: '/',
          sizeKiB: 1000,
          usedKiB: 600,
          availKiB: 400,
          inodes: null,
        },
      ],
    });
    const target = resolveTarget(host.address, cluster.access(), emptySshConfig, {
      port: host.port,
    });
    const which = await pool.exec(target, ['sh', '-c', 'command -v df; command -v docker']);
    expect(which.stdout).toBe(`${cluster.shimDir}/df\n${cluster.shimDir}/docker\n`);
    expect(cluster.shimDir.startsWith(privateRoot)).toBe(false);
    const df = await pool.exec(target, ['df', '-Pk', '/']);
    expect(df).toMatchObject({ code: 0, stderr: '' });
    expect(df.stdout).toContain('/dev/sda1');
    const ps = await pool.exec(target, ['docker', 'ps', '-q']);
    expect(ps).toMatchObject({ code: 0, stderr: '' });
  });
});
