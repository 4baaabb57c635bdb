import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SshAccess } from '../../shared/settings';

/*
 * Real OpenSSH sshd instances for integration tests: one sshd process per simulated host,
 * each on its own loopback address with its own generated host key, all letting one test
 * user (shell /bin/sh) in with generated client keys. Commands run with
 * PATH=<host override dir>:<shims>:/usr/bin:/bin and RW_SIM_STATE=<host state dir>, so the
 * docker/df shims of test/sim answer from that host's state files, and a test can drop a
 * script into the override dir to make one host hang or drop its connection.
 *
 * The test user is not root: it cannot enter a checkout inside a directory only its owner
 * may enter (mode 0700, as /root or many home directories are). So everything it runs or
 * reads (shims, their awk library, state, keys) lives in one temp dir it can read, and the
 * shims are copied there rather than run from the checkout.
 */

const SSHD = '/usr/sbin/sshd';
const KEYGEN = '/usr/bin/ssh-keygen';
/** The test user sshd lets in; created on first use. */
export const TEST_USER = 'rwprobe';
const TEST_HOME = '/var/tmp/rwprobe-home';
/** Passphrase of the encrypted client key (a test secret, registered with the redactor by the code under test). */
export const KEY_PASSPHRASE = 'correct horse battery staple 42';

/** Why the real-sshd tests cannot run here, or null when they can. */
export function sshdSkipReason(): string | null {
  if (!existsSync(SSHD)) return `${SSHD} not installed (apt-get install openssh-server)`;
  if (!existsSync(KEYGEN)) return `${KEYGEN} not installed (apt-get install openssh-client)`;
  if (process.getuid?.() !== 0) return 'starting sshd for a test user needs root';
  return null;
}

/** One simulated host: a real sshd on `address:port`. */
export interface SshdHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** RW_SIM_STATE of this host: write it with `writeHostState`. */
  readonly stateDir: string;
  /** First on PATH: put a `docker` or `df` script here to override the shim. */
  readonly overrideDir: string;
  /** The host key's public blob (what known_hosts stores, base64-decoded). */
  hostKey(): Buffer;
  /** Writes an override script (`#!/bin/sh` added) that shadows a tool on this host. */
  override(tool: string, body: string): void;
  clearOverrides(): void;
  /** sshd's log so far (LogLevel DEBUG1). */
  log(): string;
  /** Freezes the listener (SIGSTOP): new connections get no SSH banner. */
  pause(): void;
  resume(): void;
  /** Restarts sshd with a freshly generated host key. */
  rotateHostKey(): Promise<void>;
  stop(): Promise<void>;
}

/** A set of sshd hosts with the client side ready: keys, known_hosts, SshAccess. */
export interface SshdCluster {
  readonly dir: string;
  readonly user: string;
  /** The copy of the shims the hosts put on PATH (readable by the test user). */
  readonly shimDir: string;
  readonly hosts: SshdHost[];
  /** Unencrypted client key. */
  readonly clientKey: string;
  /** Client key encrypted with KEY_PASSPHRASE. */
  readonly encryptedClientKey: string;
  /** A known_hosts file with every host (plain `[addr]:port` lines). */
  readonly knownHostsFile: string;
  /** The port every host listens on. */
  readonly port: number;
  /** Writes a known_hosts file for the given hosts (all by default), hashed with ssh-keygen -H when asked. */
  writeKnownHosts(file: string, options?: { hashed?: boolean; hosts?: SshdHost[] }): string;
  /** SshAccess for the test user with the plain key and the cluster's known_hosts. */
  access(overrides?: Partial<SshAccess>): SshAccess;
  dispose(): Promise<void>;
}

interface HostProcess {
  child: ChildProcess | null;
}

