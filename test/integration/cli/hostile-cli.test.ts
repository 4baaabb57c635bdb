import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHUTDOWN_BOUND_MS } from '../../../electron/cli/main';
import { childEnv, runCli, startCli } from './run-cli';

// Issues 16 and 17 through the real `bin/runner-watch.mjs`, as users run it: mistakes are
// one line and exit 2, nothing hangs, SIGTERM always ends the process within the bound.

let dir: string;
let fifo: string;
let closedPort: number;
let key: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-hostile-cli-'));
  fifo = join(dir, 'token.fifo');
  execFileSync('mkfifo', [fifo]);
  key = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function config(name: string, settings: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    JSON.stringify({ stateDir: join(dir, 'state'), probe: { sshConfigFile: null }, ...settings }),
  );
  return path;
}

const oneLine = (text: string) => text.trim().split('\n');

describe('start-up mistakes are one line, exit 2, and never hang', () => {
  it('a secret file that is a FIFO stops scan at once, naming the setting (was: blocked for hours)', async () => {
    const path = await config('fifo.json', {
      fleets: [{ id: 'ci' }],
      hetzner: [{ id: 'p', fleet: 'ci', token: { file: fifo }, apiUrl: 'http://127.0.0.1:1/v1' }],
    });
    const run = await runCli(['scan', '--config', path]);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toEqual([
      `runner-watch scan: hetzner[0].token: secret file ${fifo} is a FIFO (named pipe), not a regular file`,
    ]);
  });

  it('import-toml on a FIFO says so at once instead of waiting for a writer', async () => {
    const run = await runCli(['import-toml', '--file', fifo]);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toEqual([
      `runner-watch import-toml: file ${fifo} is a FIFO (named pipe), not a regular file (see runner-watch import-toml --help)`,
    ]);
  });

  it('a 10 MB config is refused', async () => {
    const path = join(dir, 'huge.json');
    await writeFile(path, '');
    await truncate(path, 10 * 1024 * 1024);
    const run = await runCli(['scan', '--config', path]);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toEqual([
      `runner-watch scan: config file ${path} is larger than 1 MiB; that cannot be right for this file`,
    ]);
  });

  it('serve with a stateDir that is a file exits 2 naming stateDir (was: internal error ENOTDIR)', async () => {
    const stateFile = join(dir, 'state-file');
    await writeFile(stateFile, 'x');
    const path = await config('state-file.json', { fleets: [{ id: 'ci' }], stateDir: stateFile });
    const run = await runCli(['serve', '--config', path, '--port', '0']);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toEqual([
      `runner-watch serve: stateDir: ${stateFile} exists and is not a directory`,
    ]);
  });

  it('serve with stateDir /proc/self/nope exits 2 (was: an endless mkdir loop at 86 % CPU)', async () => {
    const path = await config('proc.json', { fleets: [{ id: 'ci' }], stateDir: '/proc/self/nope' });
    const run = await runCli(['serve', '--config', path, '--port', '0']);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^runner-watch serve: stateDir: \/proc\/self\/nope cannot be created/,
    );
  });

  it('scan warns about a stateDir that is a file, and still scans', async () => {
    const stateFile = join(dir, 'state-file-2');
    await writeFile(stateFile, 'x');
    const path = await config('scan-state.json', { stateDir: stateFile });
    const run = await runCli(['scan', '--config', path]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`warning: stateDir: ${stateFile} exists and is not a directory`);
  });

  it('serve --port -1 says so in one line', async () => {
    const path = await config('port.json', {});
    const run = await runCli(['serve', '--config', path, '--port', '-1']);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toEqual([
      'runner-watch serve: option --port needs a value; for one that starts with "-", write --port=VALUE (see runner-watch serve --help)',
    ]);
    const direct = await runCli(['serve', '--config', path, '--port=-1']);
    expect(oneLine(direct.stderr)).toEqual([
      'runner-watch serve: --port must be between 0 and 65535, got -1 (see runner-watch serve --help)',
    ]);
  });

  it('a URL with user:password@ is refused without printing the password', async () => {
    const path = await config('userinfo.json', {
      gitlab: [{ id: 'g', url: 'http://user:PASSWORD@127.0.0.1:1/', token: { env: 'GL_TOKEN' } }],
    });
    const run = await runCli(['scan', '--config', path], {
      env: childEnv({ GL_TOKEN: 'glpat-x-1234' }),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('gitlab[0].url: must not contain user:password@');
    expect(run.stderr).not.toContain('PASSWORD');
  });
});

describe('an SSH probe that reaches no host is failing (17.5)', () => {
  it('scan exits 2 and shows the first error when the only host is unreachable', async () => {
    const path = await config('unreachable.json', {
      fleets: [
        {
          id: 'build',
          kind: 'dedicated',
          ssh: {
            user: 'ops',
            identityFiles: [key],
            useAgent: false,
            knownHostsFile: join(dir, 'known_hosts'),
            connectTimeoutSec: 3,
          },
        },
      ],
      sshHosts: [{ alias: 'build-1', fleet: 'build', host: '127.0.0.1', port: closedPort }],
    });
    const run = await runCli(['scan', '--config', path, '--json']);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toEqual([
      expect.stringMatching(
        /^runner-watch: all sources failed: ssh:probe: no host could be probed \(1 of 1 failed\); first: build-1 \(ops@127\.0\.0\.1:\d+\): cannot connect: .*ECONNREFUSED/,
      ),
    ]);
  });
});

describe('every source failing is exit 2, whatever the mix (17.5)', () => {
  it('Hetzner and GitLab unreachable and the only SSH host unreachable: exit 2, each named', async () => {
    const path = await config('all-down.json', {
      fleets: [
        {
          id: 'build',
          kind: 'dedicated',
          ssh: { user: 'ops', identityFiles: [key], useAgent: false, connectTimeoutSec: 3 },
        },
      ],
      hetzner: [
        {
          id: 'p',
          fleet: 'build',
          token: { env: 'HC_TOKEN' },
          apiUrl: `http://127.0.0.1:${closedPort}/v1`,
          timeoutSec: 3,
        },
      ],
      gitlab: [
        {
          id: 'g',
          url: `http://127.0.0.1:${closedPort}`,
          token: { env: 'GL_TOKEN' },
          timeoutSec: 3,
        },
      ],
      sshHosts: [{ alias: 'build-1', fleet: 'build', host: '127.0.0.1', port: closedPort }],
    });
    const run = await runCli(['scan', '--config', path], {
      env: childEnv({ HC_TOKEN: 'hcloud-token-all-down-1', GL_TOKEN: 'glpat-all-down-0001' }),
    });
    expect(run.code).toBe(2);
    const [line, ...rest] = oneLine(run.stderr);
    expect(rest).toEqual([]);
    expect(line).toMatch(/^runner-watch: all sources failed: /);
    for (const id of ['hetzner:p', 'gitlab:g', 'ssh:probe']) expect(line).toContain(`${id}: `);
    expect(line).not.toContain('all-down');
  });
});

describe('SIGTERM always ends the process within the documented bound (17.4)', () => {
  it(`serve exits 0 on SIGTERM, well within ${SHUTDOWN_BOUND_MS} ms`, async () => {
    const path = await config('serve.json', { fleets: [{ id: 'ci' }] });
    const cli = await startCli(['serve', '--config', path, '--port', '0']);
    const started = Date.now();
    const result = await cli.stop('SIGTERM');
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(SHUTDOWN_BOUND_MS + 3_000);
  });

  it('a step that ignores the signal is cut off at the bound with exit 143', async () => {
    const script = fileURLToPath(new URL('../../support/stuck-cli.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../bin/tsx.mjs', import.meta.url));
    const child = spawn(process.execPath, [tsx, script, '1500'], {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await new Promise<void>((resolve) =>
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        if (chunk.includes('stuck')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000)),
    ]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(143);
    expect(stderr).toContain('runner-watch stuck: did not stop within 1500 ms; exiting');
  });
});
