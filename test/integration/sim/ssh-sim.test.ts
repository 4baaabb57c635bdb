import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { generateEd25519 } from '../../sim/ed25519-keys';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCalls, writeHostState, type HostState } from '../../sim/host-state';
import { SshSim } from '../../sim/ssh-sim';

const { Client } = ssh2;
const NOW = 1_795_447_734;

let root: string;
let sim: SshSim;

function stateFor(n: number): HostState {
  return {
    hostname: `vm-${n}`,
    now: NOW,
    mounts: [
      {
        device: '/dev/sda1',
        fstype: 'ext4',
        mount: '/',
        sizeKiB: 40_000_000,
        usedKiB: 1_000_000 * n,
        availKiB: 40_000_000 - 1_000_000 * n - 2_000_000,
        inodes: { total: 2_000_000, used: 1000 * n, free: 2_000_000 - 1000 * n },
      },
    ],
  };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rw-ssh-sim-test-'));
  const hosts = [1, 2, 3].map((n) => {
    const stateDir = join(root, `vm-${n}`);
    writeHostState(stateDir, stateFor(n));
    return { address: `127.0.1.${n}`, stateDir };
  });
  sim = await SshSim.start({ hosts, keepaliveIntervalMs: 200 });
});
afterAll(async () => {
  await sim?.dispose();
  rmSync(root, { recursive: true, force: true });
});

interface Conn {
  client: InstanceType<typeof Client>;
  exec(cmd: string): Promise<{ stdout: string; stderr: string; code: number | null }>;
}

/** Connects with host-key verification against the simulator's known_hosts lines. */
function connect(
  address: string,
  opts: { privateKey?: string; readyTimeout?: number; username?: string } = {},
): Promise<Conn> {
  const line = sim.knownHostsLines().find((l) => l.startsWith(`[${address}]:`));
  const expected = line?.split(' ')[2];
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.on('error', reject);
    client.on('ready', () =>
      resolve({
        client,
        exec: (cmd) =>
          new Promise((res, rej) => {
            client.exec(cmd, (err, stream) => {
              if (err) return rej(err);
              let stdout = '';
              let stderr = '';
              let code: number | null = null;
              stream.on('data', (d: Buffer) => (stdout += d.toString()));
              stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
              stream.on('exit', (c: number | null) => (code = c));
              stream.on('close', () => res({ stdout, stderr, code }));
            });
          }),
      }),
    );
    client.connect({
      host: address,
      port: sim.sharedPort,
      username: opts.username ?? sim.user,
      privateKey: opts.privateKey ?? readFileSync(sim.clientKeyFile, 'utf8'),
      readyTimeout: opts.readyTimeout ?? 5000,
      keepaliveInterval: 100,
      hostVerifier: (key: Buffer) => expected !== undefined && key.toString('base64') === expected,
    });
  });
}

