import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

const PLUGIN_TOKEN = 'fleetingPluginTokenZyxwvutsrqponmlkjihgfedcba9876543210ZYXWVUTS';
// Both executors in one file, as a manager moving from docker+machine to docker-autoscaler has.
const BOTH = `${CONFIG}
[[runners]]
  name = "hetzner-fleeting"
  url = "https://gitlab.example.test/"
  token = "glrt-fleetingrunner987654321"
  executor = "docker-autoscaler"
  [runners.docker]
    image = "alpine:3.20"
  [runners.autoscaler]
    plugin = "hetznercloud/fleeting-plugin-hetzner:latest"
    capacity_per_instance = 1
    max_use_count = 10
    max_instances = 8
    [runners.autoscaler.plugin_config]
      name = "ci-fleet"
      token = "${PLUGIN_TOKEN}"
      location = "hel1"
      server_type = "cx22"
      image = "debian-12"
    [runners.autoscaler.connector_config]
      username = "root"
      key_path = "/etc/gitlab-runner/fleeting"
      use_external_addr = false
    [[runners.autoscaler.policy]]
      idle_count = 2
      idle_time = "30m0s"
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

  it('--store-tokens keeps both Hetzner tokens as 0600 files under --state-dir, and prints only references', async () => {
    const path = join(dir, 'config-both.toml');
    await writeFile(path, BOTH);
    const state = join(dir, 'state');
    const run = await runCli(
      ['import-toml', '--file', path, '--store-tokens', '--state-dir', state],
      { env: childEnv() },
    );
    expect(run.code, run.stderr).toBe(0);
    for (const token of [RUNNER_TOKEN, HCLOUD_TOKEN, PLUGIN_TOKEN, 'glrt-fleetingrunner987654321'])
      expect(run.stdout + run.stderr).not.toContain(token);
    const settings = Settings.parse(JSON.parse(run.stdout));
    const secrets = join(state, 'secrets');
    expect(settings.hetzner.map((h) => [h.id, h.token, h.namePrefix])).toEqual([
      [
        'hetzner-autoscale',
        { file: join(secrets, 'hcloud-hetzner-autoscale.secret') },
        'runner-a1b2c3d4e-auto-scale-',
      ],
      ['hetzner-fleeting', { file: join(secrets, 'hcloud-hetzner-fleeting.secret') }, 'ci-fleet-'],
    ]);
    expect(await readFile(join(secrets, 'hcloud-hetzner-fleeting.secret'), 'utf8')).toBe(
      `${PLUGIN_TOKEN}\n`,
    );
    expect((await stat(join(secrets, 'hcloud-hetzner-fleeting.secret'))).mode & 0o777).toBe(0o600);
    expect((await readdir(secrets)).sort()).toEqual([
      'hcloud-hetzner-autoscale.secret',
      'hcloud-hetzner-fleeting.secret',
    ]);
    const fleeting = settings.fleets.find((f) => f.id === 'hetzner-fleeting');
    expect(fleeting).toMatchObject({
      kind: 'autoscaled',
      autoscaler: { instanceGroups: ['ci-fleet'], idleCount: 2, address: 'private' },
      ssh: { user: 'root', identityFiles: ['/etc/gitlab-runner/fleeting'] },
    });
    expect(run.stderr).toContain('runner hetzner-fleeting (docker-autoscaler) → hetzner-fleeting');
  });

  it('without --store-tokens no token file is written and the note says how to keep them', async () => {
    const path = join(dir, 'config-both-plain.toml');
    await writeFile(path, BOTH);
    const run = await runCli(['import-toml', '--file', path], { env: childEnv() });
    expect(run.code, run.stderr).toBe(0);
    const settings = Settings.parse(JSON.parse(run.stdout));
    expect(settings.hetzner.map((h) => h.token)).toEqual([
      { env: 'RW_HCLOUD_TOKEN_HETZNER_AUTOSCALE' },
      { env: 'RW_HCLOUD_TOKEN_HETZNER_FLEETING' },
    ]);
    expect(run.stderr).toMatch(/import again with --store-tokens/);
    const bad = await runCli(['import-toml', '--file', path, '--state-dir', dir], {
      env: childEnv(),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--state-dir is only used with --store-tokens/);
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
