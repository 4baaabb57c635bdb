import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  proposeFromRunnerToml,
  shortenRunnerToken,
} from '../../../electron/core/config/runner-toml';
import { Settings } from '../../../shared/settings';
import { FileSecretKeeper } from '../../../electron/core/config/secret-files';
import { identify, NO_FACTS } from '../../../electron/core/reaper/identity';
import { machine } from '../reaper/fixtures';
import { rejectionOf } from '../../support/rejection';

const RUNNER_TOKEN = 'glrt-x1y2z3w4v5u6t7s8r9q0';
const HCLOUD_TOKEN = 'hcloudTokenAbcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR';
const PLUGIN_TOKEN = 'pluginTokenZyxwvutsrqponmlkjihgfedcba9876543210ZYXWVUTSRQPONMLKJ';
const LEGACY_TOKEN = 'a1b2c3d4e5f6g7h8i9j0';

// Shaped like a real docker+machine manager on Hetzner plus a docker-autoscaler runner.
const CONFIG = `
concurrent = 16
check_interval = 0
listen_address = ":9252"

[session_server]
  session_timeout = 1800

[[runners]]
  name = "hetzner-autoscale"
  url = "https://gitlab.example.com/"
  id = 42
  token = "${RUNNER_TOKEN}"
  token_obtained_at = 2024-05-02T10:11:12Z
  token_expires_at = 0001-01-01T00:00:00Z
  executor = "docker+machine"
  limit = 16
  [runners.cache]
    MaxUploadedArchiveSize = 0
  [runners.docker]
    tls_verify = false
    image = "alpine:3.20"
    privileged = true
    volumes = ["/cache"]
    shm_size = 0
  [runners.machine]
    IdleCount = 2
    IdleTime = 1800
    MaxBuilds = 100
    MachineDriver = "hetzner"
    MachineName = "auto-scale-%s"
    MachineOptions = [
      "hetzner-api-token=${HCLOUD_TOKEN}",
      "hetzner-image=ubuntu-22.04",
      "hetzner-server-type=cx32",
      "hetzner-server-location=fsn1",
      "hetzner-server-label=ci-runner=x1y2z3w4",
      "hetzner-server-label=team=platform",
    ]

[[runners]]
  name = "fleeting"
  url = "https://gitlab.example.com"
  token = "${LEGACY_TOKEN}"
  executor = "docker-autoscaler"
  [runners.docker]
    image = "busybox:latest"
  [runners.autoscaler]
    plugin = "hetznercloud/fleeting-plugin-hetzner:latest"
    capacity_per_instance = 1
    max_use_count = 1
    max_instances = 10
    [runners.autoscaler.plugin_config]
      name = "ci-fleet"
      token = "${PLUGIN_TOKEN}"
      location = "hel1"
      server_type = "cx22"
      image = "debian-12"
    [runners.autoscaler.connector_config]
      username = "root"
      use_external_addr = true
    [[runners.autoscaler.policy]]
      idle_count = 1
      idle_time = "20m0s"

[[runners]]
  name = "self-managed docker"
  url = "https://git.internal.example/gitlab/"
  token = "glrt-dedicatedtoken0123456"
  executor = "docker"
  [runners.docker]
    image = "alpine"

[[runners]]
  name = "shell"
  url = "https://gitlab.example.com/"
  token = "glrt-shelltoken0123456789"
  executor = "shell"
`;

