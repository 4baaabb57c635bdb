import { spawn, type ChildProcess } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type Connection, type ParsedKey } from 'ssh2';
import { generateEd25519 } from './ed25519-keys';
import { SHIMS_DIR } from './host-state';

/*
 * Simulated SSH hosts on ssh2's Server: one listener per host on its own loopback address
 * and one shared port, each host with its own ed25519 host key. Only the client key given
 * (or generated) may log in. Commands run through `/bin/sh -c` with the shims first on
 * PATH and RW_SIM_STATE pointing at that host's state, so `df -Pk /` answers with the
 * host's numbers. Forwarding to other loopback hosts works (ProxyJump through the manager).
 * Faults per host: refuse connections, hang (no SSH banner), drop the connection
 * mid-command, or never finish a command.
 */

const { Server: SshServer, utils } = ssh2;

/** What goes wrong on a host, or null for nothing. */
export type SshFault = 'refuse' | 'hang' | 'drop' | 'hang-exec' | null;

/** A host to serve. */
export interface SshSimHostInit {
  /** Loopback address, e.g. 127.0.1.3. */
  address: string;
  /** Directory with the host's state (see host-state.ts). */
  stateDir: string;
  /** For logs and known_hosts comments; default the address. */
  name?: string;
}

/** Options of the SSH simulator. */
export interface SshSimOptions {
  hosts?: SshSimHostInit[];
  /** Shared port; default: a free one. */
  port?: number;
  /** The only user that may log in; default `runner`. */
  user?: string;
  /** Directory of the shims put first on PATH; default test/sim/shims. */
  shimsDir?: string;
  /** Server-side keepalive interval (ms); default 5000. */
  keepaliveIntervalMs?: number;
}

/** One command as a host ran it. */
export interface SshExecLogEntry {
  address: string;
  command: string;
  /** null when the command never finished (dropped, hung). */
  exitCode: number | null;
}

interface HostKey {
  privateKey: string;
  /** `ssh-ed25519 AAAA…` */
  publicKey: string;
}

interface Host {
  init: SshSimHostInit;
  listener: NetServer | null;
  ssh: InstanceType<typeof SshServer>;
  sockets: Set<Socket>;
  children: Set<ChildProcess>;
  fault: SshFault;
}

const isLoopback = (address: string) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);

function listen(server: NetServer, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, address, () => {
      server.off('error', onError);
      const a = server.address();
      if (a === null || typeof a === 'string') reject(new Error('no TCP address'));
      else resolve(a.port);
    });
  });
}

/** The running SSH simulator. */
export class SshSim {
  /** Path of the client's OpenSSH private key file (mode 0600). */
  readonly clientKeyFile: string;
  /** The client's public key, `ssh-ed25519 AAAA… runner-watch-sim`. */
  readonly clientPublicKey: string;
  /** The user that may log in. */
  readonly user: string;
  /** Every command run, in order. */
  readonly execs: SshExecLogEntry[] = [];
  /** Every forwarded connection (ProxyJump): through which host, to which address:port. */
  readonly forwards: { via: string; to: string }[] = [];

  private readonly hosts = new Map<string, Host>();
  /** Host keys by address, kept when a host goes away so a recreated VM keeps its key. */
  private readonly hostKeys = new Map<string, HostKey>();
  private readonly allowedKey: ParsedKey;
  private port = 0;
  private disposed = false;

  private constructor(
    private readonly keyDir: string,
    private readonly shimsDir: string,
    private readonly keepaliveMs: number,
    user: string,
  ) {
    const pair = generateEd25519('runner-watch-sim');
    this.clientKeyFile = join(keyDir, 'id_ed25519');
    writeFileSync(this.clientKeyFile, pair.private, { mode: 0o600 });
    writeFileSync(`${this.clientKeyFile}.pub`, pair.public + '\n');
    this.clientPublicKey = pair.public;
    const parsed = utils.parseKey(pair.public);
    if (parsed instanceof Error) throw parsed;
    this.allowedKey = parsed;
    this.user = user;
  }

