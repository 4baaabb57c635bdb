import { Client } from 'ssh2';
import type { HostKeyResult } from '../../../shared/settings-api';
import { RwError } from '../errors/rw-error';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  keyTypeOf,
  readKnownHosts,
} from '../sources/ssh/known-hosts';

/** Which host to ask, and the known_hosts file to check (already `~`-expanded). */
export interface HostKeyTarget {
  host: string;
  port: number;
  knownHostsFile: string;
  timeoutMs?: number;
}

/**
 * The key a host offers in its SSH handshake. The handshake stops right after the key
 * (the verifier refuses it), so nothing authenticates and nothing runs on the host.
 */
export function offeredHostKey(host: string, port: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const client = new Client();
    let key: Buffer | null = null;
    let settled = false;
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      client.end();
      if (key) resolve(key);
      else reject(error ?? new RwError('unreachable', `${host}:${port} offered no host key`));
    };
    client.on('error', (error) => {
      finish(
        key
          ? null
          : new RwError(
              'unreachable',
              `cannot read the host key of ${host}:${port}: ${error.message}`,
            ),
      );
    });
    client.on('close', () => finish(null));
    client.connect({
      host,
      port,
      username: 'runner-watch-host-key-check',
      readyTimeout: timeoutMs,
      hostVerifier: (hostKey: Buffer) => {
        key = Buffer.from(hostKey);
        // Refusing ends the handshake before authentication; we only wanted the key.
        setImmediate(() => finish(null));
        return false;
      },
    });
  });
}

async function describe(target: HostKeyTarget, key: Buffer): Promise<HostKeyResult> {
  const { entries } = await readKnownHosts(target.knownHostsFile);
  return {
    host: target.host,
    port: target.port,
    keyType: keyTypeOf(key) ?? 'unknown',
    fingerprint: fingerprint(key),
    status: checkHostKey(entries, target.host, target.port, key).status,
    knownHostsFile: target.knownHostsFile,
  };
}

/** The offered key with what known_hosts says about it (the trust prompt's facts). */
export async function readHostKey(target: HostKeyTarget): Promise<HostKeyResult> {
  return describe(target, await offeredHostKey(target.host, target.port, target.timeoutMs));
}

/**
 * Records the host's key, only when it still offers the key with the fingerprint the
 * person compared, and only when known_hosts does not know the host with another key (a
 * changed key is never overwritten from here: that is what an attacker would want).
 */
export async function trustHostKey(
  target: HostKeyTarget & { fingerprint: string },
): Promise<HostKeyResult> {
  const key = await offeredHostKey(target.host, target.port, target.timeoutMs);
  const before = await describe(target, key);
  if (before.fingerprint !== target.fingerprint)
    throw new RwError(
      'host_key',
      `${target.host}:${target.port} now offers ${before.fingerprint}, not the key you accepted (${target.fingerprint}); nothing was recorded`,
    );
  if (before.status === 'ok') return before;
  if (before.status !== 'unknown')
    throw new RwError(
      'host_key',
      `${target.host}:${target.port} is ${before.status === 'changed' ? 'known with another key' : 'listed as revoked'} in ${target.knownHostsFile}; fix that file by hand (ssh-keygen -R) if the change is expected`,
    );
  await appendKnownHost(target.knownHostsFile, target.host, target.port, key);
  return describe(target, key);
}
