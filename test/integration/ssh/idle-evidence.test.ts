import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/core/engine';
import { History } from '../../../electron/core/reaper/history';
import { evaluate } from '../../../electron/core/reaper/policy';
import { GitLabSource } from '../../../electron/core/sources/gitlab/gitlab-source';
import { createHcloudSource } from '../../../electron/core/sources/hcloud/source';
import { createProbeSource } from '../../../electron/core/sources/ssh/probe-source';
import type { Machine } from '../../../shared/machine';
import type { Proposal } from '../../../shared/proposal';
import { GitLabSettings, Settings } from '../../../shared/settings';
import { fixtureInstance, SIM_TOKENS } from '../../sim/gitlab/fixtures';
import { startGitLabSim, type GitLabSim } from '../../sim/gitlab/server';
import { HcloudSim } from '../../sim/hcloud-sim';
import { RUNNER_LABEL, SHIMS_DIR, writeHostState, type HostState } from '../../sim/host-state';
import { sshdSkipReason, startSshdCluster, type SshdCluster } from '../../support/sshd';

// Issue 9.7 over real sshd: after a fresh start, how long a VM has been idle comes from
// the job containers Docker still lists (docker ps -a + docker inspect on the VM), on
// the VM's own clock, together with GitLab's job history, not only from what was watched.

const skip = sshdSkipReason();
if (skip) console.warn(`skipping real-sshd idle evidence tests: ${skip}`);

const MIN = 60_000;
const HOUR = 60 * MIN;
const GiB = 1024 * 1024;
const PREFIX = 'runner-x1y2z3w4-auto-scale-';

/** A VM whose clock reads `hostNow` (unix s), with the given job containers. */
function vm(name: string, hostNow: number, containers: HostState['containers']): HostState {
  return {
    hostname: name,
    now: hostNow,
    mounts: [
      {
        device: '/dev/sda1',
        fstype: 'ext4',
        mount: '/',
        sizeKiB: 40 * GiB,
        usedKiB: 6 * GiB,
        availKiB: 32 * GiB,
        inodes: { total: 2_600_000, used: 200_000, free: 2_400_000 },
      },
    ],
    containers,
  };
}

/** A job's build container, created `ranMin` before it stopped `stoppedAgoMin` before `hostNow`. */
function stopped(jobId: number, hostNow: number, stoppedAgoMin: number, ranMin = 7) {
  const finished = hostNow - stoppedAgoMin * 60;
  return {
    id: jobId.toString(16).padStart(64, '0'),
    name: `runner-x1y2z3w4-project-42-concurrent-0-${jobId}-build`,
    image: 'alpine:3.20',
    created: finished - ranMin * 60,
    state: 'exited' as const,
    finished,
    labels: { [RUNNER_LABEL.jobId]: String(jobId), [RUNNER_LABEL.type]: 'build' },
  };
}

