import { describe, expect, it } from 'vitest';
import type { RunningJob } from '../../../shared/machine';
import { FleetModel } from '../../../electron/core/fleet/model';
import type { MachineIdentity } from '../../../electron/core/sources/source';
import { parseRunnerProcess } from '../../../electron/core/sources/ssh/probe-parse';

// What the fleet model tells the reaper about job state and identity (issue 9, points 2
// and 3): a running job GitLab cannot place yet makes every machine's GitLab job state
// unknown; a build host a provider also lists stays dedicated; a runner manager stays one.

const hetzner = (name: string, extra: Partial<MachineIdentity> = {}): MachineIdentity => ({
  kind: 'autoscaled',
  provider: 'hetzner',
  providerId: '4711',
  serverType: 'cx22',
  createdAt: 1_000,
  labels: {},
  addresses: [`127.0.9.${name.length}`],
  providerStatus: 'running',
  state: 'running',
  deleteProtected: false,
  ...extra,
});

const ssh: MachineIdentity = {
  kind: 'dedicated',
  provider: 'ssh',
  providerId: null,
  serverType: null,
  createdAt: null,
  labels: {},
  addresses: ['127.0.9.8'],
  providerStatus: 'reachable',
  state: 'running',
};

function linked(jobId: number): RunningJob {
  return {
    jobId,
    projectId: 1,
    pipelineId: 1,
    runnerId: 7,
    containerName: null,
    jobUrl: null,
    ref: 'main',
    name: 'build',
    projectPath: 'group/app',
    user: 'dev',
    startedAt: null,
    seenIn: ['gitlab'],
  };
}

function model(): FleetModel {
  const m = new FleetModel();
  for (const id of ['hetzner:p', 'ssh:probe', 'gitlab:a', 'gitlab:b']) m.registerSource(id, 30_000);
  m.apply(
    'hetzner:p',
    {
      machines: [
        { fleet: 'ci', name: 'vm-1', identity: hetzner('vm-1') },
        { fleet: 'ci', name: 'vm-22', identity: hetzner('vm-22') },
      ],
      inventoryOf: ['ci'],
    },
    10_000,
  );
  return m;
}

const byName = (m: FleetModel, at: number) => new Map(m.machines(at).map((x) => [x.name, x]));

describe('GitLab job state with running jobs not linked to a machine', () => {
  it('is unknown on every machine while a running job has no `via <machine>` yet, naming the job', () => {
    const m = model();
    m.apply(
      'gitlab:a',
      { machines: [], jobsByMachine: new Map(), unlinkedJobs: [{ jobId: 4711, runnerId: 7 }] },
      11_000,
    );
    for (const machine of m.machines(12_000)) {
      expect(machine.gitlabJobs.value, machine.name).toBeNull();
      expect(machine.gitlabJobs.error).toMatch(
        /running job #4711 \(runner #7\) not linked to a machine yet/,
      );
    }
  });

  it('is known again once the trace names the machine: that machine shows the job, the others none', () => {
    const m = model();
    m.apply(
      'gitlab:a',
      { machines: [], jobsByMachine: new Map(), unlinkedJobs: [{ jobId: 4711, runnerId: 7 }] },
      11_000,
    );
    m.apply(
      'gitlab:a',
      { machines: [], jobsByMachine: new Map([['vm-1', [linked(4711)]]]), unlinkedJobs: [] },
      12_000,
    );
    const now = byName(m, 13_000);
    expect(now.get('vm-1')?.gitlabJobs.value?.map((j) => j.jobId)).toEqual([4711]);
    expect(now.get('vm-22')?.gitlabJobs.value).toEqual([]);
    expect(now.get('vm-22')?.gitlabJobs.error).toBeNull();
  });

  it('an unlinked job on one GitLab instance makes the machines unknown whatever the other says', () => {
    const m = model();
    m.apply('gitlab:a', { machines: [], jobsByMachine: new Map(), unlinkedJobs: [] }, 11_000);
    m.apply(
      'gitlab:b',
      { machines: [], jobsByMachine: new Map(), unlinkedJobs: [{ jobId: 5, runnerId: 2 }] },
      11_000,
    );
    expect(byName(m, 12_000).get('vm-1')?.gitlabJobs.value).toBeNull();
  });

  it('a token that sees only some runners is a degraded reading: unknown, with the reason', () => {
    const m = model();
    m.apply(
      'gitlab:a',
      {
        machines: [],
        jobsByMachine: new Map(),
        unlinkedJobs: [],
        partialRunners: 'GitLab example shows only the runners this token can see',
      },
      11_000,
    );
    const vm = byName(m, 12_000).get('vm-1');
    expect(vm?.gitlabJobs.value).toBeNull();
    expect(vm?.gitlabJobs.error).toMatch(/only the runners this token can see/);
  });
});

