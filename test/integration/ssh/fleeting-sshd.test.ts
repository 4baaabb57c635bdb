import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proposeFromRunnerToml } from '../../../electron/core/config/runner-toml';
import { createReaper } from '../../../electron/core/reaper/create-reaper';
import type { Reaper } from '../../../electron/core/reaper/reaper';
import { createRuntime, type Runtime } from '../../../electron/core/runtime';
import type { Proposal } from '../../../shared/proposal';
import { Settings, type SecretRef, type SettingsInput } from '../../../shared/settings';
import { HcloudSim } from '../../sim/hcloud-sim';
import { startGitLabSim, type GitLabSim } from '../../sim/gitlab/server';
import { simInstance } from '../../sim/gitlab/state';
import { RUNNER_LABEL, SHIMS_DIR, writeHostState, type HostState } from '../../sim/host-state';
import { sshdSkipReason, startSshdCluster, type SshdCluster } from '../../support/sshd';

// A docker-autoscaler fleet as `import-toml` proposes it from a real-looking config.toml,
// probed over real OpenSSH sshd: the instances answer only on their private network address
// (use_external_addr = false), the manager — in the same Hetzner project, named like the
// group — only on its public one. Disks are read, the full idle instance gets a disk
// proposal, and identity holds: the instance is deletable by its group naming, the manager
// never.

const skip = sshdSkipReason();
if (skip) console.warn(`skipping real-sshd docker-autoscaler tests: ${skip}`);

const CONFIG = `
concurrent = 8
listen_address = ":9252"

[[runners]]
  name = "hetzner-fleeting"
  url = "https://gitlab.example.test/"
  token = "glrt-fleetingsshd0123456789"
  executor = "docker-autoscaler"
  [runners.docker]
    image = "alpine:3.20"
  [runners.autoscaler]
    plugin = "hetznercloud/fleeting-plugin-hetzner:latest"
    capacity_per_instance = 1
    max_use_count = 20
    max_instances = 6
    [runners.autoscaler.plugin_config]
      name = "ci-fleet"
      token = "hcloudFleetingSshdTokenAbcdefghijklmnopqrstuvwxyz0123456789AB"
      location = "hel1"
      server_type = "cx22"
      image = "debian-12"
      private_networks = ["ci-net"]
    [runners.autoscaler.connector_config]
      username = "root"
      key_path = "/etc/gitlab-runner/fleeting"
    [[runners.autoscaler.policy]]
      idle_count = 1
      idle_time = "20m0s"
`;

const GITLAB_TOKEN = 'glpat-fleeting-sshd-test-0000';
const GiB = 1024 * 1024;
function state(name: string, usedGiB: number, jobs: number[], processes: string[] = []): HostState {
  return {
    hostname: name,
    now: Math.floor(Date.now() / 1000),
    mounts: [
      {
        device: '/dev/sda1',
        fstype: 'ext4',
        mount: '/',
        sizeKiB: 40 * GiB,
        usedKiB: usedGiB * GiB,
        availKiB: (38 - usedGiB) * GiB,
        inodes: { total: 2_600_000, used: 200_000, free: 2_400_000 },
      },
    ],
    containers: jobs.map((jobId) => ({
      id: jobId.toString(16).padStart(64, '0'),
      name: `runner-fleetings-project-42-concurrent-0-${jobId}-build`,
      image: 'alpine:3.20',
      created: Math.floor(Date.now() / 1000) - 60,
      state: 'running' as const,
      labels: {
        [RUNNER_LABEL.jobId]: String(jobId),
        [RUNNER_LABEL.projectId]: '42',
        [RUNNER_LABEL.pipelineId]: '777',
        [RUNNER_LABEL.type]: 'build',
      },
    })),
    processes,
  };
}

