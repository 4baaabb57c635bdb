import { execFileSync, spawn } from 'node:child_process';
import { rejectionOf } from '../../support/rejection';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fingerprint } from '../../../electron/core/sources/ssh/known-hosts';
import { SshPool } from '../../../electron/core/sources/ssh/pool';
import { emptySshConfig, parseSshConfig } from '../../../electron/core/sources/ssh/ssh-config';
import { resolveTarget } from '../../../electron/core/sources/ssh/target';
import { SHIMS_DIR } from '../../sim/host-state';
import {
  KEY_PASSPHRASE,
  sshdSkipReason,
  startSshdCluster,
  type SshdCluster,
} from '../../support/sshd';

const skip = sshdSkipReason();
if (skip) console.warn(`skipping real-sshd pool tests: ${skip}`);

describe.skipIf(skip !== null)('SshPool against real sshd', () => {
  let cluster: SshdCluster;
  const pools: SshPool[] = [];
  const newPool = (options: ConstructorParameters<typeof SshPool>[0] = {}) => {
    const pool = new SshPool({
      agentSocket: null,
      backoff: { baseMs: 50, maxMs: 200 },
      ...options,
    });
    pools.push(pool);
    return pool;
  };
  const target = (i: number, access = cluster.access()) => {
    const host = cluster.hosts[i]!;
    return resolveTarget(host.address, access, emptySshConfig, { port: host.port });
  };

  beforeAll(async () => {
    cluster = await startSshdCluster({
      addresses: ['127.0.2.1', '127.0.2.2', '127.0.2.3'],
      shimDir: SHIMS_DIR,
    });
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.dispose()));
    for (const h of cluster.hosts) {
      h.resume();
      h.clearOverrides();
    }
  });
  afterAll(async () => {
    await cluster?.dispose();
  });

  it('runs commands with odd arguments unchanged, on one connection per host', async () => {
    const pool = newPool();
    const odd = `runner-a'b; $(id) \`x\` "q" \\ * ~ \n&|`;
    const result = await pool.exec(target(0), ['printf', '%s', odd]);
    expect(result).toEqual({ stdout: odd, stderr: '', code: 0, signal: null });
    // More commands at once than sshd's MaxSessions allows on one connection: they queue.
    const many = await Promise.all(
      Array.from({ length: 30 }, (_, i) => pool.exec(target(0), ['echo', String(i)])),
    );
    expect(many.map((r) => r.stdout)).toEqual(Array.from({ length: 30 }, (_, i) => `${i}\n`));
    expect(pool.stats.connectionsOpened).toBe(1);
    const failed = await pool.exec(target(0), ['sh', '-c', 'echo oops >&2; exit 3']);
    expect(failed).toMatchObject({ code: 3, stderr: 'oops\n' });
    const env = await pool.exec(target(0), ['sh', '-c', 'echo "$RW_SIM_STATE"; command -v df']);
    expect(env.stdout).toBe(`${cluster.hosts[0]!.stateDir}\n${cluster.shimDir}/df\n`);
  });

  it('turns Nagle off on each host connection, so small SSH packets are not held back', async () => {
    // With Nagle on, a channel open and its exec request wait for a delayed ACK: ~85 ms per
    // command on an open connection instead of 2–3 ms (bench/ssh-fleet.ts).
    const setNoDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    try {
      const pool = newPool();
      await pool.exec(target(0), ['true']);
      await pool.exec(target(1), ['true']);
      const flagged = setNoDelay.mock.contexts.filter(
        (_, i) => setNoDelay.mock.calls[i]?.[0] !== false,
      ) as Socket[];
      expect(flagged.map((s) => `${s.remoteAddress}:${s.remotePort}`).sort()).toEqual(
        [0, 1].map((i) => `${cluster.hosts[i]!.address}:${cluster.hosts[i]!.port}`),
      );
      expect(pool.stats.connectionsOpened).toBe(2);
    } finally {
      setNoDelay.mockRestore();
    }
  });

  it('refuses an unknown host unless trust-on-first-use is on, then records it', async () => {
    const file = join(cluster.dir, 'kh-tofu');
    writeFileSync(file, '');
    const pool = newPool();
    const host = cluster.hosts[1]!;
    const strict = target(1, cluster.access({ knownHostsFile: file }));
    await expect(pool.exec(strict, ['true'])).rejects.toMatchObject({
      code: 'host_key',
      message: expect.stringContaining(`unknown host key ${fingerprint(host.hostKey())}`),
    });
    const tofu = target(1, cluster.access({ knownHostsFile: file, trustOnFirstUse: true }));
    // A fresh pool: the refused host is in backoff in the first one.
    await expect(newPool().exec(tofu, ['true'])).resolves.toMatchObject({ code: 0 });
    expect(readFileSync(file, 'utf8')).toBe(
      `[${host.address}]:${host.port} ssh-ed25519 ${host.hostKey().toString('base64')}\n`,
    );
    // ssh-keygen finds what we recorded: the file stays usable by OpenSSH itself.
    expect(
      execFileSync('ssh-keygen', ['-F', `[${host.address}]:${host.port}`, '-f', file]).toString(),
    ).toContain('ssh-ed25519');
  });

  it('accepts hosts listed in a hashed known_hosts file', async () => {
    const file = cluster.writeKnownHosts(join(cluster.dir, 'kh-hashed'), { hashed: true });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    const pool = newPool();
    const t = target(2, cluster.access({ knownHostsFile: file }));
    await expect(pool.exec(t, ['echo', 'hi'])).resolves.toMatchObject({ stdout: 'hi\n' });
  });

  it('reaches a host through a jump host, and the jump host needs its own known key', async () => {
    const pool = newPool();
    const jump = cluster.hosts[0]!;
    const access = cluster.access({ jumpHost: `${cluster.user}@${jump.address}:${jump.port}` });
    const result = await pool.exec(target(2, access), ['sh', '-c', 'echo $SSH_CONNECTION']);
    // sshd on host 3 sees the connection coming from the jump host's forward.
    expect(result.stdout.split(' ')[2]).toBe(cluster.hosts[2]!.address);
    expect(pool.stats.connectionsOpened).toBe(2);
    const file = cluster.writeKnownHosts(join(cluster.dir, 'kh-nojump'), {
      hosts: [cluster.hosts[2]!],
    });
    const pool2 = newPool();
    await expect(
      pool2.exec(
        target(
          2,
          cluster.access({ jumpHost: `${jump.address}:${jump.port}`, knownHostsFile: file }),
        ),
        ['true'],
      ),
    ).rejects.toMatchObject({
      code: 'host_key',
      message: expect.stringContaining(jump.address),
    });
  });

  it('honours an ssh config alias (HostName, Port, User, IdentityFile, ProxyJump)', async () => {
    const [jump, dest] = [cluster.hosts[0]!, cluster.hosts[1]!];
    const config = parseSshConfig(`
Host ci-bastion
  HostName ${jump.address}
  Port ${jump.port}
  User ${cluster.user}
  IdentityFile ${cluster.clientKey}
Host build-*
  HostName ${dest.address}
  Port ${dest.port}
  User ${cluster.user}
  IdentityFile ${cluster.clientKey}
  ProxyJump ci-bastion
Host *
  User nobody-here
`);
    const access = cluster.access({ identityFiles: [], user: 'root' });
    const t = resolveTarget('build-7', access, config);
    expect(t).toMatchObject({
      host: dest.address,
      port: dest.port,
      user: cluster.user,
      jump: { host: jump.address, port: jump.port, user: cluster.user },
    });
    const pool = newPool();
    const result = await pool.exec(t, ['whoami']);
    expect(result.stdout).toBe(`${cluster.user}\n`);
  });

  it('decrypts an encrypted key with the passphrase from the secret store, never leaking it', async () => {
    const access = cluster.access({
      identityFiles: [cluster.encryptedClientKey],
      passphrase: { env: 'RW_TEST_PASS' },
    });
    const noSecrets = newPool();
    const error = await rejectionOf(noSecrets.exec(target(0, access), ['true']));
    expect(error).toMatchObject({ code: 'unauthorized' });
    expect(error.message).toContain('is encrypted and no secret store is available');
    const wrong = newPool({ secrets: { resolve: async () => 'not the passphrase' } });
    const wrongError = await rejectionOf(wrong.exec(target(0, access), ['true']));
    expect(wrongError).toMatchObject({
      code: 'unauthorized',
      message: expect.stringContaining('does not decrypt it'),
    });
    expect(wrongError.message).not.toContain('not the passphrase');
    const right = newPool({ secrets: { resolve: async () => KEY_PASSPHRASE } });
    await expect(right.exec(target(0, access), ['echo', 'ok'])).resolves.toMatchObject({
      stdout: 'ok\n',
    });
  });

  it('names unreadable key files and refused keys in the authentication error', async () => {
    const missing = cluster.access({ identityFiles: ['/nonexistent/id_rw'] });
    await expect(newPool().exec(target(0, missing), ['true'])).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.stringContaining('key /nonexistent/id_rw cannot be read (ENOENT)'),
    });
    const notAKey = join(cluster.dir, 'not-a-key');
    writeFileSync(notAKey, 'hello\n');
    const stranger = join(cluster.dir, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const refused = cluster.access({ identityFiles: [notAKey, stranger] });
    const error = await rejectionOf(newPool().exec(target(0, refused), ['true']));
    expect(error).toMatchObject({ code: 'unauthorized' });
    expect(error.message).toContain(`authentication failed (offered key ${stranger})`);
    expect(error.message).toContain(`key ${notAKey} is not a private key ssh2 can read`);
  });

  it('authenticates through ssh-agent (SSH_AUTH_SOCK) with no key file', async () => {
    const socket = join(cluster.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i++)
        await new Promise((r) => setTimeout(r, 50));
      execFileSync('ssh-add', ['-q', cluster.clientKey], {
        env: { ...process.env, SSH_AUTH_SOCK: socket },
        stdio: 'ignore',
      });
      const access = cluster.access({ identityFiles: [], useAgent: true });
      await expect(
        newPool({ agentSocket: socket }).exec(target(0, access), ['echo', 'agent']),
      ).resolves.toMatchObject({ stdout: 'agent\n' });
      // Without an agent and without key files there is nothing to offer, and the error says so.
      await expect(
        newPool({ agentSocket: null }).exec(target(0, access), ['true']),
      ).rejects.toMatchObject({
        code: 'unauthorized',
        message: expect.stringContaining('no ssh-agent and no identity files configured'),
      });
    } finally {
      agent.kill('SIGTERM');
    }
  });

  it('refuses a changed host key with its SHA256 fingerprint, even with trust-on-first-use', async () => {
    const host = cluster.hosts[2]!;
    const file = cluster.writeKnownHosts(join(cluster.dir, 'kh-before-rotate'));
    const oldKey = host.hostKey();
    await host.rotateHostKey();
    try {
      expect(host.hostKey().equals(oldKey)).toBe(false);
      const pool = newPool();
      const error = await rejectionOf(
        pool.exec(target(2, cluster.access({ knownHostsFile: file, trustOnFirstUse: true })), [
          'true',
        ]),
      );
      expect(error).toMatchObject({ code: 'host_key' });
      expect(error.message).toContain('HOST KEY CHANGED');
      expect(error.message).toContain(fingerprint(host.hostKey()));
      expect(readFileSync(file, 'utf8')).not.toContain(host.hostKey().toString('base64'));
    } finally {
      cluster.writeKnownHosts(cluster.knownHostsFile);
    }
  });

  it('files keys under a HostKeyAlias: a new VM on a recycled IP is a new host, the old name still refuses', async () => {
    const host = cluster.hosts[2]!;
    const file = join(cluster.dir, 'kh-alias');
    writeFileSync(file, '');
    const access = cluster.access({ knownHostsFile: file, trustOnFirstUse: true });
    const as = (alias: string) =>
      resolveTarget(host.address, access, emptySshConfig, { port: host.port, hostKeyAlias: alias });
    await expect(newPool().exec(as('runner-vm-old'), ['true'])).resolves.toMatchObject({ code: 0 });
    expect(readFileSync(file, 'utf8')).toBe(
      `runner-vm-old ssh-ed25519 ${host.hostKey().toString('base64')}\n`,
    );
    await host.rotateHostKey(); // the IP now belongs to another VM
    try {
      await expect(newPool().exec(as('runner-vm-old'), ['true'])).rejects.toMatchObject({
        code: 'host_key',
        message: expect.stringContaining(
          `HOST KEY CHANGED: runner-vm-old offered ${fingerprint(host.hostKey())}`,
        ),
      });
      await expect(newPool().exec(as('runner-vm-new'), ['true'])).resolves.toMatchObject({
        code: 0,
      });
      expect(readFileSync(file, 'utf8')).toContain(
        `runner-vm-new ssh-ed25519 ${host.hostKey().toString('base64')}`,
      );
    } finally {
      cluster.writeKnownHosts(cluster.knownHostsFile);
    }
  });

  it('times out a host that hangs without holding up another host', async () => {
    const pool = newPool();
    cluster.hosts[0]!.pause();
    // Generous for a loaded 2-core machine; the hung host still runs into them.
    const access = cluster.access({ connectTimeoutSec: 3, commandTimeoutSec: 4 });
    const [hung, fine] = await Promise.allSettled([
      pool.exec(target(0, access), ['true']),
      pool.exec(target(1, access), ['echo', 'fine']),
    ]);
    expect(fine).toMatchObject({ status: 'fulfilled', value: { stdout: 'fine\n' } });
    expect(hung).toMatchObject({ status: 'rejected', reason: { code: 'timeout' } });
    cluster.hosts[0]!.resume();
    // A command that never ends times out too, and the host works again afterwards.
    // Prints while it hangs, so it dies of SIGPIPE once the connection is gone (no leftovers).
    cluster.hosts[1]!.override('docker', 'while printf .; do sleep 0.2; done');
    await expect(pool.exec(target(1, access), ['docker', 'ps'])).rejects.toMatchObject({
      code: 'timeout',
      message: expect.stringContaining('did not finish within 4000 ms'),
    });
    cluster.hosts[1]!.clearOverrides();
    await expect(pool.exec(target(1, access), ['echo', 'back'])).resolves.toMatchObject({
      stdout: 'back\n',
    });
  });

  it('reports a connection dropped mid-command and reconnects on the next call', async () => {
    const pool = newPool();
    const host = cluster.hosts[1]!;
    await pool.exec(target(1), ['true']);
    host.override(
      'docker',
      `echo partial; p=$$
while [ "$p" -gt 1 ]; do
  case "$(cat /proc/$p/comm)" in sshd*) kill -9 "$p"; exit 1 ;; esac
  p=$(cut -d' ' -f4 /proc/$p/stat)
done`,
    );
    await expect(pool.exec(target(1), ['docker', 'ps'])).rejects.toMatchObject({
      code: 'unreachable',
    });
    host.clearOverrides();
    await expect(pool.exec(target(1), ['echo', 'again'])).resolves.toMatchObject({
      stdout: 'again\n',
    });
    expect(pool.stats.connectionsOpened).toBe(2);
  });

  it('closes connections idle past the idle timeout and reopens on demand', async () => {
    let clock = 1_000_000;
    const pool = newPool({ idleTimeoutMs: 60_000, now: () => clock });
    await pool.exec(target(0), ['true']);
    await pool.exec(target(1), ['true']);
    clock += 30_000;
    await pool.exec(target(1), ['true']);
    expect(pool.stats).toEqual({ connectionsOpened: 2, open: 2 });
    clock += 45_000; // host 0 idle for 75 s, host 1 for 45 s
    await pool.exec(target(1), ['true']);
    expect(pool.stats).toEqual({ connectionsOpened: 2, open: 1 });
    await pool.exec(target(0), ['true']);
    expect(pool.stats).toEqual({ connectionsOpened: 3, open: 2 });
  });

  it('backs off after a failed connect and says when it retries', async () => {
    const pool = newPool({ backoff: { baseMs: 60_000, maxMs: 60_000, jitter: 0 } });
    const t = resolveTarget('127.0.2.1', cluster.access(), emptySshConfig, { port: 1 });
    await expect(pool.exec(t, ['true'])).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    await expect(pool.exec(t, ['true'])).rejects.toMatchObject({
      message: expect.stringMatching(/not retried for another \d+ s/),
    });
    expect(pool.stats.connectionsOpened).toBe(1);
  });
});