  /** Starts listeners for the given hosts on one shared port. */
  static async start(options: SshSimOptions = {}): Promise<SshSim> {
    const user = options.user ?? 'runner';
    const keepalive = options.keepaliveIntervalMs ?? 5000;
    if (!(keepalive > 0))
      throw new RangeError(`keepaliveIntervalMs must be positive, got ${keepalive}`);
    const sim = new SshSim(
      mkdtempSync(join(tmpdir(), 'rw-ssh-sim-')),
      options.shimsDir ?? SHIMS_DIR,
      keepalive,
      user,
    );
    const hosts = options.hosts ?? [];
    for (const h of hosts)
      if (!isLoopback(h.address))
        throw new RangeError(`simulated SSH hosts listen on loopback only, not ${h.address}`);
    // A port free on the first address may be taken on another: try a few.
    for (let attempt = 0; ; attempt++) {
      sim.port = options.port ?? 0;
      try {
        for (const h of hosts) await sim.addHost(h);
        // a fleet may start empty: reserve a port anyway so later hosts share it
        if (hosts.length === 0 && sim.port === 0) {
          const probe = createServer();
          sim.port = await listen(probe, 0, '127.0.0.1');
          await new Promise<void>((r) => probe.close(() => r()));
        }
        return sim;
      } catch (error) {
        await sim.closeHosts();
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' || options.port !== undefined || attempt >= 5) {
          await sim.dispose();
          throw error;
        }
      }
    }
  }

  /** The port every host listens on. */
  get sharedPort(): number {
    return this.port;
  }

  /** Addresses currently served. */
  addresses(): string[] {
    return [...this.hosts.keys()];
  }

  /** Starts serving a host (a VM that came up). */
  async addHost(init: SshSimHostInit): Promise<void> {
    if (this.disposed) throw new Error('the SSH simulator is disposed');
    if (!isLoopback(init.address))
      throw new RangeError(`simulated SSH hosts listen on loopback only, not ${init.address}`);
    if (this.hosts.has(init.address)) throw new Error(`a host already listens on ${init.address}`);
    const key = this.hostKeyFor(init.address);
    const ssh = new SshServer(
      { hostKeys: [key.privateKey], keepaliveInterval: this.keepaliveMs, keepaliveCountMax: 3 },
      (client, info) => this.onClient(host, client, info.ip, info.port),
    );
    const host: Host = {
      init,
      listener: null,
      ssh,
      sockets: new Set(),
      children: new Set(),
      fault: null,
    };
    this.hosts.set(init.address, host);
    try {
      await this.openListener(host);
    } catch (error) {
      this.hosts.delete(init.address);
      throw error;
    }
  }

  /** Stops serving a host (a VM that was deleted): its connections drop, new ones are refused. */
  async removeHost(address: string): Promise<void> {
    const host = this.hosts.get(address);
    if (!host) return;
    this.hosts.delete(address);
    await this.shutdown(host);
  }

  /** Sets or clears a fault on a host. */
  async setFault(address: string, fault: SshFault): Promise<void> {
    const host = this.hosts.get(address);
    if (!host) throw new Error(`no simulated SSH host at ${address}`);
    const before = host.fault;
    host.fault = fault;
    if (fault === 'refuse' && before !== 'refuse') {
      // A host that refuses connections is down: pooled connections drop too (and the
      // listener's close would otherwise wait for them forever).
      for (const socket of host.sockets) socket.destroy();
      await this.closeListener(host);
    }
    if (fault !== 'refuse' && before === 'refuse') await this.openListener(host);
  }

  /** Makes sure a host key exists for each address (VMs that may come later) . */
  reserveHostKeys(addresses: string[]): void {
    for (const a of addresses) this.hostKeyFor(a);
  }

  /**
   * OpenSSH known_hosts lines for every host (and reserved address):
   * `[127.0.1.5]:PORT ssh-ed25519 AAAA…`.
   */
  knownHostsLines(): string[] {
    return [...this.hostKeys.entries()].map(([address, key]) => {
      const [algo, blob] = key.publicKey.split(' ');
      const where = this.port === 22 ? address : `[${address}]:${this.port}`;
      return `${where} ${algo} ${blob}`;
    });
  }

  /**
   * A known_hosts line filing an address's host key under another name, e.g. the VM's
   * machine name (clients that use it as HostKeyAlias, because VM IPs are recycled):
   * `runner-…-auto-scale-… ssh-ed25519 AAAA…`.
   */
  knownHostsLineAs(name: string, address: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      throw new Error(
        `a known_hosts name must be letters, digits, ".", "_" or "-": ${JSON.stringify(name)}`,
      );
    const key = this.hostKeyFor(address);
    return `${name} ${key.publicKey}`;
  }

  /** Writes known_hosts lines to a file. */
  writeKnownHosts(path: string): void {
    writeFileSync(path, this.knownHostsLines().join('\n') + '\n', { mode: 0o600 });
  }

  /** The host's public key, `ssh-ed25519 AAAA…`. */
  hostPublicKey(address: string): string {
    const key = this.hostKeys.get(address);
    if (!key) throw new Error(`no host key for ${address}`);
    return key.publicKey;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.closeHosts();
    rmSync(this.keyDir, { recursive: true, force: true });
  }

  private async closeHosts(): Promise<void> {
    const hosts = [...this.hosts.values()];
    this.hosts.clear();
    await Promise.all(hosts.map((h) => this.shutdown(h)));
  }

  private hostKeyFor(address: string): HostKey {
    let key = this.hostKeys.get(address);
    if (!key) {
      const pair = generateEd25519(`sim-host-${address}`);
      key = { privateKey: pair.private, publicKey: pair.public.split(' ').slice(0, 2).join(' ') };
      this.hostKeys.set(address, key);
    }
    return key;
  }

  private async openListener(host: Host): Promise<void> {
    const listener = createServer((socket) => {
      host.sockets.add(socket);
      socket.on('close', () => host.sockets.delete(socket));
      socket.on('error', () => undefined);
      // 'hang': the TCP connection opens but no SSH banner ever comes
      if (host.fault === 'hang') return;
      host.ssh.injectSocket(socket);
    });
    const port = await listen(listener, this.port, host.init.address);
    this.port = port;
    host.listener = listener;
  }

  private closeListener(host: Host): Promise<void> {
    const listener = host.listener;
    host.listener = null;
    if (!listener) return Promise.resolve();
    return new Promise((resolve) => listener.close(() => resolve()));
  }

  private async shutdown(host: Host): Promise<void> {
    for (const child of host.children) child.kill('SIGKILL');
    for (const socket of host.sockets) socket.destroy();
    await this.closeListener(host);
  }

  private onClient(host: Host, client: Connection, ip: string, port: number): void {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== this.user)
        return ctx.reject(['publickey']);
      const key = this.allowedKey;
      const offered = ctx.key;
      const wanted = key.getPublicSSH();
      if (
        offered.algo !== key.type ||
        offered.data.length !== wanted.length ||
        !timingSafeEqual(offered.data, wanted)
      ) {
        return ctx.reject(['publickey']);
      }
      // without a signature the client only asks whether this key would do
      if (!ctx.signature || !ctx.blob) return ctx.accept();
      if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true)
        return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      // `ssh -J` / ProxyJump through this host: forward to another loopback host, like sshd
      client.on('tcpip', (accept, reject, info) => {
        if (host.fault === 'hang-exec' || !isLoopback(info.destIP)) return reject();
        this.forwards.push({ via: host.init.address, to: `${info.destIP}:${info.destPort}` });
        if (this.forwards.length > 10_000) this.forwards.splice(0, this.forwards.length - 10_000);
        const upstream = createConnection({ host: info.destIP, port: info.destPort });
        const refuse = () => reject();
        upstream.once('error', refuse);
        upstream.once('connect', () => {
          upstream.off('error', refuse);
          const channel = accept();
          host.sockets.add(upstream);
          upstream.on('error', () => channel.close());
          upstream.on('close', () => {
            host.sockets.delete(upstream);
            channel.close();
          });
          channel.on('error', () => upstream.destroy());
          channel.on('close', () => upstream.destroy());
          channel.pipe(upstream).pipe(channel);
        });
      });
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('env', (accept) => accept?.());
        session.on('pty', (_accept, reject) => reject?.());
        session.on('shell', (_accept, reject) => reject?.());
        session.on('exec', (accept, _reject, info) => {
          const channel = accept();
          const entry: SshExecLogEntry = {
            address: host.init.address,
            command: info.command,
            exitCode: null,
          };
          this.execs.push(entry);
          // a long demo probes forever: keep the recent history only
          if (this.execs.length > 10_000) this.execs.splice(0, this.execs.length - 10_000);
          if (host.fault === 'hang-exec') return;
          const child = spawn('/bin/sh', ['-c', info.command], {
            cwd: host.init.stateDir,
            env: {
              PATH: `${this.shimsDir}:/usr/bin:/bin`,
              RW_SIM_STATE: host.init.stateDir,
              HOME: host.init.stateDir,
              USER: this.user,
              LOGNAME: this.user,
              SHELL: '/bin/sh',
              LANG: 'C',
              SSH_CONNECTION: `${ip} ${port} ${host.init.address} ${this.port}`,
            },
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          host.children.add(child);
          const drop = () => {
            for (const socket of host.sockets) socket.destroy();
          };
          let dropped = false;
          child.stdout.on('data', (chunk: Buffer) => {
            if (dropped) return;
            channel.write(chunk);
            if (host.fault === 'drop') {
              // the first output arrives (give it a moment to leave), then the connection dies under the command
              dropped = true;
              setTimeout(drop, 20);
            }
          });
          child.stderr.on('data', (chunk: Buffer) => {
            if (!dropped) channel.stderr.write(chunk);
          });
          channel.on('data', (chunk: Buffer) => child.stdin.write(chunk));
          channel.on('end', () => child.stdin.end());
          channel.on('error', () => undefined);
          child.stdin.on('error', () => undefined);
          child.on('close', (code, signal) => {
            host.children.delete(child);
            if (dropped) return;
            if (host.fault === 'drop') {
              dropped = true;
              drop();
              return;
            }
            entry.exitCode = code ?? 255;
            try {
              if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
              else channel.exit(code ?? 255);
              channel.end();
            } catch {
              // the client went away first
            }
          });
        });
      });
    });
  }
}
