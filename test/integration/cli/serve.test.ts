import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppInfo } from '../../../shared/api';
import { childEnv, runCli, startCli, type RunningCli } from './run-cli';

let dir: string;
let rendererDir: string;
let configPath: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-cli-serve-'));
  rendererDir = join(dir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(
    join(rendererDir, 'index.html'),
    '<!doctype html><title>Runner Watch test page</title>',
  );
  configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify({ fleets: [{ id: 'ci' }] }));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop('SIGKILL')));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** True when something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('runner-watch serve (child process)', () => {
  it('prints one URL line, serves the page and API with the token, and exits 0 on SIGTERM', async () => {
    const cli = await startCli([
      'serve',
      '--config',
      configPath,
      '--port',
      '0',
      '--renderer-dir',
      rendererDir,
    ]);
    running.push(cli);
    expect(cli.url.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cli.token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const exchange = await fetch(cli.url, { redirect: 'manual' });
    expect(exchange.status).toBe(302);
    const cookie = (exchange.headers.get('set-cookie') ?? '').split(';')[0]!;
    const page = await fetch(new URL('/', cli.url), { headers: { Cookie: cookie } });
    expect(await page.text()).toContain('Runner Watch test page');
    const info = await fetch(new URL('/api/invoke/rw:app:info', cli.url), {
      method: 'POST',
      headers: { Cookie: cookie },
    });
    expect(AppInfo.parse(await info.json())).toMatchObject({ host: 'serve', demo: false });
    const denied = await fetch(new URL('/api/invoke/rw:app:info', cli.url), { method: 'POST' });
    expect(denied.status).toBe(401);

    const port = Number(cli.url.port);
    const result = await cli.stop('SIGTERM');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([`Runner Watch: ${cli.url.href}`]);
    expect(cli.stderr()).not.toContain(cli.token);
    expect(await listening(port)).toBe(false);
  });

  it('exits 0 on SIGINT too', async () => {
    const cli = await startCli([
      'serve',
      '--config',
      configPath,
      '--port',
      '0',
      '--renderer-dir',
      rendererDir,
    ]);
    running.push(cli);
    expect((await cli.stop('SIGINT')).code).toBe(0);
  });

  it('uses RUNNER_WATCH_TOKEN when set', async () => {
    const token = 'stable-token-for-a-team-service-0123456789';
    const cli = await startCli(
      ['serve', '--config', configPath, '--port', '0', '--renderer-dir', rendererDir],
      {
        env: childEnv({ RUNNER_WATCH_TOKEN: token }),
      },
    );
    running.push(cli);
    expect(cli.token).toBe(token);
  });

  it('warns when the renderer is not built but serves the API', async () => {
    const cli = await startCli([
      'serve',
      '--config',
      configPath,
      '--port',
      '0',
      '--renderer-dir',
      join(dir, 'none'),
    ]);
    running.push(cli);
    expect(cli.stderr()).toContain('run npm run build:renderer');
    const res = await fetch(new URL('/api/invoke/rw:fleet:snapshot', cli.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${cli.token}` },
    });
    expect(res.status).toBe(200);
  });

  it('exits 2 with one line when the port is taken', async () => {
    const first = await startCli([
      'serve',
      '--config',
      configPath,
      '--port',
      '0',
      '--renderer-dir',
      rendererDir,
    ]);
    running.push(first);
    const port = first.url.port;
    const run = await runCli([
      'serve',
      '--config',
      configPath,
      '--port',
      port,
      '--renderer-dir',
      rendererDir,
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `runner-watch serve: port ${port} on 127.0.0.1 is already in use; pick another with --port\n`,
    );
  });

  it('refuses a bad port number', async () => {
    const run = await runCli(['serve', '--config', configPath, '--port', '70000']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'runner-watch serve: --port must be between 0 and 65535, got 70000 (see runner-watch serve --help)\n',
    );
  });
});
