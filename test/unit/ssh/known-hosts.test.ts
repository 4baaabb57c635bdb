import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  checkHostKey,
  entryMatchesHost,
  fingerprint,
  knownHostsName,
  parseKnownHosts,
} from '../../../electron/core/sources/ssh/known-hosts';

const dir = mkdtempSync(join(tmpdir(), 'rw-kh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasKeygen = existsSync('/usr/bin/ssh-keygen');

function genKey(name: string): { line: string; blob: Buffer; fp: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  const pub = readFileSync(`${file}.pub`, 'utf8').trim();
  const fp =
    execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
      .toString()
      .split(' ')[1] ?? '';
  const [type, b64] = pub.split(' ');
  return { line: `${type} ${b64}`, blob: Buffer.from(b64 ?? '', 'base64'), fp };
}

describe.skipIf(!hasKeygen)('known_hosts', () => {
  const a = hasKeygen ? genKey('a') : { line: '', blob: Buffer.alloc(0), fp: '' };
  const b = hasKeygen ? genKey('b') : { line: '', blob: Buffer.alloc(0), fp: '' };

  const hashedFile = () => {
    const file = join(dir, 'hashed-tofu');
    writeFileSync(file, `127.0.2.70 ${a.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
    rmSync(`${file}.old`, { force: true });
    return file;
  };

  it('computes the same SHA256 fingerprint as ssh-keygen', () => {
    expect(fingerprint(a.blob)).toBe(a.fp);
  });

  it('matches plain, [host]:port, wildcard and negated patterns', () => {
    const { entries, problems } = parseKnownHosts(
      [
        '# comment',
        '',
        `127.0.2.1,build-1 ${a.line}`,
        `[127.0.2.2]:2222 ${a.line} some comment`,
        `127.0.3.*,!127.0.3.9 ${a.line}`,
        `@cert-authority *.example ${b.line}`,
        `@bogus host ${a.line}`,
        'too-short ssh-ed25519',
        `x ssh-rsa ${a.line.split(' ')[1]}`,
      ].join('\n'),
    );
    expect(problems.map((p) => p.line)).toEqual([7, 8, 9]);
    const [e1, e2, e3] = entries;
    expect(entryMatchesHost(e1!, '127.0.2.1', 22)).toBe(true);
    expect(entryMatchesHost(e1!, 'BUILD-1', 22)).toBe(true);
    expect(entryMatchesHost(e1!, '127.0.2.1', 2222)).toBe(false);
    expect(entryMatchesHost(e2!, '127.0.2.2', 2222)).toBe(true);
    expect(entryMatchesHost(e2!, '127.0.2.2', 22)).toBe(false);
    expect(entryMatchesHost(e3!, '127.0.3.7', 22)).toBe(true);
    expect(entryMatchesHost(e3!, '127.0.3.9', 22)).toBe(false);
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('h', 2200)).toBe('[h]:2200');
  });

  it('matches entries hashed by ssh-keygen -H, with and without port', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `127.0.2.5 ${a.line}\n[127.0.2.6]:2022 ${b.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('127.0.2');
    const { entries } = parseKnownHosts(text);
    expect(entries.every((e) => e.hosts.startsWith('|1|'))).toBe(true);
    expect(checkHostKey(entries, '127.0.2.5', 22, a.blob)).toEqual({ status: 'ok' });
    expect(checkHostKey(entries, '127.0.2.6', 2022, b.blob)).toEqual({ status: 'ok' });
    expect(checkHostKey(entries, '127.0.2.6', 22, b.blob)).toEqual({ status: 'unknown' });
    expect(checkHostKey(entries, '127.0.2.5', 22, b.blob)).toMatchObject({
      status: 'changed',
      knownTypes: ['ssh-ed25519'],
    });
  });

  it('refuses @revoked keys and does not treat CA lines as host keys', () => {
    const { entries } = parseKnownHosts(`@revoked * ${a.line}\n@cert-authority h ${b.line}\n`);
    expect(checkHostKey(entries, 'h', 22, a.blob)).toEqual({ status: 'revoked', line: 1 });
    expect(checkHostKey(entries, 'h', 22, b.blob)).toEqual({ status: 'unknown' });
  });

  it('hashes a trusted key’s name when the file is hashed, and ssh-keygen finds it', async () => {
    const file = hashedFile();
    await appendKnownHost(file, '127.0.2.77', 2201, b.blob);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('127.0.2.77');
    expect(
      text
        .trim()
        .split('\n')
        .every((l) => l.startsWith('|1|')),
    ).toBe(true);
    expect(checkHostKey(parseKnownHosts(text).entries, '127.0.2.77', 2201, b.blob)).toEqual({
      status: 'ok',
    });
    expect(
      execFileSync('ssh-keygen', ['-F', '[127.0.2.77]:2201', '-f', file]).toString(),
    ).toContain(b.line);
  });

  it('appends a trusted key in the [host]:port form, 0600, and finds it afterwards', async () => {
    const file = join(dir, 'sub', 'known_hosts');
    await appendKnownHost(file, '127.0.2.9', 2200, a.blob);
    writeFileSync(file, readFileSync(file, 'utf8').trimEnd()); // no trailing newline
    await appendKnownHost(file, '127.0.2.10', 22, b.blob);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(`[127.0.2.9]:2200 ${a.line}\n127.0.2.10 ${b.line}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.2.9]:2200', '-f', file]).toString();
    expect(found).toContain(a.line);
  });
});
