import pLimit, { type LimitFunction } from 'p-limit';
import ssh2, { type Client, type ClientChannel, type ParsedKey } from 'ssh2';
import type { Duplex } from 'node:stream';
import { backoffDelay, type BackoffOptions } from '../../backoff';
import type { Disposable } from '../../lifecycle';
import { isRwError } from '../../errors/rw-error';
import { planAuth, type SecretLookup } from './auth';
import {
  algorithmsForKeyTypes,
  appendKnownHost,
  checkHostKeyNames,
  fingerprint,
  knownHostsName,
  knownKeyTypes,
  readKnownHosts,
  type HostKeyName,
} from './known-hosts';
import { shellJoin } from './shell-quote';
import { SshError } from './ssh-error';
import { hostPort, targetKey, type SshTarget } from './target';

/** What one remote command produced. A non-zero exit is a result, not an error. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when the command died from a signal. */
  code: number | null;
  signal: string | null;
}

/** Per-call options of `exec`. */
export interface ExecOptions {
  signal?: AbortSignal;
  /** Overrides the target's command timeout. */
  timeoutMs?: number;
  /** Output beyond this many bytes (stdout + stderr) fails the call as `bad_response`. */
  maxOutputBytes?: number;
}

/** Construction options; everything has a sensible default. */
export interface SshPoolOptions {
  secrets?: SecretLookup | null;
  /** ssh-agent socket; defaults to `SSH_AUTH_SOCK`. */
  agentSocket?: string | null;
  /** SSH-level keep-alive; three unanswered ones drop the connection. */
  keepaliveIntervalMs?: number;
  /** A connection unused this long is closed (VMs come and go; their connections must not pile up). */
  idleTimeoutMs?: number;
  /** Delay between failed connection attempts to one host (jittered, exponential). */
  backoff?: Partial<BackoffOptions>;
  random?: () => number;
  now?: () => number;
}

/** Counters for benchmarks and tests. */
export interface PoolStats {
  /** TCP/SSH connections opened since the pool was created (jump hosts included). */
  connectionsOpened: number;
  /** Connections open right now. */
  open: number;
}

interface Connection {
  key: string;
  client: Client;
  ready: Promise<Client>;
  closed: boolean;
  /** Commands running on this connection, failed at once when it drops. */
  running: Set<(error: SshError) => void>;
  lastUsed: number;
  /** Commands at once on this connection: sshd refuses sessions past MaxSessions (10). */
  channels: LimitFunction;
  /** Pool key of the jump host's connection, kept alive while this one is used. */
  jumpKey: string | null;
}

interface Failure {
  count: number;
  notBefore: number;
  error: SshError;
}

// ssh2 is CommonJS: Node's ESM loader sees only its default export (module.exports).
const { Client: SshClient } = ssh2;

const DEFAULT_MAX_OUTPUT = 8 * 1024 * 1024;
/** Below OpenSSH's default MaxSessions (10), leaving room for forwarded jump channels. */
const CHANNELS_PER_CONNECTION = 8;

/**
 * A pool of SSH connections on `ssh2`: one per `user@host:port` (+ jump host), opened on
 * first use, kept alive, reused by every command. Host keys are checked against the
 * target's known_hosts (unknown refused unless trust-on-first-use, changed always
 * refused with the SHA256 fingerprint). A host whose connection failed is retried after
 * a jittered exponential backoff; a connection that dropped is simply reopened.
 */
export class SshPool implements Disposable {
  private readonly connections = new Map<string, Connection>();
  private readonly failures = new Map<string, Failure>();
  private readonly keyCache = new Map<string, Promise<ParsedKey | string>>();
  private readonly secrets: SecretLookup | null;
  private readonly agentSocket: string | null;
  private readonly keepaliveIntervalMs: number;
  private readonly idleTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private readonly now: () => number;
  private opened = 0;
  private disposed = false;

