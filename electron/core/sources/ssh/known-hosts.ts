import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { directoryProblem } from '../../ensure-directory';
import { RwError } from '../../errors/rw-error';
import { FILE_LIMITS, FileReadError, readBoundedText } from '../../read-bounded-file';

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  /** `@revoked` keys are refused; `@cert-authority` lines are CA keys, not host keys. */
  marker: 'revoked' | 'cert-authority' | null;
  /** The host field: comma-separated patterns, or one hashed `|1|salt|hash` name. */
  hosts: string;
  keyType: string;
  key: Buffer;
  /** 1-based line number, for messages. */
  line: number;
}

/** A line that could not be read; OpenSSH skips those too, we keep them for diagnostics. */
export interface KnownHostsProblem {
  line: number;
  reason: string;
}

/** Parses known_hosts text; comments and blank lines are skipped, bad lines reported. */
export function parseKnownHosts(text: string): {
  entries: KnownHostEntry[];
  problems: KnownHostsProblem[];
} {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const word = fields.shift();
      if (word === '@revoked') marker = 'revoked';
      else if (word === '@cert-authority') marker = 'cert-authority';
      else {
        problems.push({ line: index + 1, reason: `unknown marker ${word}` });
        return;
      }
    }
    const [hosts, keyType, base64] = fields;
    if (!hosts || !keyType || !base64) {
      problems.push({ line: index + 1, reason: 'expected "hosts keytype key"' });
      return;
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
      problems.push({ line: index + 1, reason: 'key is not base64' });
      return;
    }
    const key = Buffer.from(base64, 'base64');
    if (keyTypeOf(key) !== keyType) {
      problems.push({ line: index + 1, reason: `key does not match its type ${keyType}` });
      return;
    }
    entries.push({ marker, hosts, keyType, key, line: index + 1 });
  });
  return { entries, problems };
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Whether an entry's host field names this host (hashed, patterns, negations, `[host]:port`). */
export function entryMatchesHost(
  entry: Pick<KnownHostEntry, 'hosts'>,
  host: string,
  port: number,
): boolean {
  const name = knownHostsName(host, port);
  if (entry.hosts.startsWith('|1|')) return hashedMatches(entry.hosts, name);
  let matched = false;
  for (const raw of entry.hosts.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!globMatch(pattern, name.toLowerCase())) continue;
    // A matching negation excludes the host from the whole line, as in OpenSSH.
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  // ['', '1', salt, hash]
  if (parts.length !== 4 || !parts[2] || !parts[3]) return false;
  const salt = Buffer.from(parts[2], 'base64');
  const expected = Buffer.from(parts[3], 'base64');
  const actual = createHmac('sha1', salt).update(name).digest();
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** `*` and `?` wildcards as ssh uses them in host patterns. */
function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(text);
}

/** The outcome of checking a host key against known_hosts. */
export type HostKeyCheck =
  | { status: 'ok' }
  /** `addressLines`: the address is filed with other keys only (a recycled IP, say). */
  | { status: 'unknown'; addressLines?: number[] }
  | { status: 'changed'; knownTypes: string[]; lines: number[] }
  | { status: 'revoked'; line: number };

/** A name a host key is filed under: `host` on port 22, `[host]:port` otherwise. */
export interface HostKeyName {
  host: string;
  port: number;
}

/**
 * Checks an offered host key: `ok` when a plain entry for the host carries this key,
 * `revoked` when a `@revoked` line lists it, `changed` when the host is known with other
 * keys only, `unknown` when no entry names the host. CA lines are not host keys and
 * neither vouch for nor against a key.
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyCheck {
  return checkHostKeyNames(entries, { host, port }, null, key);
}

/**
 * Checks an offered key under its name and its address, as OpenSSH finds keys that
 * `ssh` or `ssh-keyscan` wrote: `name` is what the key is filed under (the HostKeyAlias,
 * a VM's machine name), `address` the address and port dialled (`[addr]:port` off port
 * 22, plain or hashed). The key is accepted when either names it, unless the name is
 * filed with other keys only: that is `changed`. Only the name can make it `changed`: cloud IPs are recycled, so an address filed with another key (an earlier
 * VM's) leaves the key `unknown` — and trust-on-first-use records it under the name.
 */
