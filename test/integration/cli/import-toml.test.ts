import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { childEnv, runCli } from './run-cli';

const RUNNER_TOKEN = 'glrt-a1b2c3d4e5f6g7h8i9j0';
const HCLOUD_TOKEN = 'hcloudCliImportTokenAbcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH';
const CONFIG = `
concurrent = 4

[[runners]]
  name = "hetzner-autoscale"
  url = "https://gitlab.example.test/"
  token = "${RUNNER_TOKEN}"
  executor = "docker+machine"
  [runners.machine]
    MachineDriver = "hetzner"
    MachineName = "auto-scale-%s"
    MachineOptions = [
      "hetzner-api-token=${HCLOUD_TOKEN}",
      "hetzner-server-label=ci-runner=a1b2",
    ]
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-cli-toml-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runner-watch import-toml (child process)', () => {
  it('prints settings that parse, with the Hetzner selector and prefix, and no token', async () => {
    const path = join(dir, 'config.toml');
    await writeFile(path, CONFIG);
    const run = await runCli(['import-toml', '--file', path, '--manager', 'manager-1'], {
      env: childEnv(),
    });
    expect(run.code, run.stderr).toBe(0);
    for (const token of [RUNNER_TOKEN, HCLOUD_TOKEN])
      expect(run.stdout + run.stderr).not.toContain(token);
    const settings = Settings.parse(JSON.parse(run.stdout));
    expect(settings.gitlab.map((g) => g.url)).toEqual(['https://gitlab.example.test']);
    expect(settings.hetzner[0]).toMatchObject({
      labelSelector: 'ci-runner=a1b2',
      namePrefix: 'runner-a1b2c3d4e-auto-scale-',
    });
    expect(settings.hetzner[0]?.token).toHaveProperty('env');
    expect(run.stderr).toContain('runner hetzner-autoscale (docker+machine)');
  });

  it('--trust-on-first-use proposes trust-on-first-use for the autoscaled fleet', async () => {
    const path = join(dir, 'config-tofu.toml');
    await writeFile(path, CONFIG);
    const plain = await runCli(['import-toml', '--file', path], { env: childEnv() });
    expect(Settings.parse(JSON.parse(plain.stdout)).fleets[0]?.ssh.trustOnFirstUse).toBe(false);
    expect(plain.stderr).toMatch(/note: hetzner-autoscale: its VMs are new SSH hosts every time/);
    const run = await runCli(['import-toml', '--file', path, '--trust-on-first-use'], {
      env: childEnv(),
    });
    expect(run.code, run.stderr).toBe(0);
    const fleet = Settings.parse(JSON.parse(run.stdout)).fleets[0];
    expect(fleet).toMatchObject({ kind: 'autoscaled', ssh: { trustOnFirstUse: true } });
  });

  it('names a missing file in one line, exit 2', async () => {
    const run = await runCli(['import-toml', '--file', join(dir, 'nope.toml')], {
      env: childEnv(),
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('nope.toml');
  });

  it('reports broken TOML without echoing the line that holds a token', async () => {
    const path = join(dir, 'broken.toml');
    await writeFile(path, `[[runners]]\n  token = "${RUNNER_TOKEN}\n`);
    const run = await runCli(['import-toml', '--file', path], { env: childEnv() });
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain(RUNNER_TOKEN);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