  constructor(options: SshPoolOptions = {}) {
    this.secrets = options.secrets ?? null;
    this.agentSocket =
      options.agentSocket === undefined ? (process.env.SSH_AUTH_SOCK ?? null) : options.agentSocket;
    this.keepaliveIntervalMs = options.keepaliveIntervalMs ?? 15_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 10 * 60_000;
    this.backoff = { baseMs: 2_000, maxMs: 5 * 60_000, jitter: 0.2, ...options.backoff };
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  get stats(): PoolStats {
    let open = 0;
    for (const c of this.connections.values()) if (!c.closed) open += 1;
    return { connectionsOpened: this.opened, open };
  }

  /**
   * Runs `argv` on the host, every argument shell-quoted, and resolves with its output and
   * exit status. Throws `SshError`: `timeout` (connect or command; the connection is then
   * dropped, since a hung host cannot be trusted with the next command), `unreachable`
   * (refused, dropped mid-command), `unauthorized`, `host_key`, `bad_response` (output too
   * large). The caller's signal aborts the call.
   */
  async exec(
    target: SshTarget,
    argv: readonly string[],
    options: ExecOptions = {},
  ): Promise<ExecResult> {
    const command = shellJoin(argv);
    const signal = options.signal;
    signal?.throwIfAborted();
    const deadline = options.timeoutMs ?? target.commandTimeoutMs;
    this.sweep();
    const connection = await this.connection(target, signal);
    signal?.throwIfAborted();
    this.touch(connection);
    try {
      return await connection.channels(async () => {
        // sshd frees a session slot a moment after the channel closed: a refused channel
        // is retried a few times before it counts as a failure.
        for (let attempt = 1; ; attempt++) {
          signal?.throwIfAborted();
          try {
            return await this.run(
              connection,
              target,
              command,
              deadline,
              options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
              signal,
            );
          } catch (error) {
            if (!(error instanceof ChannelRefused) || attempt >= 5 || connection.closed)
              throw error;
            await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
          }
        }
      });
    } finally {
      this.touch(connection);
    }
  }

  private touch(connection: Connection): void {
    const now = this.now();
    connection.lastUsed = now;
    const jump = connection.jumpKey ? this.connections.get(connection.jumpKey) : undefined;
    if (jump) jump.lastUsed = now;
  }

  /** Closes connections idle for longer than the idle timeout; forgets old failures. */
  private sweep(): void {
    const now = this.now();
    for (const [key, connection] of this.connections) {
      if (connection.running.size === 0 && now - connection.lastUsed > this.idleTimeoutMs) {
        this.connections.delete(key);
        void this.close(connection);
      }
    }
    for (const [key, failure] of this.failures) {
      if (now - failure.notBefore > this.backoff.maxMs) this.failures.delete(key);
    }
  }

  /** Closes every connection and refuses further calls. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const closing: Promise<void>[] = [];
    for (const connection of this.connections.values()) closing.push(this.close(connection));
    this.connections.clear();
    await Promise.allSettled(closing);
  }

  /** Drops a host's connection (e.g. after its key was re-trusted). */
  async forget(target: SshTarget): Promise<void> {
    const key = targetKey(target);
    const connection = this.connections.get(key);
    this.failures.delete(key);
    if (connection) {
      this.connections.delete(key);
      await this.close(connection);
    }
  }

  private close(connection: Connection): Promise<void> {
    connection.closed = true;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      timer.unref?.();
      connection.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      connection.client.end();
      // A connection that never finished its handshake may not emit close after end().
      setTimeout(() => connection.client.destroy(), 500).unref?.();
    });
  }

  private async connection(target: SshTarget, signal?: AbortSignal): Promise<Connection> {
    if (this.disposed) throw new SshError('unreachable', label(target), 'the SSH pool is closed');
    const key = targetKey(target);
    const existing = this.connections.get(key);
    if (existing && !existing.closed) {
      await existing.ready;
      return existing;
    }
    const failure = this.failures.get(key);
    const now = this.now();
    if (failure && now < failure.notBefore) {
      const wait = Math.ceil((failure.notBefore - now) / 1000);
      throw new SshError(
        failure.error.code,
        label(target),
        `${stripHost(failure.error)} (not retried for another ${wait} s)`,
      );
    }
    const connection = this.open(target, key, signal);
    this.connections.set(key, connection);
    try {
      await connection.ready;
      this.failures.delete(key);
      return connection;
    } catch (error) {
      if (this.connections.get(key) === connection) this.connections.delete(key);
      const sshError = toSshError(error, target);
      // The caller gave up (engine stopping, its own deadline): that says nothing about the host.
      if (signal?.aborted) throw sshError;
      const count = (failure?.count ?? 0) + 1;
      this.failures.set(key, {
        count,
        notBefore: this.now() + backoffDelay(count, this.backoff, this.random),
        error: sshError,
      });
      throw sshError;
    }
  }

  private open(target: SshTarget, key: string, signal?: AbortSignal): Connection {
    const client = new SshClient();
    const connection: Connection = {
      key,
      client,
      ready: Promise.resolve(client),
      closed: false,
      running: new Set(),
      lastUsed: this.now(),
      channels: pLimit(CHANNELS_PER_CONNECTION),
      jumpKey: target.jump ? targetKey(target.jump) : null,
    };
    const who = label(target);
    connection.ready = (async () => {
      const known = await readKnownHosts(target.knownHostsFile);
      const knownTypes = knownKeyTypes(known.entries, hostKeyNames(target));
      const auth = await planAuth({
        user: target.user,
        identityFiles: target.identityFiles,
        useAgent: target.useAgent,
        agentSocket: this.agentSocket,
        passphrase: target.passphrase,
        secrets: this.secrets,
        keyCache: this.keyCache,
      });
      if (auth.methods.length === 0) {
        const why = auth.notes.length
          ? auth.notes.join('; ')
          : 'no ssh-agent and no identity files configured';
        throw new SshError('unauthorized', who, `no usable credentials: ${why}`);
      }
      const sock = target.jump
        ? await this.forward(target.jump, target.host, target.port, signal)
        : undefined;
      signal?.throwIfAborted();
      let hostKeyError: SshError | null = null;
      this.opened += 1;
      return await new Promise<Client>((resolve, reject) => {
        let settled = false;
        const fail = (error: SshError) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          client.destroy();
          reject(error);
        };
        const onAbort = () => fail(new SshError('timeout', who, 'connection aborted'));
        signal?.addEventListener('abort', onAbort, { once: true });
        client.on('ready', () => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(client);
        });
        client.on('error', (error: Error & { level?: string }) => {
          if (hostKeyError) return fail(hostKeyError);
          fail(connectError(error, target, auth.offered, auth.notes));
        });
        client.on('close', () => {
          connection.closed = true;
          if (this.connections.get(key) === connection) this.connections.delete(key);
          for (const abort of connection.running) {
            abort(new SshError('unreachable', who, 'connection lost while the command ran'));
          }
          connection.running.clear();
          fail(
            hostKeyError ??
              new SshError('unreachable', who, 'connection closed during the handshake'),
          );
        });
        client.connect({
          host: target.host,
          port: target.port,
          username: target.user,
          ...(sock ? { sock } : {}),
          readyTimeout: target.connectTimeoutMs,
          keepaliveInterval: this.keepaliveIntervalMs,
          keepaliveCountMax: 3,
          authHandler: auth.methods,
          ...(knownTypes.length > 0
            ? { algorithms: { serverHostKey: algorithmsForKeyTypes(knownTypes) as never } }
            : {}),
          hostVerifier: (hostKey: Buffer, verify: (valid: boolean) => void) => {
            void this.verifyHostKey(target, hostKey).then(
              () => verify(true),
              (error: unknown) => {
                hostKeyError = toSshError(error, target);
                verify(false);
              },
            );
          },
        });
        // Nagle's algorithm holds each small SSH packet (channel open, exec request) until
        // the previous one is ACKed, and the peer delays its ACK by up to 40 ms: about 85 ms
        // per command on an open connection instead of 2–3 ms. A forwarded jump channel has
        // no socket of its own; its jump connection's socket gets the flag.
        client.setNoDelay(true);
      });
    })();
    // Avoid an unhandled rejection when nobody awaits a failed background connect.
    connection.ready.catch(() => undefined);
    return connection;
  }

  /** A TCP stream to host:port through the jump host's pooled connection. */
  private async forward(
    jump: SshTarget,
    host: string,
    port: number,
    signal?: AbortSignal,
  ): Promise<Duplex> {
    const connection = await this.connection(jump, signal);
    return new Promise<Duplex>((resolve, reject) => {
      connection.client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
        if (error) {
          reject(
            new SshError(
              'unreachable',
              `${label(jump)} → ${hostPort(host, port)}`,
              `jump host cannot open a channel: ${error.message}`,
            ),
          );
        } else resolve(stream);
      });
    });
  }

  private async verifyHostKey(target: SshTarget, key: Buffer): Promise<void> {
    const who = label(target);
    const known = await readKnownHosts(target.knownHostsFile);
    const [keyHost, keyPort] = hostKeyName(target);
    const address = target.hostKeyAlias ? { host: target.host, port: target.port } : null;
    const result = checkHostKeyNames(known.entries, { host: keyHost, port: keyPort }, address, key);
    const name = knownHostsName(keyHost, keyPort);
    const addressName = address ? knownHostsName(address.host, address.port) : null;
    switch (result.status) {
      case 'ok':
        return;
      case 'revoked':
        throw new SshError(
          'host_key',
          who,
          `host key ${fingerprint(key)} is marked @revoked in ${target.knownHostsFile} line ${result.line}; refusing to connect`,
        );
      case 'changed':
        throw new SshError(
          'host_key',
          who,
          `HOST KEY CHANGED: ${name} offered ${fingerprint(key)}, which does not match ${target.knownHostsFile} (line ${result.lines.join(', ')}); refusing to connect. If the host was really re-installed, remove the old entry (ssh-keygen -R '${name}' -f ${target.knownHostsFile})`,
        );
      case 'unknown':
        if (!target.trustOnFirstUse) {
          const where = addressName ? `${name} or ${addressName}` : name;
          const recycled = result.addressLines?.length
            ? ` (${addressName} is there with another key, line ${result.addressLines.join(', ')}: an earlier machine on a recycled address)`
            : '';
          throw new SshError(
            'host_key',
            who,
            `unknown host key ${fingerprint(key)} for ${where}: not in ${target.knownHostsFile}${recycled} and trust-on-first-use is off. ` +
              `Check the fingerprint, then add the key (ssh-keyscan ${target.port === 22 ? '' : `-p ${target.port} `}${target.host} >> ${target.knownHostsFile}, or ssh to it once); ` +
              `for autoscaled VMs, new hosts every time, set "trustOnFirstUse": true in the fleet's ssh settings (import-toml --trust-on-first-use proposes it), which records each new VM's key under its machine name`,
          );
        }
        await appendKnownHost(target.knownHostsFile, keyHost, keyPort, key);
        return;
    }
  }

  private run(
    connection: Connection,
    target: SshTarget,
    command: string,
    timeoutMs: number,
    maxOutputBytes: number,
    signal?: AbortSignal,
  ): Promise<ExecResult> {
    const who = label(target);
    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | null = null;
      let settled = false;
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let bytes = 0;
      let code: number | null = null;
      let exitSignal: string | null = null;
      let exited = false;
      const finish = (error: SshError | null, dropConnection = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        connection.running.delete(finish);
        if (error) {
          channel?.close();
          // A command that overran or was cut off leaves the connection in doubt: drop it.
          if (dropConnection) void this.dropConnection(connection);
          reject(error);
          return;
        }
        resolve({
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          code,
          signal: exitSignal,
        });
      };
      const timer = setTimeout(
        () =>
          finish(
            new SshError('timeout', who, `command did not finish within ${timeoutMs} ms`),
            true,
          ),
        timeoutMs,
      );
      timer.unref?.();
      const onAbort = () => finish(new SshError('timeout', who, 'command aborted'), true);
      signal?.addEventListener('abort', onAbort, { once: true });
      connection.running.add(finish);
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxOutputBytes) {
          finish(
            new SshError('bad_response', who, `command printed more than ${maxOutputBytes} bytes`),
            true,
          );
          return;
        }
        into.push(chunk);
      };
      try {
        connection.client.exec(command, (error, stream) => {
          if (error) {
            // A refused channel does not mean the connection is bad; a dead one closes itself.
            finish(
              new ChannelRefused('unreachable', who, `cannot start the command: ${error.message}`),
              false,
            );
            return;
          }
          channel = stream;
          if (settled) {
            stream.close();
            return;
          }
          stream.on('data', collect(stdout));
          stream.stderr.on('data', collect(stderr));
          stream.on('exit', (exitCode: number | null, signalName?: string) => {
            exited = true;
            code = typeof exitCode === 'number' ? exitCode : null;
            exitSignal = signalName ?? null;
          });
          stream.on('close', () => {
            if (!exited) {
              finish(
                new SshError(
                  'unreachable',
                  who,
                  'the command ended without an exit status (connection dropped?)',
                ),
                true,
              );
            } else finish(null);
          });
        });
      } catch (error) {
        finish(
          new SshError('unreachable', who, `cannot start the command: ${(error as Error).message}`),
          true,
        );
      }
    });
  }

  private async dropConnection(connection: Connection): Promise<void> {
    if (this.connections.get(connection.key) === connection)
      this.connections.delete(connection.key);
    connection.closed = true;
    connection.client.destroy();
  }
}