describe('identity merge', () => {
  it('a build host (sshHosts) that Hetzner lists too stays dedicated, in either order', () => {
    for (const order of [
      ['ssh:probe', 'hetzner:p'],
      ['hetzner:p', 'ssh:probe'],
    ] as const) {
      const m = new FleetModel();
      for (const id of order) m.registerSource(id, 30_000);
      let at = 10_000;
      for (const id of [...order, ...order]) {
        const identity = id === 'ssh:probe' ? ssh : hetzner('build-01');
        m.apply(
          id,
          { machines: [{ fleet: 'ci', name: 'build-01', identity }], inventoryOf: ['ci'] },
          at,
        );
        at += 1_000;
      }
      const [host] = m.machines(at);
      expect(host?.kind, order.join(' then ')).toBe('dedicated');
      expect(host?.provider).toBe('hetzner');
    }
  });

  it("carries Hetzner's delete protection; unknown when the listing did not say", () => {
    const m = new FleetModel();
    m.registerSource('hetzner:p', 30_000);
    m.apply(
      'hetzner:p',
      {
        machines: [
          { fleet: 'ci', name: 'a', identity: hetzner('a', { deleteProtected: true }) },
          { fleet: 'ci', name: 'bb', identity: hetzner('bb', { deleteProtected: null }) },
        ],
      },
      10_000,
    );
    const now = byName(m, 11_000);
    expect(now.get('a')?.deleteProtected).toBe(true);
    expect(now.get('bb')?.deleteProtected).toBeNull();
  });

  it('remembers a gitlab-runner process once seen, even when a later probe says none or fails', () => {
    const m = model();
    m.apply(
      'ssh:probe',
      { machines: [{ fleet: 'ci', name: 'vm-1', runsGitlabRunner: true }] },
      11_000,
    );
    m.apply(
      'ssh:probe',
      { machines: [{ fleet: 'ci', name: 'vm-1', runsGitlabRunner: false }] },
      12_000,
    );
    m.apply(
      'ssh:probe',
      { machines: [{ fleet: 'ci', name: 'vm-1', runsGitlabRunner: null }] },
      13_000,
    );
    m.apply(
      'ssh:probe',
      { machines: [{ fleet: 'ci', name: 'vm-22', runsGitlabRunner: false }] },
      13_000,
    );
    const now = byName(m, 14_000);
    expect(now.get('vm-1')?.runsGitlabRunner).toBe(true);
    expect(now.get('vm-22')?.runsGitlabRunner).toBe(false);
  });
});

describe('the probe’s gitlab-runner check (pgrep -x gitlab-runner)', () => {
  it('reads running, not running and unknown', () => {
    expect(parseRunnerProcess({ stdout: '812\n', stderr: '', status: 0 })).toBe(true);
    expect(parseRunnerProcess({ stdout: '', stderr: '', status: 1 })).toBe(false);
    expect(
      parseRunnerProcess({ stdout: '', stderr: 'sh: pgrep: not found', status: 127 }),
    ).toBeNull();
    expect(parseRunnerProcess({ stdout: '812', stderr: '', status: null })).toBeNull();
    expect(parseRunnerProcess(undefined)).toBeNull();
  });
});