/** Starts one sshd per address (e.g. 127.0.2.1…127.0.2.5), each on a free port. */
export async function startSshdCluster(options: {
  addresses: string[];
  /** Shim dir put on PATH after the override dir (test/sim/shims). */
  shimDir: string;
}): Promise<SshdCluster> {
  const reason = sshdSkipReason();
  if (reason) throw new Error(`sshd harness unavailable: ${reason}`);
  ensureTestUser();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tempRootOthersCanEnter(), 'rw-sshd-'));
  // sshd reads AuthorizedKeysFile as the test user; the state dirs are written by shims.
  chmodSync(dir, 0o755);
  const shimDir = copyShims(options.shimDir, join(dir, 'shims'));
  const clientKey = join(dir, 'id_ed25519');
  const encryptedClientKey = join(dir, 'id_ed25519_enc');
  keygen(clientKey, '');
  keygen(encryptedClientKey, KEY_PASSPHRASE);
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(
    authorized,
    readFileSync(`${clientKey}.pub`, 'utf8') + readFileSync(`${encryptedClientKey}.pub`, 'utf8'),
  );
  chmodSync(authorized, 0o644);

  const hosts: SshdHost[] = [];
  const processes: HostProcess[] = [];
  const cluster: SshdCluster = {
    dir,
    user: TEST_USER,
    shimDir,
    hosts,
    get port() {
      return hosts[0]?.port ?? 0;
    },
    clientKey,
    encryptedClientKey,
    knownHostsFile: join(dir, 'known_hosts'),
    writeKnownHosts(file, opts = {}) {
      const lines = (opts.hosts ?? hosts).map(
        (h) => `[${h.address}]:${h.port} ssh-ed25519 ${h.hostKey().toString('base64')}`,
      );
      writeFileSync(file, lines.join('\n') + '\n');
      if (opts.hashed) execFileSync(KEYGEN, ['-q', '-H', '-f', file], { stdio: 'ignore' });
      rmSync(`${file}.old`, { force: true });
      return file;
    },
    access(overrides = {}) {
      return SshAccess.parse({
        user: TEST_USER,
        port: hosts[0]?.port ?? 22,
        identityFiles: [clientKey],
        useAgent: false,
        knownHostsFile: cluster.knownHostsFile,
        connectTimeoutSec: 5,
        commandTimeoutSec: 10,
        ...overrides,
      });
    },
    async dispose() {
      await Promise.allSettled(processes.map((p) => stopProcess(p)));
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    // One port for every host, like SSH on port 22 everywhere: fleets have one port setting.
    const port = await commonFreePort(options.addresses);
    for (const address of options.addresses) {
      const proc: HostProcess = { child: null };
      processes.push(proc);
      hosts.push(await startHost(dir, address, port, shimDir, authorized, proc));
    }
  } catch (error) {
    await cluster.dispose();
    throw error;
  }
  cluster.writeKnownHosts(cluster.knownHostsFile);
  return cluster;
}