/** sshd refused to open a session channel (too many at once); worth a retry. */
class ChannelRefused extends SshError {}

/**
 * The name the host key is filed under in known_hosts: the HostKeyAlias when set (as
 * OpenSSH does, without a port), else host and port.
 */
function hostKeyName(target: SshTarget): [string, number] {
  return target.hostKeyAlias ? [target.hostKeyAlias, 22] : [target.host, target.port];
}

/** Every name a key of this host may be filed under: its own name, and its address. */
function hostKeyNames(target: SshTarget): HostKeyName[] {
  const [host, port] = hostKeyName(target);
  return target.hostKeyAlias
    ? [
        { host, port },
        { host: target.host, port: target.port },
      ]
    : [{ host, port }];
}

function label(target: SshTarget): string {
  const self = `${target.user}@${hostPort(target.host, target.port)}`;
  const named = target.label !== target.host ? `${target.label} (${self})` : self;
  return target.jump
    ? `${named} via ${target.jump.user}@${hostPort(target.jump.host, target.jump.port)}`
    : named;
}

/** The message of an SshError without its `host: ` prefix, to re-raise it for the same host. */
function stripHost(error: SshError): string {
  const prefix = `${error.host}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

function toSshError(error: unknown, target: SshTarget): SshError {
  if (error instanceof SshError) return error;
  if (isRwError(error))
    return new SshError(error.code, label(target), error.message, { cause: error });
  return new SshError(
    'unreachable',
    label(target),
    error instanceof Error ? error.message : String(error),
    {
      cause: error,
    },
  );
}

function connectError(
  error: Error & { level?: string; code?: string },
  target: SshTarget,
  offered: string[],
  notes: string[],
): SshError {
  const who = label(target);
  if (error.level === 'client-authentication') {
    const extra = notes.length ? `; also: ${notes.join('; ')}` : '';
    return new SshError(
      'unauthorized',
      who,
      `authentication failed (offered ${offered.join(', ')})${extra}`,
    );
  }
  if (error.level === 'client-timeout' || /timed out/i.test(error.message)) {
    return new SshError('timeout', who, `no SSH handshake within ${target.connectTimeoutMs} ms`);
  }
  const code = error.code ? ` (${error.code})` : '';
  return new SshError('unreachable', who, `cannot connect: ${error.message}${code}`, {
    cause: error,
  });
}