describe.skipIf(skip !== null)('docker-autoscaler fleet over real sshd', () => {
  let cluster: SshdCluster;
  let sim: HcloudSim;
  let gitlab: GitLabSim;
  let runtime: Runtime;
  let reaper: Reaper;
  let stateDir: string;
  const FULL = 'ci-fleet-0a1b2c3d';
  const BUSY = 'ci-fleet-4e5f6a7b';
  const MANAGER = 'ci-fleet-manager';

  beforeAll(async () => {
    // private network addresses of the instances, the manager's public one
    cluster = await startSshdCluster({
      addresses: ['127.0.69.1', '127.0.69.2', '127.0.70.3'],
      shimDir: SHIMS_DIR,
    });
    const [full, busy, manager] = cluster.hosts;
    if (!full || !busy || !manager) throw new Error('sshd hosts missing');
    writeHostState(full.stateDir, state(FULL, 36, []));
    writeHostState(busy.stateDir, state(BUSY, 37, [80_123]));
    writeHostState(manager.stateDir, state(MANAGER, 27, [], ['sshd', 'gitlab-runner']));
    sim = await HcloudSim.start({ projects: [{ name: 'ci' }] });
    const group = { 'instance-group': 'ci-fleet' };
    // public addresses of the instances (127.0.70.1/.2): nothing listens there
    sim.addServer('ci', {
      name: FULL,
      labels: group,
      publicIp: '127.0.70.1',
      privateIps: [full.address],
    });
    const busyServer = sim.addServer('ci', {
      name: BUSY,
      labels: group,
      publicIp: '127.0.70.2',
      privateIps: [busy.address],
    });
    sim.addServer('ci', { name: MANAGER, labels: { role: 'manager' }, publicIp: manager.address });

    // GitLab: the fleeting runner (its manager contacts GitLab from 127.0.70.3) with one
    // running job whose trace dials the busy instance
    const now = Date.now();
    gitlab = await startGitLabSim({
      state: simInstance({
        users: [{ id: 1, username: 'root', isAdmin: true }],
        tokens: [{ token: GITLAB_TOKEN, id: 1, name: 'rw', userId: 1, scopes: ['api'] }],
        runners: [
          {
            id: 102,
            description: 'hetzner-fleeting',
            paused: false,
            isShared: true,
            runnerType: 'instance_type',
            tagList: ['fleeting'],
            version: '17.11.0',
            revision: '7f5d7c36',
            platform: 'linux',
            architecture: 'amd64',
            createdAt: now - 86_400_000,
            contactedAt: now,
            managers: [
              {
                id: 1020,
                systemId: 's_fleeting0001',
                version: '17.11.0',
                revision: '7f5d7c36',
                platform: 'linux',
                architecture: 'amd64',
                ipAddress: manager.address,
                createdAt: now - 86_400_000,
                contactedAt: now,
              },
            ],
            ownerUserIds: [],
          },
        ],
        jobs: [
          {
            id: 80_123,
            runnerId: 102,
            systemId: 's_fleeting0001',
            projectId: 42,
            projectPath: 'acme/web-shop',
            pipelineId: 777,
            name: 'test',
            stage: 'test',
            ref: 'main',
            status: 'running',
            createdAt: now - 120_000,
            startedAt: now - 60_000,
            finishedAt: null,
            username: 'alice',
            machine: BUSY,
            executor: 'docker-autoscaler',
            instanceId: `${BUSY}:${busyServer.id}`,
            managerHostname: MANAGER,
          },
        ],
      }),
    });
    const proposal = await proposeFromRunnerToml(CONFIG);
    stateDir = mkdtempSync(join(tmpdir(), 'rw-fleeting-sshd-'));
    const input: SettingsInput = {
      ...proposal.settings,
      gitlab: [{ id: 'gl', url: gitlab.url, token: { env: 'RW_TEST_GITLAB' } }],
      fleets: (proposal.settings.fleets ?? []).map((f) => ({
        ...f,
        // the cluster's test user and keys stand in for root and key_path
        ssh: {
          ...cluster.access({ connectTimeoutSec: 5, commandTimeoutSec: 8 }),
          trustOnFirstUse: true,
          knownHostsFile: join(stateDir, 'known_hosts'),
        },
        reaper: { mode: 'notify', minFleetSize: 1 },
      })),
      hetzner: (proposal.settings.hetzner ?? []).map((h) => ({
        ...h,
        apiUrl: sim.url,
        token: { env: 'RW_TEST_HCLOUD' },
      })),
      probe: { sshConfigFile: null },
      stateDir,
    };
    const settings = Settings.parse(input);
    expect(settings.fleets[0]?.autoscaler).toMatchObject({
      instanceGroups: ['ci-fleet'],
      address: 'private',
    });
    const token = sim.tokensOf('ci').token;
    const secrets = {
      resolve: (ref: SecretRef) =>
        Promise.resolve('env' in ref && ref.env === 'RW_TEST_GITLAB' ? GITLAB_TOKEN : token),
    };
    runtime = await createRuntime({ settings, secrets, host: 'cli', demo: false, version: 'test' });
    reaper = await createReaper({ settings, engine: runtime.engine, secrets });
    for (let i = 0; i < 3; i++) {
      await runtime.engine.runOnce();
      await reaper.idle();
    }
  });
  afterAll(async () => {
    await reaper?.dispose();
    await runtime?.dispose();
    await sim?.dispose();
    await gitlab?.close();
    await cluster?.dispose();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  const machine = (name: string) => runtime.engine.machines().find((m) => m.name === name);
  const proposalOf = (name: string): Proposal | undefined =>
    reaper.proposals().find((p) => p.machineName === name);
  const describeAll = () =>
    JSON.stringify(reaper.proposals().map((p) => [p.machineName, p.action, p.blocked]));

  it('probes each instance at its private address and reads its disk and job containers', () => {
    const full = machine(FULL);
    expect(full?.addresses).toEqual(['127.0.69.1', '127.0.70.1']);
    expect(full?.disks.error).toBeNull();
    expect(full?.disks.value?.[0]).toMatchObject({ mount: '/', usedPct: 95 });
    expect(full?.jobs.value).toEqual([]);
    const busy = machine(BUSY);
    expect(busy?.disks.value?.[0]?.usedPct).toBe(98);
    // docker ps on the instance and GitLab's running job, linked by `Dialing instance`
    expect(busy?.jobs.value?.map((j) => [j.jobId, j.seenIn])).toEqual([
      [80_123, ['machine', 'gitlab']],
    ]);
    // the manager has no private network: its public address is the one left
    expect(machine(MANAGER)?.runsGitlabRunner).toBe(true);
    expect(machine(MANAGER)?.disks.value?.[0]?.usedPct).toBe(72);
  });

  it('proposes the full idle instance, identified by the group naming; the busy one and the manager are blocked', () => {
    const full = proposalOf(FULL);
    expect(full?.rule, describeAll()).toBe('disk');
    expect(full?.action).toBe('hcloud-delete');
    expect(full?.blocked, describeAll()).toEqual([]);
    expect(proposalOf(BUSY)?.blocked.join('\n') ?? 'no proposal').toMatch(/job #80123/);
    const why = proposalOf(MANAGER)?.blocked.join('\n') ?? '';
    expect(why, describeAll()).toMatch(/not an instance of group ci-fleet/);
    expect(why).toMatch(/runner manager \(manager of GitLab runner #102/);
  });
});