describe('SSH host simulator', () => {
  it('runs df -Pk / on 127.0.1.3 through the shims and returns that host’s numbers', async () => {
    const conn = await connect('127.0.1.3');
    try {
      const r = await conn.exec('df -Pk /');
      expect(r.code).toBe(0);
      const row = r.stdout.trim().split('\n')[1]!.split(/\s+/);
      expect(row).toEqual(['/dev/sda1', '40000000', '3000000', '35000000', '8%', '/']);
      const other = await connect('127.0.1.1');
      const r1 = await other.exec('df -Pk /');
      expect(r1.stdout.trim().split('\n')[1]!.split(/\s+/)[2]).toBe('1000000');
      other.client.end();
      expect(readCalls(join(root, 'vm-3')).calls).toContainEqual({
        tool: 'df',
        args: ['-Pk', '/'],
      });
    } finally {
      conn.client.end();
    }
  });

  it('passes exit status and stderr back, and runs several commands on one connection', async () => {
    const conn = await connect('127.0.1.2');
    try {
      const bad = await conn.exec('df -Pk /nope');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe('df: /nope: No such file or directory\n');
      const sh = await conn.exec(
        'echo "$RW_SIM_STATE" | grep -c vm-2; echo out; echo err >&2; exit 7',
      );
      expect(sh).toEqual({ stdout: '1\nout\n', stderr: 'err\n', code: 7 });
      const where = await conn.exec('echo $SSH_CONNECTION');
      expect(where.stdout.trim().split(' ')[2]).toBe('127.0.1.2');
    } finally {
      conn.client.end();
    }
  });

  it('writes known_hosts lines with every host’s own ed25519 key', () => {
    const lines = sim.knownHostsLines();
    expect(lines).toHaveLength(3);
    for (const l of lines)
      expect(l).toMatch(
        new RegExp(`^\\[127\\.0\\.1\\.[123]\\]:${sim.sharedPort} ssh-ed25519 AAAA[0-9A-Za-z+/=]+$`),
      );
    expect(new Set(lines.map((l) => l.split(' ')[2])).size).toBe(3);
    expect(sim.knownHostsLineAs('vm-one', '127.0.1.1')).toBe(
      `vm-one ${sim.hostPublicKey('127.0.1.1')}`,
    );
    expect(() => sim.knownHostsLineAs('bad name', '127.0.1.1')).toThrow(/known_hosts name/);
    const key = readFileSync(sim.clientKeyFile, 'utf8');
    expect(key).toContain('BEGIN OPENSSH PRIVATE KEY');
  });

  it('refuses a host key the client does not expect (different host, same port)', async () => {
    const line = sim.knownHostsLines().find((l) => l.startsWith('[127.0.1.1]:'))!;
    await expect(
      new Promise((resolve, reject) => {
        const c = new Client();
        c.on('error', reject);
        c.on('ready', () => resolve(undefined));
        c.connect({
          host: '127.0.1.2',
          port: sim.sharedPort,
          username: sim.user,
          privateKey: readFileSync(sim.clientKeyFile, 'utf8'),
          hostVerifier: (k: Buffer) => k.toString('base64') === line.split(' ')[2],
        });
      }),
    ).rejects.toThrow(/verification failed/i);
  });

  it('rejects another key and another user', async () => {
    const other = generateEd25519('another-client');
    await expect(connect('127.0.1.1', { privateKey: other.private })).rejects.toThrow(
      /authentication methods failed/,
    );
    await expect(connect('127.0.1.1', { username: 'root' })).rejects.toThrow(
      /authentication methods failed/,
    );
  });

  it('refuses connections while the fault is set, and serves again after', async () => {
    await sim.setFault('127.0.1.1', 'refuse');
    await expect(connect('127.0.1.1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sim.setFault('127.0.1.1', null);
    const conn = await connect('127.0.1.1');
    expect((await conn.exec('echo ok')).stdout).toBe('ok\n');
    conn.client.end();
  });

  it('drops the connection mid-command', async () => {
    const conn = await connect('127.0.1.2');
    await sim.setFault('127.0.1.2', 'drop');
    try {
      const closed = new Promise<void>((resolve) => conn.client.on('close', () => resolve()));
      // Either the command's channel closes without an exit status, or (when the drop wins
      // the race with the exec reply) the exec fails: both are a connection lost mid-command.
      const r = await conn
        .exec('echo first; sleep 5; echo second')
        .catch((error: Error) => ({ error }));
      if ('error' in r) expect(r.error.message).toMatch(/no response|not connected|closed|reset/i);
      else {
        expect(r.code).toBeNull();
        expect(r.stdout).not.toContain('second');
      }
      await closed;
      expect(sim.execs.at(-1)).toMatchObject({ address: '127.0.1.2', exitCode: null });
    } finally {
      await sim.setFault('127.0.1.2', null);
    }
  });

  it('hangs: no banner, so the client times out', async () => {
    await sim.setFault('127.0.1.3', 'hang');
    try {
      await expect(connect('127.0.1.3', { readyTimeout: 400 })).rejects.toThrow(/Timed out/i);
    } finally {
      await sim.setFault('127.0.1.3', null);
    }
  });

  it('hang-exec: the command never finishes', async () => {
    const conn = await connect('127.0.1.3');
    await sim.setFault('127.0.1.3', 'hang-exec');
    try {
      const outcome = await Promise.race([
        conn.exec('echo never').then(() => 'answered'),
        new Promise((r) => setTimeout(() => r('hung'), 400)),
      ]);
      expect(outcome).toBe('hung');
      expect(sim.execs.at(-1)).toEqual({
        address: '127.0.1.3',
        command: 'echo never',
        exitCode: null,
      });
    } finally {
      conn.client.end();
      await sim.setFault('127.0.1.3', null);
    }
  });

  it('keeps an idle connection alive across keepalive rounds', async () => {
    const conn = await connect('127.0.1.1');
    await new Promise((r) => setTimeout(r, 700));
    expect((await conn.exec('echo still')).stdout).toBe('still\n');
    conn.client.end();
  });

  it('forwards a connection to another loopback host (ProxyJump), and refuses other addresses', async () => {
    const jump = await connect('127.0.1.1');
    try {
      const stream = await new Promise<import('ssh2').ClientChannel>((resolve, reject) =>
        jump.client.forwardOut('127.0.0.1', 0, '127.0.1.3', sim.sharedPort, (err, ch) =>
          err ? reject(err) : resolve(ch),
        ),
      );
      const expected = sim
        .knownHostsLines()
        .find((l) => l.startsWith('[127.0.1.3]:'))!
        .split(' ')[2];
      const inner = await new Promise<InstanceType<typeof Client>>((resolve, reject) => {
        const c = new Client();
        c.on('error', reject);
        c.on('ready', () => resolve(c));
        c.connect({
          sock: stream,
          username: sim.user,
          privateKey: readFileSync(sim.clientKeyFile, 'utf8'),
          hostVerifier: (key: Buffer) => key.toString('base64') === expected,
        });
      });
      const out = await new Promise<string>((resolve, reject) =>
        inner.exec('df -Pk /', (err, ch) => {
          if (err) return reject(err);
          let text = '';
          ch.on('data', (d: Buffer) => (text += d.toString()));
          ch.on('close', () => resolve(text));
        }),
      );
      expect(out.trim().split('\n')[1]!.split(/\s+/)[2]).toBe('3000000');
      inner.end();
      expect(sim.forwards).toContainEqual({ via: '127.0.1.1', to: `127.0.1.3:${sim.sharedPort}` });
      await expect(
        new Promise((resolve, reject) =>
          jump.client.forwardOut('127.0.0.1', 0, '10.1.2.3', 22, (err, ch) =>
            err ? reject(err) : resolve(ch),
          ),
        ),
      ).rejects.toThrow();
    } finally {
      jump.client.end();
    }
  });

  it('adds and removes hosts at run time on the shared port', async () => {
    const dir = join(root, 'vm-9');
    writeHostState(dir, stateFor(9));
    await sim.addHost({ address: '127.0.1.9', stateDir: dir });
    const conn = await connect('127.0.1.9');
    expect((await conn.exec('df -Pk /')).stdout).toContain('9000000');
    conn.client.end();
    await sim.removeHost('127.0.1.9');
    await expect(connect('127.0.1.9')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // the key is kept: a VM recreated at that address is still known
    expect(sim.knownHostsLines().some((l) => l.startsWith('[127.0.1.9]:'))).toBe(true);
    await expect(sim.addHost({ address: '10.0.0.1', stateDir: dir })).rejects.toThrow(
      /loopback only/,
    );
    await expect(sim.setFault('127.0.9.9', 'drop')).rejects.toThrow(/no simulated SSH host/);
  });
});