async function startHost(
  root: string,
  address: string,
  port: number,
  shimDir: string,
  authorized: string,
  proc: HostProcess,
): Promise<SshdHost> {
  const name = `host-${address}`;
  const hostDir = join(root, name);
  const stateDir = join(hostDir, 'state');
  const overrideDir = join(hostDir, 'bin');
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(overrideDir, { recursive: true });
  chmodSync(hostDir, 0o755);
  chmodSync(stateDir, 0o777);
  chmodSync(overrideDir, 0o755);
  const hostKeyFile = join(hostDir, 'ssh_host_ed25519_key');
  keygen(hostKeyFile, '');
  const config = join(hostDir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${address}:${port}`,
      `HostKey ${hostKeyFile}`,
      `PidFile ${join(hostDir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin no',
      `AllowUsers ${TEST_USER}`,
      'AllowTcpForwarding yes',
      'MaxStartups 200:30:400',
      // MaxSessions stays at OpenSSH's default (10), as on real hosts.
      // DEBUG1 logs forwarded channels (direct-tcpip), which jump-host tests look for.
      'LogLevel DEBUG1',
      `SetEnv PATH=${overrideDir}:${shimDir}:/usr/bin:/bin RW_SIM_STATE=${stateDir}`,
      '',
    ].join('\n'),
  );
  const log = join(hostDir, 'sshd.log');
  const launch = async () => {
    const child = spawn(SSHD, ['-D', '-f', config, '-E', log], { stdio: 'ignore' });
    proc.child = child;
    await waitForBanner(address, port, child, log);
  };
  await launch();
  const host: SshdHost = {
    name,
    address,
    port,
    stateDir,
    overrideDir,
    log: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    hostKey: () =>
      Buffer.from(readFileSync(`${hostKeyFile}.pub`, 'utf8').split(' ')[1] ?? '', 'base64'),
    override(tool, body) {
      const file = join(overrideDir, tool);
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
    },
    clearOverrides() {
      rmSync(overrideDir, { recursive: true, force: true });
      mkdirSync(overrideDir, { recursive: true });
      chmodSync(overrideDir, 0o755);
    },
    pause() {
      proc.child?.kill('SIGSTOP');
    },
    resume() {
      proc.child?.kill('SIGCONT');
    },
    async rotateHostKey() {
      await stopProcess(proc);
      rmSync(hostKeyFile, { force: true });
      rmSync(`${hostKeyFile}.pub`, { force: true });
      keygen(hostKeyFile, '');
      await launch();
    },
    stop: () => stopProcess(proc),
  };
  return host;
}

/**
 * os.tmpdir(), unless TMPDIR points somewhere the test user cannot enter (a private
 * per-user temp dir): then /tmp, which is world-enterable on every Unix.
 */
function tempRootOthersCanEnter(): string {
  const root = tmpdir();
  for (let d = root; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return '/tmp';
    if (dirname(d) === d) return root;
  }
}

/** Copies the shims (scripts and their awk library) to `to`, readable and runnable by anyone. */
function copyShims(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  chmodSync(to, 0o755);
  for (const entry of readdirSync(to)) {
    const file = join(to, entry);
    chmodSync(file, statSync(file).mode & 0o100 ? 0o755 : 0o644);
  }
  return to;
}

function keygen(file: string, passphrase: string): void {
  execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'rw-test', '-f', file], {
    stdio: 'ignore',
  });
  chmodSync(file, 0o600);
}

function ensureTestUser(): void {
  const exists = () => {
    try {
      execFileSync('id', [TEST_USER], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (!exists()) {
    try {
      execFileSync('useradd', ['-M', '-d', TEST_HOME, '-s', '/bin/sh', TEST_USER], {
        stdio: 'ignore',
      });
    } catch (error) {
      // Another test file may have created it at the same moment.
      if (!exists()) throw error;
    }
  }
  // A missing home makes sshd print "Could not chdir to home directory" on every command.
  mkdirSync(TEST_HOME, { recursive: true });
  execFileSync('chown', [`${TEST_USER}:`, TEST_HOME], { stdio: 'ignore' });
  const entry = execFileSync('getent', ['passwd', TEST_USER]).toString();
  if (entry.split(':')[5] !== TEST_HOME) {
    // usermod refuses while the user runs a process (e.g. a hang test's sleep): then the
    // old home only costs a warning on stderr.
    try {
      execFileSync('usermod', ['-d', TEST_HOME, TEST_USER], { stdio: 'ignore' });
    } catch {
      /* see above */
    }
  }
  // useradd leaves the account locked ("!"), and sshd then refuses even key logins.
  execFileSync('usermod', ['-p', '*', TEST_USER], { stdio: 'ignore' });
}

function canBind(address: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, address, () => {
      const info = server.address();
      const bound = typeof info === 'object' && info ? info.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/** A port free on every address: the first address picks one, the others must agree. */
async function commonFreePort(addresses: string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await canBind(addresses[0] ?? '127.0.0.1', 0);
    if (port === null) continue;
    const others = await Promise.all(addresses.slice(1).map((a) => canBind(a, port)));
    if (others.every((p) => p === port)) return port;
  }
  throw new Error(`no port free on all of ${addresses.join(', ')}`);
}

async function waitForBanner(
  address: string,
  port: number,
  child: ChildProcess,
  log: string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) break;
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: address, port });
      const done = (value: boolean) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('data', (chunk) => done(chunk.toString('latin1').startsWith('SSH-2.0')));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const text = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '(no log)';
  throw new Error(`sshd on ${address}:${port} did not start: ${text}`);
}

function stopProcess(proc: HostProcess): Promise<void> {
  const child = proc.child;
  proc.child = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGCONT');
    child.kill('SIGTERM');
  });
}