describe.skipIf(skip !== null)('idle since from stopped job containers, over real sshd', () => {
  let cluster: SshdCluster;
  let hcloud: HcloudSim;
  let gitlab: GitLabSim;
  let engine: Engine;
  let settings: Settings;
  const history = new History();
  const started = Date.now();
  const names = ['idle-50', 'clock-2h-behind', 'clock-ahead', 'new-job-running', 'unreadable'];

  beforeAll(async () => {
    cluster = await startSshdCluster({
      addresses: names.map((_, i) => `127.0.2.${41 + i}`),
      shimDir: SHIMS_DIR,
    });
    hcloud = await HcloudSim.start({ projects: [{ name: 'prod' }] });
    const now = Math.floor(started / 1000);
    const states: HostState[] = [
      // Stopped 50 min ago on a correct clock; an older one before it.
      vm(names[0]!, now, [stopped(501, now, 50), stopped(500, now, 130)]),
      // Its clock is 2 h behind: the container stopped 50 min before that clock's now.
      vm(names[1]!, now - 2 * 3600, [stopped(601, now - 2 * 3600, 50)]),
      // Its clock is 2 h ahead of ours, and its container stopped 40 min "in the future"
      // of that clock: the stop counts as now.
      vm(names[2]!, now + 2 * 3600, [
        { ...stopped(701, now + 2 * 3600, 0), finished: now + 2 * 3600 + 40 * 60 },
      ]),
      // A container that stopped long ago, and a new job's container starting (created).
      vm(names[3]!, now, [
        stopped(801, now, 180),
        { ...stopped(802, now, 0, 0), state: 'created', finished: undefined },
      ]),
      vm(names[4]!, now, [stopped(901, now, 50)]),
    ];
    names.forEach((name, i) => {
      const host = cluster.hosts[i]!;
      writeHostState(host.stateDir, states[i]!);
      hcloud.addServer('prod', {
        name: `${PREFIX}${name}`,
        labels: { role: 'ci' },
        publicIp: host.address,
        createdMs: started - 3 * HOUR,
      });
    });
    // docker inspect fails on this VM (not a "No such object"): its stops are unknown.
    cluster.hosts[4]!.override(
      'docker',
      `case "$1" in inspect) echo "permission denied while trying to connect to the Docker daemon socket" >&2; exit 1 ;; esac
exec ${cluster.shimDir}/docker "$@"`,
    );
    // One online runner, no running and no finished job: GitLab's history covers the
    // window (6 h) and links no job to any VM.
    gitlab = await startGitLabSim({
      state: fixtureInstance({
        now: started,
        onlineRunners: 1,
        runningJobsPerRunner: 0,
        finishedJobsPerRunner: 0,
      }),
    });
    const ssh = cluster.access({ connectTimeoutSec: 5, commandTimeoutSec: 8 });
    settings = Settings.parse({
      fleets: [
        {
          id: 'ci',
          ssh: { ...ssh, trustOnFirstUse: true, knownHostsFile: `${cluster.dir}/known_hosts_vms` },
          reaper: { idleMinutes: 30, minFleetSize: 0 },
        },
      ],
      hetzner: [
        {
          id: 'prod',
          fleet: 'ci',
          token: { env: 'HC' },
          apiUrl: hcloud.url,
          labelSelector: 'role=ci',
        },
      ],
      probe: { sshConfigFile: null, concurrency: 5 },
    });
    engine = new Engine({
      sources: [
        createHcloudSource({
          settings: settings.hetzner[0]!,
          secrets: { resolve: async () => hcloud.tokensOf('prod').token },
        }),
        new GitLabSource({
          settings: GitLabSettings.parse({
            id: 'main',
            url: gitlab.url,
            token: { env: 'UNUSED' },
            intervalSec: 30,
            timeoutSec: 5,
          }),
          token: async () => SIM_TOKENS.admin,
          retryBaseMs: 5,
        }),
        createProbeSource({ settings, secrets: null }),
      ],
    });
  });
  afterAll(async () => {
    await engine?.dispose();
    await gitlab?.close();
    await hcloud?.dispose();
    await cluster?.dispose();
  });

  /** One fresh start: a single collection, then the policy as the reaper runs it. */
  let machines: Machine[] = [];
  let proposals: Proposal[] = [];
  const at = (name: string) => {
    const m = machines.find((x) => x.name === `${PREFIX}${name}`);
    if (!m) throw new Error(`no machine ${name}: ${machines.map((x) => x.name).join(', ')}`);
    return m;
  };
  const proposal = (name: string) => proposals.find((p) => p.machineName === `${PREFIX}${name}`);

  beforeAll(async () => {
    const snap = await engine.runOnce();
    machines = snap.machines;
    history.ingest(machines, settings.fleets);
    proposals = evaluate({
      machines,
      history,
      fleets: settings.fleets,
      killsInLastHour: new Map(),
      now: Date.now(),
    });
  });

  it('reads every VM fresh, with GitLab saying no job ran on any in its window', () => {
    for (const name of names) {
      const m = at(name);
      expect(m.jobs.value, name).toEqual([]);
      expect(m.gitlabJobs.value, name).toEqual([]);
      expect(m.idleEvidence, name).toMatchObject({ lastJob: null });
      expect(m.idleEvidence?.gitlabSince, name).not.toBeNull();
    }
  });

  it('a fresh start after 50 min idle says idle ~50 min, counted from the container stop', () => {
    const exits = at('idle-50').containerExits;
    expect(exits?.value).toMatchObject({ lastExitJobId: 501, active: 0, exited: 2 });
    const p = proposal('idle-50');
    expect(p?.rule).toBe('idle');
    expect(p?.evidence.idleSinceSource).toBe('container-exit');
    expect(p?.evidence.idleSinceJobId).toBe(501);
    // 50 min on the host's clock, plus the time this collection took.
    const ms = p?.evidence.idleSinceMs ?? 0;
    expect(ms).toBeGreaterThanOrEqual(50 * MIN);
    expect(ms).toBeLessThan(50 * MIN + (Date.now() - started) + 1000);
    expect(p?.summary).toMatch(/idle 50 min since the container of job #501 stopped/);
  });

  it("a VM whose clock is 2 h behind still reads ~50 min: ages are counted on the VM's clock", () => {
    const p = proposal('clock-2h-behind');
    expect(p?.evidence.idleSinceSource).toBe('container-exit');
    const ms = p?.evidence.idleSinceMs ?? 0;
    expect(ms).toBeGreaterThanOrEqual(50 * MIN);
    expect(ms).toBeLessThan(50 * MIN + (Date.now() - started) + 1000);
  });

  it('a stop after the VM clock (skew) counts as now: idle 0 min, no idle proposal', () => {
    expect(proposal('clock-ahead')).toBeUndefined();
    const lastExitAt = at('clock-ahead').containerExits?.value?.lastExitAt ?? 0;
    expect(lastExitAt).toBeGreaterThanOrEqual(started);
    expect(lastExitAt).toBeLessThanOrEqual(Date.now());
  });

  it('an old stop while a new job container is starting: not idle, whatever the exit times', () => {
    expect(at('new-job-running').containerExits?.value).toMatchObject({ active: 1, exited: 1 });
    expect(proposal('new-job-running')).toBeUndefined();
  });

  it('container stops that cannot be read are unknown: no reaching back, the field says why', () => {
    const exits = at('unreadable').containerExits;
    expect(exits?.value).toBeNull();
    expect(exits?.error).toMatch(/container exits: exit status 1 \(permission denied/);
    expect(proposal('unreadable')).toBeUndefined();
  });
});