const dir = mkdtempSync(join(tmpdir(), 'rw-toml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config.toml import', () => {
  it('proposes instances, fleets, Hetzner projects and docker-machine without any token', async () => {
    const proposal = await proposeFromRunnerToml(CONFIG, { managerAlias: 'runner-manager-1' });
    const json = JSON.stringify(proposal);
    for (const secret of [
      RUNNER_TOKEN,
      HCLOUD_TOKEN,
      PLUGIN_TOKEN,
      LEGACY_TOKEN,
      'glrt-dedicatedtoken0123456',
    ]) {
      expect(json).not.toContain(secret);
    }
    expect(proposal.settings.gitlab).toEqual([
      {
        id: 'gitlab.example.com',
        url: 'https://gitlab.example.com',
        token: { env: 'RW_GITLAB_TOKEN_GITLAB_EXAMPLE_COM' },
      },
      {
        id: 'git.internal.example',
        url: 'https://git.internal.example/gitlab',
        token: { env: 'RW_GITLAB_TOKEN_GIT_INTERNAL_EXAMPLE' },
      },
    ]);
    expect(proposal.settings.hetzner).toEqual([
      {
        id: 'hetzner-autoscale',
        fleet: 'hetzner-autoscale',
        token: { env: 'RW_HCLOUD_TOKEN_HETZNER_AUTOSCALE' },
        labelSelector: 'ci-runner=x1y2z3w4,team=platform',
        namePrefix: 'runner-x1y2z3w4v-auto-scale-',
      },
      {
        id: 'fleeting',
        fleet: 'fleeting',
        token: { env: 'RW_HCLOUD_TOKEN_FLEETING' },
        namePrefix: 'ci-fleet-',
      },
    ]);
    expect(proposal.settings.dockerMachine).toEqual([
      {
        id: 'hetzner-autoscale',
        fleet: 'hetzner-autoscale',
        manager: 'runner-manager-1',
        namePrefix: 'runner-x1y2z3w4v-auto-scale-',
      },
    ]);
    expect(proposal.settings.sshHosts).toEqual([{ alias: 'runner-manager-1', fleet: 'dedicated' }]);
    expect(proposal.runners.map((r) => [r.name, r.executor, r.fleet])).toEqual([
      ['hetzner-autoscale', 'docker+machine', 'hetzner-autoscale'],
      ['fleeting', 'docker-autoscaler', 'fleeting'],
      ['self-managed docker', 'docker', 'dedicated'],
      ['shell', 'shell', null],
    ]);
    expect(proposal.tokensFound.filter((t) => t.kind === 'hetzner').map((t) => t.runner)).toEqual([
      'hetzner-autoscale',
      'fleeting',
    ]);
    expect(proposal.notes.join('\n')).toMatch(
      /Hetzner token in config.toml was not copied; set RW_HCLOUD_TOKEN_HETZNER_AUTOSCALE/,
    );
    // Once the user has set the tokens, the proposal is valid Settings.
    expect(() => Settings.parse(proposal.settings)).not.toThrow();
  });

  it("records the autoscaler's naming and IdleCount on its fleet (what identifies its VMs and bounds the idle rule)", async () => {
    const proposal = await proposeFromRunnerToml(CONFIG, { managerAlias: 'runner-manager-1' });
    const fleets = Settings.parse(proposal.settings).fleets;
    expect(fleets.map((f) => [f.id, f.kind, f.autoscaler])).toEqual([
      [
        'hetzner-autoscale',
        'autoscaled',
        { namePrefixes: ['runner-x1y2z3w4v-auto-scale-'], idleCount: 2 },
      ],
      [
        'fleeting',
        'autoscaled',
        {
          namePrefixes: ['ci-fleet-'],
          instanceGroups: ['ci-fleet'],
          idleCount: 1,
          address: 'public',
        },
      ],
      ['dedicated', 'dedicated', undefined],
    ]);
    // The idle rule itself stays off: the import only records the bound.
    expect(fleets.every((f) => f.reaper.idleMinutes === null)).toBe(true);
  });

  it('takes the largest idle_count of several docker-autoscaler policies', async () => {
    const text = `
[[runners]]
  name = "periods"
  url = "https://gitlab.example.com"
  executor = "docker-autoscaler"
  [runners.autoscaler]
    plugin = "hetznercloud/fleeting-plugin-hetzner:latest"
    [runners.autoscaler.plugin_config]
      name = "grp"
    [[runners.autoscaler.policy]]
      idle_count = 1
    [[runners.autoscaler.policy]]
      periods = ["* 8-18 * * mon-fri"]
      idle_count = 4
`;
    const proposal = await proposeFromRunnerToml(text);
    expect(Settings.parse(proposal.settings).fleets[0]?.autoscaler).toEqual({
      namePrefixes: ['grp-'],
      instanceGroups: ['grp'],
      idleCount: 4,
      // no connector_config: GitLab Runner's default use_external_addr = false
      address: 'private',
    });
  });

  it('turns the fleeting connector into SSH access: username, key_path, and the private address by default', async () => {
    const text = `
concurrent = 8

[[runners]]
  name = "fleet-private"
  url = "https://gitlab.example.com"
  token = "glrt-privatefleet0123456789"
  executor = "docker-autoscaler"
  [runners.docker]
    image = "alpine:3.20"
  [runners.autoscaler]
    plugin = "hetznercloud/fleeting-plugin-hetzner:v1.0.0"
    max_instances = 4
    [runners.autoscaler.plugin_config]
      name = "ci-private"
      token = "${PLUGIN_TOKEN}"
      location = "fsn1"
      server_type = ["cx22"]
      image = "debian-12"
      private_networks = ["ci-net"]
    [runners.autoscaler.connector_config]
      username = "ci"
      key_path = "/etc/gitlab-runner/fleeting_ed25519"
    [[runners.autoscaler.policy]]
      idle_count = 0
`;
    const proposal = await proposeFromRunnerToml(text);
    const fleet = Settings.parse(proposal.settings).fleets[0];
    expect(fleet?.ssh.user).toBe('ci');
    expect(fleet?.ssh.identityFiles).toEqual(['/etc/gitlab-runner/fleeting_ed25519']);
    expect(fleet?.autoscaler).toEqual({
      namePrefixes: ['ci-private-'],
      instanceGroups: ['ci-private'],
      idleCount: 0,
      address: 'private',
    });
    expect(proposal.notes.join('\n')).toMatch(
      /fleet-private: use_external_addr is off, so instances are probed at their private network address/,
    );
    expect(JSON.stringify(proposal)).not.toContain(PLUGIN_TOKEN);
  });

  it('marks WinRM instances (protocol winrm, or a Windows os) as not probed, and says so', async () => {
    const windows = (connector: string) => `
[[runners]]
  name = "win"
  url = "https://gitlab.example.com"
  executor = "docker-autoscaler"
  [runners.autoscaler]
    plugin = "hetznercloud/fleeting-plugin-hetzner:latest"
    [runners.autoscaler.plugin_config]
      name = "win-fleet"
    [runners.autoscaler.connector_config]
      ${connector}
`;
    for (const connector of ['protocol = "winrm"', 'protocol = "winrm+https"', 'os = "windows"']) {
      const proposal = await proposeFromRunnerToml(windows(connector));
      expect(Settings.parse(proposal.settings).fleets[0]?.autoscaler?.protocol).toBe('winrm');
      expect(proposal.notes.join('\n')).toMatch(
        /win: its instances are reached over WinRM; Runner Watch probes over SSH only/,
      );
    }
    const ssh = await proposeFromRunnerToml(windows('protocol = "ssh"'));
    expect(Settings.parse(ssh.settings).fleets[0]?.autoscaler?.protocol).toBeUndefined();
  });

  it("identifies an imported fleet's instances by the group naming only, never the manager or a look-alike", async () => {
    const proposal = await proposeFromRunnerToml(CONFIG, { managerAlias: 'runner-manager-1' });
    const settings = Settings.parse(proposal.settings);
    const fleet = settings.fleets.find((f) => f.id === 'fleeting');
    if (!fleet) throw new Error('no fleeting fleet');
    const verdict = (name: string) =>
      identify(
        machine({ name, fleet: 'fleeting', identitySource: 'hetzner:fleeting' }, 0),
        fleet,
        NO_FACTS,
      );
    expect(verdict('ci-fleet-1a2b3c4d')).toEqual({
      by: 'instance group naming (ci-fleet-<8 hex>)',
    });
    for (const name of [
      'ci-fleet-manager',
      'ci-fleet',
      'ci-fleet-1a2b3c4d-old',
      'runner-manager-1',
    ])
      expect(verdict(name)).toHaveProperty('none');
  });

  it('--store-tokens keeps Hetzner tokens in the secret store and references them; runner tokens are never kept', async () => {
    const store = join(dir, 'state', 'secrets');
    const proposal = await proposeFromRunnerToml(CONFIG, {
      tokenStore: new FileSecretKeeper(store),
    });
    const hetzner = proposal.settings.hetzner ?? [];
    expect(hetzner.map((h) => h.token)).toEqual([
      { file: join(store, 'hcloud-hetzner-autoscale.secret') },
      { file: join(store, 'hcloud-fleeting.secret') },
    ]);
    expect(readFileSync(join(store, 'hcloud-fleeting.secret'), 'utf8')).toBe(`${PLUGIN_TOKEN}\n`);
    expect(readFileSync(join(store, 'hcloud-hetzner-autoscale.secret'), 'utf8')).toBe(
      `${HCLOUD_TOKEN}\n`,
    );
    expect(statSync(join(store, 'hcloud-fleeting.secret')).mode & 0o777).toBe(0o600);
    // only the two Hetzner tokens: no runner token reached the store
    expect(readdirSync(store).sort()).toEqual([
      'hcloud-fleeting.secret',
      'hcloud-hetzner-autoscale.secret',
    ]);
    const json = JSON.stringify(proposal);
    for (const secret of [RUNNER_TOKEN, HCLOUD_TOKEN, PLUGIN_TOKEN, LEGACY_TOKEN])
      expect(json).not.toContain(secret);
    expect(proposal.notes.join('\n')).toMatch(/runner tokens were not kept/);
    expect(() => Settings.parse(proposal.settings)).not.toThrow();
  });

  it('keeps a Hetzner token only when asked, in a 0600 file the user chose', async () => {
    const file = join(dir, 'secrets', 'hcloud-hetzner-autoscale');
    const proposal = await proposeFromRunnerToml(CONFIG, {
      keepHetznerToken: ({ project }) => (project === 'hetzner-autoscale' ? file : null),
    });
    expect(proposal.settings.hetzner?.[0]?.token).toEqual({ file });
    expect(proposal.settings.hetzner?.[1]?.token).toEqual({ env: 'RW_HCLOUD_TOKEN_FLEETING' });
    expect(readFileSync(file, 'utf8')).toBe(`${HCLOUD_TOKEN}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(proposal)).not.toContain(HCLOUD_TOKEN);
  });

  it('offers trust-on-first-use for autoscaled fleets only, and explains it when not chosen', async () => {
    const tofu = await proposeFromRunnerToml(CONFIG, {
      managerAlias: 'runner-manager-1',
      trustOnFirstUse: true,
    });
    const settings = Settings.parse(tofu.settings);
    const byId = new Map(settings.fleets.map((f) => [f.id, f]));
    expect(byId.get('hetzner-autoscale')?.ssh.trustOnFirstUse).toBe(true);
    expect(byId.get('fleeting')?.ssh.trustOnFirstUse).toBe(true);
    // A dedicated host is one known machine: its key belongs in known_hosts, checked.
    expect(byId.get('dedicated')?.ssh.trustOnFirstUse).toBe(false);
    expect(tofu.notes.join('\n')).not.toMatch(/--trust-on-first-use/);

    const strict = await proposeFromRunnerToml(CONFIG, { managerAlias: 'runner-manager-1' });
    expect(Settings.parse(strict.settings).fleets.every((f) => !f.ssh.trustOnFirstUse)).toBe(true);
    expect(strict.notes.join('\n')).toMatch(
      /hetzner-autoscale: its VMs are new SSH hosts every time, .*import with --trust-on-first-use/,
    );
  });

  it('computes the name prefix the way GitLab Runner shortens tokens', () => {
    expect(shortenRunnerToken('glrt-x1y2z3w4v5u6t7s8r9q0')).toBe('x1y2z3w4v');
    expect(shortenRunnerToken('glrtr-abcdefghijkl')).toBe('abcdefghi');
    expect(shortenRunnerToken('GR1348941abcdefghijklmn')).toBe('GR1348941abcdefgh');
    expect(shortenRunnerToken('a1b2c3d4e5f6')).toBe('a1b2c3d4');
    expect(shortenRunnerToken('short')).toBe('short');
  });

  it('names the place of a TOML syntax error without quoting the line (it may hold a token)', async () => {
    const broken = `[[runners]]\n  name = "x"\n  token = "${RUNNER_TOKEN}\n  url = "https://gitlab.example.com"\n`;
    const error = await rejectionOf(
      proposeFromRunnerToml(broken, { origin: '/etc/gitlab-runner/config.toml' }),
    );
    expect(error).toMatchObject({ code: 'config_invalid' });
    expect(error.message).toMatch(
      /^\/etc\/gitlab-runner\/config.toml: not valid TOML at line 3, column \d+/,
    );
    expect(error.message).not.toContain('glrt-');
  });

  it.each([
    ['no runners', 'concurrent = 4\n', /no \[\[runners\]\] section/],
    ['a runner without url', '[[runners]]\nname = "a"\nexecutor = "docker"\n', /runners\[0\]\.url/],
    [
      'a url that is not http',
      '[[runners]]\nname = "a"\nurl = "ftp://x"\nexecutor = "docker"\n',
      /runners\[0\]\.url: not an http\(s\) URL/,
    ],
    [
      'MachineOptions not a list',
      '[[runners]]\nurl = "https://g.example"\nexecutor = "docker+machine"\n[runners.machine]\nMachineOptions = "x"\n',
      /runners\[0\]\.machine\.MachineOptions/,
    ],
  ])('refuses %s with a clear message', async (_what, text, message) => {
    await expect(proposeFromRunnerToml(text)).rejects.toThrow(message);
  });

  it('says what is missing for a non-Hetzner driver and no manager alias', async () => {
    const text = `[[runners]]\nname = "aws"\nurl = "https://gitlab.com"\ntoken = "glrt-abcdefghijklmnop"\nexecutor = "docker+machine"\n[runners.machine]\nMachineDriver = "amazonec2"\nMachineName = "m-%s"\n`;
    const proposal = await proposeFromRunnerToml(text);
    expect(proposal.settings.hetzner).toEqual([]);
    expect(proposal.notes.join('\n')).toMatch(/driver amazonec2 is not a Hetzner one/);
    expect(proposal.notes.join('\n')).toMatch(/give the SSH alias of this runner manager/);
  });
});
