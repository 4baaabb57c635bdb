import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettingsFile } from '../../../electron/core/config/load-settings';
import { isRwError } from '../../../electron/core/errors/rw-error';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function messageOf(path: string): Promise<string> {
  try {
    await loadSettingsFile(path);
  } catch (error) {
    expect(isRwError(error)).toBe(true);
    expect((error as { code: string }).code).toBe('config_invalid');
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected loadSettingsFile to fail');
}

const fleet = { id: 'prod' };
const json = (value: unknown) => JSON.stringify(value, null, 2);

describe('loadSettingsFile', () => {
  it('accepts a full config and applies defaults', async () => {
    const path = await write(
      'good.json',
      json({
        fleets: [
          { id: 'prod', reaper: { mode: 'auto', samples: 2 } },
          { id: 'hosts', kind: 'dedicated' },
        ],
        hetzner: [
          { id: 'prod', fleet: 'prod', token: { env: 'HCLOUD_TOKEN' }, labelSelector: 'role=ci' },
        ],
        gitlab: [{ id: 'gl', url: 'http://127.0.0.1:1/', token: { file: '~/gl.token' } }],
        sshHosts: [{ alias: 'build-1', fleet: 'hosts', host: '127.0.0.2' }],
      }),
    );
    const settings = await loadSettingsFile(path);
    expect(settings.fleets[0]?.reaper).toMatchObject({
      mode: 'auto',
      samples: 2,
      diskThresholdPct: 60,
    });
    expect(settings.fleets[1]?.ssh.user).toBe('root');
    expect(settings.hetzner[0]?.apiUrl).toBe('https://api.hetzner.cloud/v1');
    expect(settings.probe.concurrency).toBe(16);
  });

  it('accepts an empty object (everything defaults)', async () => {
    const settings = await loadSettingsFile(await write('empty-object.json', '{}'));
    expect(settings.fleets).toEqual([]);
  });

  // Each bad input with its exact one-line message.
  const cases: [name: string, text: string, expected: (path: string) => string][] = [
    [
      'invalid JSON (trailing comma)',
      '{\n  "fleets": [],\n}\n',
      (p) =>
        `config file ${p} is not valid JSON at line 3, column 1: expected a double-quoted property name, found '}'`,
    ],
    [
      'invalid JSON (missing value)',
      '{"fleets": }',
      (p) => `config file ${p} is not valid JSON at line 1, column 12: unexpected '}'`,
    ],
    [
      'invalid JSON (truncated)',
      '{"fleets": [\n',
      (p) => `config file ${p} is not valid JSON at line 2, column 1: unexpected end of input`,
    ],
    ['empty file', '  \n', (p) => `config file ${p} is empty (expected a JSON object)`],
    ['not an object', '[]', (p) => `config ${p}: expected an object, got a list`],
    ['unknown top-level field', json({ fleet: [] }), (p) => `config ${p}: unknown field fleet`],
    [
      'unknown nested field',
      json({ fleets: [{ id: 'a', bogus: 1 }] }),
      (p) => `config ${p}: unknown field fleets[0].bogus`,
    ],
    [
      'two unknown fields',
      json({ fleets: [{ id: 'a', bogus: 1, other: 2 }] }),
      (p) => `config ${p}: unknown fields fleets[0].bogus, fleets[0].other`,
    ],
    [
      'wrong type',
      json({ fleets: [{ id: 'a', reaper: { samples: 'three' } }] }),
      (p) => `config ${p}: fleets[0].reaper.samples: expected a number, got a string`,
    ],
    [
      'below minimum',
      json({ fleets: [{ id: 'a', reaper: { samples: 0 } }] }),
      (p) => `config ${p}: fleets[0].reaper.samples: expected a number ≥ 1`,
    ],
    [
      'above maximum',
      json({ fleets: [{ id: 'a', warnPct: 200 }] }),
      (p) => `config ${p}: fleets[0].warnPct: expected a number ≤ 100`,
    ],
    [
      'fraction where a whole number belongs',
      json({ fleets: [{ id: 'a', reaper: { samples: 1.5 } }] }),
      (p) => `config ${p}: fleets[0].reaper.samples: expected a whole number, got a fraction`,
    ],
    [
      'missing required field',
      json({ fleets: [{ name: 'x' }] }),
      (p) => `config ${p}: fleets[0].id: missing (expected a string)`,
    ],
    [
      'bad id',
      json({ fleets: [{ id: 'a b' }] }),
      (p) => `config ${p}: fleets[0].id: use letters, digits, ".", "_" or "-"`,
    ],
    [
      'bad enum',
      json({ fleets: [{ id: 'a', reaper: { mode: 'kill' } }] }),
      (p) =>
        `config ${p}: fleets[0].reaper.mode: expected one of "off", "notify", "auto", "dry-run"`,
    ],
    [
      'bad URL',
      json({ gitlab: [{ id: 'g', url: 'nope', token: { env: 'T' } }] }),
      (p) =>
        `config ${p}: gitlab[0].url: expected an http:// or https:// URL such as https://gitlab.example.com`,
    ],
    [
      'inline secret',
      json({
        fleets: [fleet],
        hetzner: [{ id: 'h', fleet: 'prod', token: 'hc-inline-token-value' }],
      }),
      (p) =>
        `config ${p}: hetzner[0].token: secrets are never written inline: use {"env": "NAME"} or {"file": "PATH"}`,
    ],
    [
      'bad secret reference',
      json({
        fleets: [fleet],
        hetzner: [{ id: 'h', fleet: 'prod', token: { env: 'A', file: 'b' } }],
      }),
      (p) =>
        `config ${p}: hetzner[0].token: expected a secret reference {"env": "NAME"} or {"file": "PATH"}`,
    ],
    [
      'dangling fleet id (hetzner)',
      json({ fleets: [fleet], hetzner: [{ id: 'h', fleet: 'staging', token: { env: 'T' } }] }),
      (p) => `config ${p}: hetzner[0].fleet: no fleet with id "staging" (defined: prod)`,
    ],
    [
      'dangling fleet id (ssh host)',
      json({ sshHosts: [{ alias: 'b1', fleet: 'hosts' }] }),
      (p) => `config ${p}: sshHosts[0].fleet: no fleet with id "hosts" (no fleets are defined)`,
    ],
    [
      'duplicate fleet id',
      json({ fleets: [fleet, fleet] }),
      (p) => `config ${p}: fleets[1].id: duplicate id "prod"`,
    ],
    [
      'several problems',
      json({ fleets: [{ id: 'a', warnPct: 0, bogus: 1 }] }),
      (p) => `config ${p}: fleets[0].warnPct: expected a number ≥ 1 (and 1 more problem)`,
    ],
  ];
  it.each(cases)('%s', async (name, text, expected) => {
    const path = await write(`${name.replace(/\W+/g, '-')}.json`, text);
    expect(await messageOf(path)).toBe(expected(path));
  });

  it('counts columns after a byte-order mark as the editor shows them', async () => {
    const path = await write('bom.json', '\ufeff{"fleets": }');
    expect(await messageOf(path)).toBe(
      `config file ${path} is not valid JSON at line 1, column 12: unexpected '}'`,
    );
    await writeFile(path, '\ufeff{"fleets": []}');
    expect((await loadSettingsFile(path)).fleets).toEqual([]);
  });

  it('names a missing file', async () => {
    const path = join(dir, 'nope', 'y.json');
    expect(await messageOf(path)).toBe(`config file ${path} not found`);
  });

  it('names a directory given as the file', async () => {
    expect(await messageOf(dir)).toBe(`config file ${dir} is a directory, not a file`);
  });

  it.skipIf(process.getuid?.() === 0)('names an unreadable file', async () => {
    const path = await write('locked.json', '{}');
    await chmod(path, 0o000);
    expect(await messageOf(path)).toBe(`config file ${path} is not readable (permission denied)`);
  });

  it('never echoes an inline secret value', async () => {
    const path = await write(
      'inline.json',
      json({ fleets: [fleet], hetzner: [{ id: 'h', fleet: 'prod', token: 'hc-secret-abcdef' }] }),
    );
    expect(await messageOf(path)).not.toContain('hc-secret-abcdef');
  });
});