export function checkHostKeyNames(
  entries: readonly KnownHostEntry[],
  name: HostKeyName,
  address: HostKeyName | null,
  key: Buffer,
): HostKeyCheck {
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const forName = entries.filter(
    (e) => e.marker === null && entryMatchesHost(e, name.host, name.port),
  );
  const forAddress = address
    ? entries.filter((e) => e.marker === null && entryMatchesHost(e, address.host, address.port))
    : [];
  if (forName.some((e) => e.key.equals(key))) return { status: 'ok' };
  // The name filed with other keys is a changed key even if the address vouches for this
  // one: two records contradict each other, and a person must say which is right.
  if (forName.length > 0)
    return {
      status: 'changed',
      knownTypes: [...new Set(forName.map((e) => e.keyType))],
      lines: forName.map((e) => e.line),
    };
  if (forAddress.some((e) => e.key.equals(key))) return { status: 'ok' };
  return forAddress.length > 0
    ? { status: 'unknown', addressLines: forAddress.map((e) => e.line) }
    : { status: 'unknown' };
}

/** Key types known_hosts holds under any of these names (to offer those algorithms first). */
export function knownKeyTypes(
  entries: readonly KnownHostEntry[],
  names: readonly HostKeyName[],
): string[] {
  return [
    ...new Set(
      entries
        .filter((e) => e.marker === null && names.some((n) => entryMatchesHost(e, n.host, n.port)))
        .map((e) => e.keyType),
    ),
  ];
}

/** OpenSSH's fingerprint: `SHA256:` and unpadded base64 of the key blob's SHA-256. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (e.g. `ssh-ed25519`), or null. */
export function keyTypeOf(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return null;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/**
 * Host key algorithms to offer when known_hosts holds these key types for the host, so
 * the server shows the key we know instead of another type we would take for a change.
 */
export function algorithmsForKeyTypes(types: readonly string[]): string[] {
  const out: string[] = [];
  for (const type of types) {
    if (type === 'ssh-rsa') out.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else out.push(type);
  }
  return [...new Set(out)];
}

/**
 * The known_hosts line recording a key: `[host]:port keytype base64`, or with the name
 * hashed as `ssh-keygen -H` writes it (`|1|salt|HMAC-SHA1(salt, name)`).
 */
export function knownHostsLine(host: string, port: number, key: Buffer, hashed = false): string {
  const type = keyTypeOf(key);
  if (!type) throw new Error('not an SSH public key blob');
  const name = knownHostsName(host, port);
  const field = hashed ? hashName(name, randomBytes(20)) : name;
  return `${field} ${type} ${key.toString('base64')}`;
}

function hashName(name: string, salt: Buffer): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

/** Reads a known_hosts file; a missing file is an empty one. */
export async function readKnownHosts(file: string): Promise<ReturnType<typeof parseKnownHosts>> {
  const text = await readKnownHostsText(file);
  return text === null ? { entries: [], problems: [] } : parseKnownHosts(text);
}

/**
 * The file's text, or null when it does not exist. Bounded and FIFO-safe: a known_hosts
 * on `/dev/zero` or a named pipe is refused (host_key: no key can be checked against it).
 */
async function readKnownHostsText(file: string): Promise<string | null> {
  try {
    return await readBoundedText(file, {
      maxBytes: FILE_LIMITS.knownHosts,
      label: 'known_hosts file',
    });
  } catch (error) {
    if (error instanceof FileReadError) {
      if (error.problem === 'missing' && error.errno === 'ENOENT') return null;
      throw new RwError('host_key', error.message, { cause: error });
    }
    throw error;
  }
}

/**
 * Appends a trusted-on-first-use key, creating the file (0600) and its folder (0700). In a
 * file whose entries are all hashed (HashKnownHosts) the new name is hashed too, so the
 * file keeps not revealing which hosts were visited.
 */
export async function appendKnownHost(
  file: string,
  host: string,
  port: number,
  key: Buffer,
): Promise<void> {
  // Bounded, unlike mkdir({recursive: true}), which spins on a path like /proc/self/x.
  const problem = await directoryProblem(dirname(file), true);
  if (problem) throw new RwError('host_key', `cannot record the host key in ${file}: ${problem}`);
  let prefix = '';
  let hashed = false;
  const current = await readKnownHostsText(file);
  if (current !== null) {
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
    const { entries } = parseKnownHosts(current);
    hashed = entries.length > 0 && entries.every((e) => e.hosts.startsWith('|1|'));
  }
  await appendFile(file, `${prefix}${knownHostsLine(host, port, key, hashed)}\n`, { mode: 0o600 });
}
