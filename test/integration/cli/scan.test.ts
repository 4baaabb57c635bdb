import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetSnapshot } from '../../../shared/fleet';
import { childEnv, runCli } from './run-cli';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-cli-scan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function config(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** A one-line error on stderr, nothing on stdout, no stack trace. */
function expectOneLineError(
  run: { code: number | null; stdout: string; stderr: string },
  line: string,
) {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(`${line}\n`);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

/**
 * A config file that was read but is corrupt: the one-line problem, the copy kept beside
 * the file (same text), and the note that nothing runs on it; the file itself untouched.
 */
function expectCorruptConfig(
  path: string,
  run: { code: number | null; stdout: string; stderr: string },
  line: string,
) {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  const tail =
    '; nothing runs on this file until it is fixed: no machine is watched and the reaper does nothing (defaults are never used in its place)\n';
  expect(run.stderr.startsWith(`${line}; a copy is kept at ${path}.corrupt-`), run.stderr).toBe(
    true,
  );
  expect(run.stderr.endsWith(tail), run.stderr).toBe(true);
  expect(run.stderr.split('\n')).toHaveLength(2);
  const copy = run.stderr.slice(`${line}; a copy is kept at `.length, -tail.length);
  expect(readFileSync(copy, 'utf8')).toBe(readFileSync(path, 'utf8'));
}

describe('runner-watch (child process)', () => {
  it('prints the command list for --help and exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^runner-watch \d+\.\d+\.\d+/);
    for (const name of ['demo', 'serve', 'scan'])
      expect(run.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it.each(['demo', 'serve', 'scan'])('prints help for %s', async (name) => {
    const run = await runCli([name, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(new RegExp(`^Usage: runner-watch ${name}`));
    expect(run.stdout).toContain('--help');
  });

  it('refuses an unknown command', async () => {
    const run = await runCli(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^runner-watch: unknown command "frobnicate" \(commands: demo, serve, scan[^)]*; see runner-watch --help\)\n$/,
    );
  });
});

describe('runner-watch scan (child process)', () => {
  it('needs --config', async () => {
    expectOneLineError(
      await runCli(['scan']),
      'runner-watch scan: --config FILE is required (see runner-watch scan --help)',
    );
  });

  it('names a missing config file', async () => {
    const path = join(dir, 'absent.json');
    expectOneLineError(
      await runCli(['scan', '--config', path]),
      `runner-watch scan: config file ${path} not found`,
    );
  });

  it('resolves a relative --config against the working directory', async () => {
    expectOneLineError(
      await runCli(['scan', '--config', 'absent.json'], { cwd: dir }),
      `runner-watch scan: config file ${join(dir, 'absent.json')} not found`,
    );
  });

  it('names invalid JSON with line and column', async () => {
    const path = await config('broken.json', '{\n  "fleets": [\n    {"id": "a",}\n  ]\n}\n');
    expectCorruptConfig(
      path,
      await runCli(['scan', '--config', path]),
      `runner-watch scan: config file ${path} is not valid JSON at line 3, column 16: expected a double-quoted property name, found '}'`,
    );
  });

  it('names an unknown field with its path', async () => {
    const path = await config(
      'unknown.json',
      JSON.stringify({ fleets: [{ id: 'a', bogus: true }] }),
    );
    expectCorruptConfig(
      path,
      await runCli(['scan', '--config', path]),
      `runner-watch scan: config ${path}: unknown field fleets[0].bogus`,
    );
  });

  it('names a dangling fleet id', async () => {
    const path = await config(
      'dangling.json',
      JSON.stringify({
        fleets: [{ id: 'a' }],
        sshHosts: [{ alias: 'b1', fleet: 'b', host: '127.0.0.1' }],
      }),
    );
    expectCorruptConfig(
      path,
      await runCli(['scan', '--config', path]),
      `runner-watch scan: config ${path}: sshHosts[0].fleet: no fleet with id "b" (defined: a)`,
    );
  });

  it('names a missing environment variable with the setting that needs it', async () => {
    const path = await config(
      'missing-env.json',
      JSON.stringify({
        fleets: [{ id: 'ci' }],
        hetzner: [
          {
            id: 'prod',
            fleet: 'ci',
            token: { env: 'RW_TEST_UNSET_HCLOUD_TOKEN' },
            apiUrl: 'http://127.0.0.1:9/v1',
          },
        ],
      }),
    );
    expectOneLineError(
      await runCli(['scan', '--config', path]),
      'runner-watch scan: hetzner[0].token: environment variable RW_TEST_UNSET_HCLOUD_TOKEN is not set',
    );
  });

  it('names a wrong type with its path', async () => {
    const path = await config(
      'wrong-type.json',
      JSON.stringify({ fleets: [{ id: 'a', reaper: { samples: 'three' } }] }),
    );
    expectCorruptConfig(
      path,
      await runCli(['scan', '--config', path]),
      `runner-watch scan: config ${path}: fleets[0].reaper.samples: expected a number, got a string`,
    );
  });

  it('prints an empty snapshot for a config without sources', async () => {
    const path = await config('empty.json', '{}');
    const run = await runCli(['scan', '--config', path, '--json']);
    expect(run.code).toBe(0);
    const snapshot = FleetSnapshot.parse(JSON.parse(run.stdout));
    expect(snapshot.machines).toEqual([]);
    expect(snapshot.sources).toEqual([]);
    const table = await runCli(['scan', '--config', path]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('no machines found');
  });
});

const hetznerSettings = (apiUrl: string, tokenEnv: string) => ({
  fleets: [{ id: 'ci' }],
  hetzner: [{ id: 'prod', fleet: 'ci', token: { env: tokenEnv }, apiUrl, timeoutSec: 5 }],
});

describe('runner-watch scan with a failing source (child process)', () => {
  let server: Server;
  let apiUrl: string;
  beforeAll(async () => {
    // A Hetzner API that refuses every token, like the real one with a revoked token.
    server = createServer((req, res) => {
      if (req.headers.authorization === 'Bearer hc-good-token-value') {
        // A valid project without servers.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const pagination = {
          page: 1,
          per_page: 50,
          previous_page: null,
          next_page: null,
          last_page: 1,
          total_entries: 0,
        };
        res.end(JSON.stringify({ servers: [], meta: { pagination } }));
        return;
      }
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'unauthorized', message: 'unable to authenticate' } }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('exits 2 with one line naming each failing source, never the token', async () => {
    const path = await config(
      'unauthorized.json',
      JSON.stringify(hetznerSettings(apiUrl, 'RW_TEST_HCLOUD')),
    );
    const run = await runCli(['scan', '--config', path, '--json'], {
      env: childEnv({ RW_TEST_HCLOUD: 'hc-test-token-do-not-print' }),
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^runner-watch: all sources failed: hetzner:prod: .+\n$/);
    expect(run.stderr).not.toContain('hc-test-token-do-not-print');
  });

  it('exits 0 when one source answers, listing the failing one on stderr', async () => {
    const settings = hetznerSettings(apiUrl, 'RW_TEST_HCLOUD');
    const path = await config(
      'one-good.json',
      JSON.stringify({
        ...settings,
        hetzner: [
          ...settings.hetzner,
          {
            id: 'staging',
            fleet: 'ci',
            token: { env: 'RW_TEST_HCLOUD_GOOD' },
            apiUrl,
            timeoutSec: 5,
          },
        ],
      }),
    );
    const run = await runCli(['scan', '--config', path, '--json'], {
      env: childEnv({
        RW_TEST_HCLOUD: 'hc-bad-token-value',
        RW_TEST_HCLOUD_GOOD: 'hc-good-token-value',
      }),
    });
    expect(run.code).toBe(0);
    const snapshot = FleetSnapshot.parse(JSON.parse(run.stdout));
    expect(snapshot.sources.find((s) => s.id === 'hetzner:staging')?.state).toBe('ok');
    expect(run.stderr).toMatch(/^warning: source hetzner:prod: .+$/m);
    expect(run.stdout + run.stderr).not.toContain('hc-bad-token-value');
  });
});
