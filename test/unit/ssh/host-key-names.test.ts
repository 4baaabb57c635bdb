import { describe, expect, it } from 'vitest';
import {
  checkHostKeyNames,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
} from '../../../electron/core/sources/ssh/known-hosts';
import { generateEd25519 } from '../../sim/ed25519-keys';

// Where a VM's host key is looked up: under its machine name (HostKeyAlias) or under the
// address dialled, `[addr]:port` off port 22, plain or hashed — as OpenSSH finds keys
// written by ssh or ssh-keyscan. Only the name can make a key "changed".
const blobOf = (comment: string) =>
  Buffer.from(generateEd25519(comment).public.split(' ')[1] ?? '', 'base64');
const oldVm = blobOf('old');
const newVm = blobOf('new');
const name = { host: 'runner-abc-auto-scale-1', port: 22 };
const address = { host: '127.0.9.5', port: 2222 };

function check(lines: string[], key: Buffer, withAddress = true) {
  const { entries, problems } = parseKnownHosts(lines.join('\n'));
  expect(problems).toEqual([]);
  return checkHostKeyNames(entries, name, withAddress ? address : null, key);
}

describe('checkHostKeyNames', () => {
  it.each([
    ['under the machine name', [knownHostsLine(name.host, 22, newVm)], 'ok'],
    ['under [addr]:port (ssh-keyscan -p)', [knownHostsLine(address.host, 2222, newVm)], 'ok'],
    [
      'under a hashed [addr]:port (ssh-keyscan -H -p)',
      [knownHostsLine(address.host, 2222, newVm, true)],
      'ok',
    ],
    ['under a hashed machine name', [knownHostsLine(name.host, 22, newVm, true)], 'ok'],
    ['nowhere', [knownHostsLine('other-vm', 22, oldVm)], 'unknown'],
    [
      'under the address on another port only (not this host)',
      [knownHostsLine(address.host, 22, newVm)],
      'unknown',
    ],
    [
      'the name filed with another key: changed, even when the address vouches',
      [knownHostsLine(name.host, 22, oldVm), knownHostsLine(address.host, 2222, newVm)],
      'changed',
    ],
  ] as const)('key %s → %s', (_, lines, status) => {
    expect(check([...lines], newVm).status).toBe(status);
  });

  it('a name filed with another key only is changed; the address alone never is (recycled IP)', () => {
    expect(check([knownHostsLine(name.host, 22, oldVm)], newVm)).toEqual({
      status: 'changed',
      knownTypes: ['ssh-ed25519'],
      lines: [1],
    });
    // The address was an earlier VM's: unknown, with the line named for the message.
    expect(check([knownHostsLine(address.host, 2222, oldVm)], newVm)).toEqual({
      status: 'unknown',
      addressLines: [1],
    });
  });

  it('without an address (a dedicated host dialled by name) only the name counts', () => {
    expect(check([knownHostsLine(address.host, 2222, newVm)], newVm, false).status).toBe('unknown');
  });

  it('a revoked key is refused under any name', () => {
    const lines = [
      knownHostsLine(address.host, 2222, newVm),
      `@revoked * ${knownHostsLine('x', 22, newVm).split(' ').slice(1).join(' ')}`,
    ];
    expect(check(lines, newVm)).toEqual({ status: 'revoked', line: 2 });
  });

  it('knownKeyTypes collects the types filed under any of the names', () => {
    const { entries } = parseKnownHosts(
      [
        knownHostsLine(address.host, 2222, newVm, true),
        knownHostsLine('elsewhere', 22, oldVm),
      ].join('\n'),
    );
    expect(knownKeyTypes(entries, [name, address])).toEqual(['ssh-ed25519']);
    expect(knownKeyTypes(entries, [name])).toEqual([]);
  });
});
