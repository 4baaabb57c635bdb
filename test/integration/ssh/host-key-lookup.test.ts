import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../../electron/core/sources/ssh/known-hosts';
import { SshPool } from '../../../electron/core/sources/ssh/pool';
import { emptySshConfig } from '../../../electron/core/sources/ssh/ssh-config';
import { resolveTarget } from '../../../electron/core/sources/ssh/target';
import { SHIMS_DIR } from '../../sim/host-state';
import { sshdSkipReason, startSshdCluster, type SshdCluster } from '../../support/sshd';
import { rejectionOf } from '../../support/rejection';

// Host keys of autoscaled VMs as users collect them: `ssh-keyscan -p PORT ADDR` (plain or
// `-H` hashed) against real sshd. A VM is dialled by address with its key filed under its
// machine name (HostKeyAlias), the way the probe does it; a key found under either name is
// accepted, and trust-on-first-use stays keyed by the machine name.
const skip = sshdSkipReason();
if (skip) console.warn(`skipping real-sshd host key tests: ${skip}`);

describe.skipIf(skip !== null)('host key lookup against real sshd and ssh-keyscan', () => {
  let cluster: SshdCluster;
  const pools: SshPool[] = [];
  const newPool = () => {
    const pool = new SshPool({ agentSocket: null, backoff: { baseMs: 50, maxMs: 200 } });
    pools.push(pool);
    return pool;
  };
  const vm = (i: number, machineName: string, knownHostsFile: string, trustOnFirstUse = false) => {
    const host = cluster.hosts[i]!;
    return resolveTarget(
      host.address,
      cluster.access({ knownHostsFile, trustOnFirstUse }),
      emptySshConfig,
      { port: host.port, hostKeyAlias: machineName },
    );
  };
  const keyscan = (i: number, file: string, hashed: boolean): string => {
    const host = cluster.hosts[i]!;
    const out = execFileSync(
      'ssh-keyscan',
      [...(hashed ? ['-H'] : []), '-t', 'ed25519', '-p', String(host.port), host.address],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    ).toString();
    writeFileSync(file, out);
    return out;
  };

  beforeAll(async () => {
    cluster = await startSshdCluster({
      addresses: ['127.0.2.41', '127.0.2.42'],
      shimDir: SHIMS_DIR,
    });
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.dispose()));
  });
  afterAll(async () => {
    await cluster?.dispose();
  });

  it.each([
    ['plain', false],
    ['hashed (-H)', true],
  ])('accepts a key that ssh-keyscan -p wrote %s under [addr]:port', async (_, hashed) => {
    const file = join(cluster.dir, `kh-keyscan-${hashed ? 'hashed' : 'plain'}`);
    const written = keyscan(0, file, hashed);
    const host = cluster.hosts[0]!;
    expect(written).toContain(hashed ? '|1|' : `[${host.address}]:${host.port} ssh-ed25519`);
    const result = await newPool().exec(vm(0, 'runner-abc-auto-scale-1', file), ['echo', 'in']);
    expect(result.stdout).toBe('in\n');
    // Nothing added: the key was known, trust-on-first-use never ran.
    expect(readFileSync(file, 'utf8')).toBe(written);
  });

  it('a recycled IP with a new key is a new machine: not "changed", recorded under the machine name', async () => {
    const host = cluster.hosts[1]!;
    const file = join(cluster.dir, 'kh-recycled');
    // The earlier VM on this address: trusted on first use under its name, and scanned by
    // address too (an admin ran ssh-keyscan once).
    writeFileSync(file, '');
    await newPool().exec(vm(1, 'runner-old', file, true), ['true']);
    const tofuLine = readFileSync(file, 'utf8');
    expect(tofuLine).toBe(`runner-old ssh-ed25519 ${host.hostKey().toString('base64')}\n`);
    const scanned = execFileSync(
      'ssh-keyscan',
      ['-t', 'ed25519', '-p', String(host.port), host.address],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    ).toString();
    writeFileSync(file, tofuLine + scanned);
    const before = readFileSync(file, 'utf8');
    const oldKey = host.hostKey();
    await host.rotateHostKey(); // the address now belongs to a new VM
    try {
      expect(host.hostKey().equals(oldKey)).toBe(false);
      // Trust-on-first-use off: unknown (not changed), and the message says what to do.
      const strict = await rejectionOf(newPool().exec(vm(1, 'runner-new', file), ['true']));
      expect(strict).toMatchObject({ code: 'host_key' });
      expect(strict.message).not.toContain('HOST KEY CHANGED');
      expect(strict.message).toContain(
        `unknown host key ${fingerprint(host.hostKey())} for runner-new or [${host.address}]:${host.port}`,
      );
      expect(strict.message).toMatch(
        /is there with another key, line 2: an earlier machine on a recycled address/,
      );
      expect(strict.message).toContain(`ssh-keyscan -p ${host.port} ${host.address} >> ${file}`);
      expect(strict.message).toMatch(/"trustOnFirstUse": true .*import-toml --trust-on-first-use/);
      // Trust-on-first-use on: connects, and files the new key under the machine name only.
      await newPool().exec(vm(1, 'runner-new', file, true), ['true']);
      const after = readFileSync(file, 'utf8');
      expect(after).toBe(`${before}runner-new ssh-ed25519 ${host.hostKey().toString('base64')}\n`);
      // The new VM keeps working by name; the old name on the new key is a changed key.
      await newPool().exec(vm(1, 'runner-new', file), ['true']);
      const changed = await rejectionOf(newPool().exec(vm(1, 'runner-old', file, true), ['true']));
      expect(changed.message).toContain('HOST KEY CHANGED: runner-old');
    } finally {
      cluster.writeKnownHosts(cluster.knownHostsFile);
    }
  });
});
