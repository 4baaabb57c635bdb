import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../shared/machine';
import type { Proposal } from '../../../shared/proposal';
import { HcloudDeleteAction } from '../../../electron/core/reaper/actions/hcloud-delete';
import { Executor } from '../../../electron/core/reaper/executor';
import { History } from '../../../electron/core/reaper/history';
import { identify, NO_FACTS } from '../../../electron/core/reaper/identity';
import { KillLedger } from '../../../electron/core/reaper/ledger';
import {
  annotateOrphans,
  type ManagerListing,
  type OrphanFacts,
} from '../../../electron/core/reaper/orphans';
import { evaluate } from '../../../electron/core/reaper/policy';
import { emptyState } from '../../../electron/core/reaper/state-store';
import { fleetSettings, job, machine, type MachineSpec } from './fixtures';
import { FakeHcloud, MemoryAudit, noSleep, repeat, runPolicy, T0 } from './harness';

/*
 * Attacks on the orphan rule, the docker-autoscaler identity and evidence-based idle time:
 * for each, a realistic configuration or timing that could make the reaper delete the
 * wrong machine. Every case must end with no open delete proposal, or one blocked with a
 * named reason.
 */

const HOUR = 3_600_000;
const MIN = 60_000;
const vm = (suffix: string) => `runner-x1y2z3w4-auto-scale-1700000000-${suffix}`;

function listing(patch: Partial<ManagerListing> = {}): ManagerListing {
  return {
    source: 'docker-machine:dm',
    label: 'docker-machine on mgr-1',
    fleet: 'ci',
    namePrefix: null,
    lastOkAt: T0,
    problem: null,
    ...patch,
  };
}

function facts(...listings: ManagerListing[]): OrphanFacts {
  return { listings: listings.length > 0 ? listings : [listing()] };
}

/** A VM Hetzner lists, idle for hours, old: an orphan unless something says otherwise. */
function idleVm(suffix: string, patch: Partial<MachineSpec> = {}): MachineSpec {
  return {
    name: vm(suffix),
    createdAt: T0 - 72 * HOUR,
    listedBy: ['hetzner:p'],
    idleEvidence: { lastJob: null, gitlabSince: T0 - 6 * HOUR },
    ...patch,
  };
}

/** A VM the manager lists and that runs a job. */
function busyVm(suffix: string, jobId: number, patch: Partial<MachineSpec> = {}): MachineSpec {
  return {
    name: vm(suffix),
    listedBy: ['hetzner:p', 'docker-machine:dm'],
    jobs: [job(jobId)],
    ...patch,
  };
}

/** Open (unblocked) delete proposals: what must never exist for the wrong machine. */
const openDeletes = (proposals: readonly Proposal[]) =>
  proposals.filter((p) => p.action !== 'cleanup' && p.blocked.length === 0);

describe('attack: a manager listing that answered but is wrong', () => {
  it('an empty docker-machine ls (wrong MACHINE_STORAGE_PATH or user) while GitLab runs jobs on its VMs makes no orphan', () => {
    // The listing succeeded and is fresh, but lists nothing: every VM reads unlisted.
    const machines = [
      idleVm('idle0001'),
      idleVm('idle0002'),
      idleVm('busy0001', { jobs: [], gitlab: [job(501)] }),
      idleVm('busy0002', { jobs: [job(502)] }),
    ];
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, machines),
      orphans: facts(),
    });
    expect(openDeletes(run.proposals)).toEqual([]);
    for (const name of [vm('idle0001'), vm('idle0002')]) {
      expect(run.byName.get(name)?.blocked.join('; ')).toMatch(
        /not proven an orphan: docker-machine on mgr-1: .*does not list .*runner-x1y2z3w4-auto-scale-1700000000-busy000/,
      );
    }
  });

  it('an empty docker-machine ls makes no orphan even when no job runs anywhere', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [idleVm('idle0001'), idleVm('idle0002'), idleVm('idle0003')]),
      orphans: facts(),
    });
    expect(openDeletes(run.proposals)).toEqual([]);
    expect(run.byName.get(vm('idle0001'))?.blocked.join('; ')).toMatch(
      /docker-machine on mgr-1: lists no machine at all while Hetzner shows 3 it covers/,
    );
  });

  it('a truncated listing that leaves out a VM running a job makes no orphan of the other unlisted ones', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [
        busyVm('list0001', 601),
        idleVm('idle0001'),
        idleVm('drop0001', { jobs: [job(602)] }),
      ]),
      orphans: facts(),
    });
    expect(openDeletes(run.proposals)).toEqual([]);
    expect(run.byName.get(vm('idle0001'))?.blocked.join('; ')).toMatch(
      /does not list runner-x1y2z3w4-auto-scale-1700000000-drop0001, where GitLab runs job #602/,
    );
  });

  it('a stray job container on an unlisted server (GitLab runs nothing there) does not doubt the list', () => {
    // The store lost the machine while a container kept running: that one is accounted
    // for by its container, the other unlisted, idle server is still found.
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [
        busyVm('list0001', 601),
        idleVm('idle0001'),
        idleVm('stray001', { jobs: [job(603)], gitlab: [] }),
      ]),
      orphans: facts(),
    });
    expect(run.byName.get(vm('stray001'))).toBeUndefined();
    expect(run.byName.get(vm('idle0001'))).toMatchObject({ rule: 'orphan', blocked: [] });
  });

  it('the Fleet view does not call them orphans either (annotateOrphans)', () => {
    const machines = [idleVm('idle0001'), idleVm('busy0001', { jobs: [job(7)] })].map((s) =>
      machine(s, T0),
    );
    const annotated = annotateOrphans(machines, [fleetSettings('ci')], facts(), NO_FACTS, T0);
    expect(annotated.find((m) => m.name === vm('idle0001'))?.orphan?.state).toBe('unlisted');
  });
});

describe('attack: several managers and listings', () => {
  it('two managers with overlapping name prefixes: one listing it is enough to account for it', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [
        idleVm('shared01', { listedBy: ['hetzner:p', 'docker-machine:b'] }),
        busyVm('other001', 1, { listedBy: ['hetzner:p', 'docker-machine:a'] }),
      ]),
      orphans: facts(
        listing({
          source: 'docker-machine:a',
          label: 'docker-machine on mgr-a',
          namePrefix: 'runner-',
        }),
        listing({
          source: 'docker-machine:b',
          label: 'docker-machine on mgr-b',
          namePrefix: 'runner-x1y2z3w4-',
        }),
      ),
    });
    expect(run.byName.get(vm('shared01'))).toBeUndefined();
    expect(openDeletes(run.proposals)).toEqual([]);
  });

  it('two managers, one listing failed: the unlisted VM is blocked with that listing named', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [idleVm('idle0001'), busyVm('busy0001', 1)]),
      orphans: facts(
        listing(),
        listing({
          source: 'docker-machine:b',
          label: 'docker-machine on mgr-b',
          problem: 'last listing failed: exit 1',
        }),
      ),
    });
    expect(openDeletes(run.proposals)).toEqual([]);
    expect(run.byName.get(vm('idle0001'))?.blocked.join('; ')).toMatch(
      /mgr-b: last listing failed/,
    );
  });

  it("the same server in two fleets (overlapping Hetzner selectors): listed by the other fleet's manager, never an orphan", () => {
    const shared = { providerId: '424242', createdAt: T0 - 72 * HOUR };
    const run = runPolicy({
      fleets: [fleetSettings('a', { minFleetSize: 0 }), fleetSettings('b', { minFleetSize: 0 })],
      ticks: repeat(2, [
        idleVm('shared01', { fleet: 'a', ...shared, identitySource: 'hetzner:pa' }),
        busyVm('a0000001', 1, {
          fleet: 'a',
          identitySource: 'hetzner:pa',
          listedBy: ['hetzner:pa', 'docker-machine:a'],
        }),
        idleVm('shared01', {
          fleet: 'b',
          ...shared,
          identitySource: 'hetzner:pb',
          listedBy: ['hetzner:pb', 'docker-machine:b'],
        }),
      ]),
      orphans: facts(
        listing({ source: 'docker-machine:a', fleet: 'a', label: 'docker-machine on mgr-a' }),
        listing({ source: 'docker-machine:b', fleet: 'b', label: 'docker-machine on mgr-b' }),
      ),
    });
    const orphanRule = run.proposals.filter((p) => p.rule === 'orphan');
    expect(orphanRule).toEqual([]);
    expect(openDeletes(run.proposals)).toEqual([]);
  });

  it('the same server in two fleets, running a job seen only in the other fleet: never an orphan', () => {
    const shared = { providerId: '434343', createdAt: T0 - 72 * HOUR };
    const run = runPolicy({
      fleets: [fleetSettings('a', { minFleetSize: 0 }), fleetSettings('b', { minFleetSize: 0 })],
      ticks: repeat(2, [
        idleVm('shared01', { fleet: 'a', ...shared, identitySource: 'hetzner:pa' }),
        busyVm('a0000001', 1, {
          fleet: 'a',
          identitySource: 'hetzner:pa',
          listedBy: ['hetzner:pa', 'docker-machine:a'],
        }),
        idleVm('shared01', {
          fleet: 'b',
          ...shared,
          identitySource: 'hetzner:pb',
          listedBy: ['hetzner:pb'],
          jobs: [job(900)],
        }),
      ]),
      orphans: facts(listing({ source: 'docker-machine:a', fleet: 'a' })),
    });
    expect(run.proposals.filter((p) => p.rule === 'orphan')).toEqual([]);
  });
});

describe('attack: servers a docker-machine list cannot speak for', () => {
  it('a second, unconfigured manager in the same project: its idle VMs (another runner token) are no orphans of a list without name prefix', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [
        busyVm('list0001', 1),
        idleVm('x', { name: 'runner-bbbbbbbb-auto-scale-1700000000-0ther001' }),
      ]),
      orphans: facts(),
    });
    expect(run.byName.get('runner-bbbbbbbb-auto-scale-1700000000-0ther001')).toBeUndefined();
    expect(openDeletes(run.proposals)).toEqual([]);
  });

  it('a server labelled like the fleet but not named by docker+machine (a cache server) is no orphan', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [busyVm('list0001', 1), idleVm('x', { name: 'ci-cache-minio' })]),
      orphans: facts(),
    });
    expect(run.byName.get('ci-cache-minio')).toBeUndefined();
    const [annotated] = annotateOrphans(
      [machine(idleVm('x', { name: 'ci-cache-minio' }), T0)],
      [fleetSettings('ci')],
      facts(),
      NO_FACTS,
      T0,
    );
    expect(annotated).not.toHaveProperty('orphan');
  });

  it('the same runner token is still covered: an idle unlisted VM of the listed runner is found', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [busyVm('list0001', 1), idleVm('idle0001')]),
      orphans: facts(),
    });
    expect(run.byName.get(vm('idle0001'))).toMatchObject({ rule: 'orphan', blocked: [] });
  });
});

describe('attack: jobs GitLab has not linked yet', () => {
  it('a job linked moments ago accounts for the server', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: [
        [idleVm('idle0001'), busyVm('busy0001', 1)],
        [idleVm('idle0001', { gitlab: [job(77)] }), busyVm('busy0001', 1)],
      ],
      orphans: facts(),
    });
    expect(run.byName.get(vm('idle0001'))).toBeUndefined();
  });

  it('a job that finished on it a minute ago keeps it from being an orphan', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [
        idleVm('idle0001', {
          idleEvidence: {
            lastJob: { jobId: 78, finishedAt: T0 - MIN },
            gitlabSince: T0 - 6 * HOUR,
          },
        }),
        busyVm('busy0001', 1),
      ]),
      orphans: facts(),
    });
    expect(run.byName.get(vm('idle0001'))).toBeUndefined();
  });

  it('an unlinked running job of the runner (GitLab state unknown) blocks the orphan, the job named', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [
        idleVm('idle0001', {
          gitlab: null,
          gitlabError: 'running job #990 of runner #1 is not linked to a machine yet',
        }),
        busyVm('busy0001', 1),
      ]),
      orphans: facts(),
    });
    expect(openDeletes(run.proposals)).toEqual([]);
    expect(run.byName.get(vm('idle0001'))?.blocked.join('; ')).toMatch(/job #990/);
  });

  it('a container stop far in the past with an unlinked running job: no idle or orphan delete', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0, idleMinutes: 10 })],
      ticks: repeat(3, [
        idleVm('idle0001', {
          gitlab: null,
          gitlabError: 'running job #991 of runner #1 is not linked to a machine yet',
          exits: { lastExitAt: T0 - 48 * HOUR, jobId: 5 },
        }),
        busyVm('busy0001', 1),
      ]),
      orphans: facts(),
    });
    expect(openDeletes(run.proposals)).toEqual([]);
  });
});

describe('attack: server identity and clocks', () => {
  it('a server created in the future (clock skew) is never an orphan by age', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [
        idleVm('idle0001', {
          createdAt: T0 + 2 * HOUR,
          idleEvidence: { lastJob: null, gitlabSince: T0 - 6 * HOUR },
        }),
        busyVm('busy0001', 1),
      ]),
      orphans: facts(),
    });
    expect(openDeletes(run.proposals)).toEqual([]);
  });

  it('GitLab history dated after now (clock set back) never proves a quiet server', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0 })],
      ticks: repeat(2, [
        idleVm('idle0001', { idleEvidence: { lastJob: null, gitlabSince: T0 + HOUR } }),
        busyVm('busy0001', 1),
      ]),
      orphans: facts(),
    });
    expect(openDeletes(run.proposals)).toEqual([]);
  });

  it('with no grace period, a list read before the server was created does not prove it unlisted', () => {
    const run = runPolicy({
      fleets: [
        fleetSettings('ci', { minFleetSize: 0, orphanGraceMinutes: 0, orphanAfterMinutes: 0 }),
      ],
      ticks: repeat(2, [idleVm('new00001', { createdAt: T0 - 1_000 }), busyVm('busy0001', 1)]),
      orphans: facts(listing({ lastOkAt: T0 - 5_000 })),
    });
    expect(openDeletes(run.proposals)).toEqual([]);
  });

  it('a server without a creation time is never an orphan', () => {
    const [m] = annotateOrphans(
      [machine(idleVm('idle0001', { createdAt: null }), T0), machine(busyVm('busy0001', 1), T0)],
      [fleetSettings('ci')],
      facts(),
      NO_FACTS,
      T0,
    );
    expect(m?.orphan?.state).toBe('unlisted');
    expect(m?.orphan?.unknown).toContain('creation time unknown');
  });

  it('a server replaced under the same name between proposal and confirmation is not deleted', async () => {
    const fleet = fleetSettings('ci', { minFleetSize: 0 });
    const history = new History();
    const first = machine(idleVm('repl0001'), T0);
    const peer = machine(busyVm('busy0001', 1), T0);
    history.ingest([first, peer], [fleet]);
    const orphanFacts = () => facts(listing({ lastOkAt: T0 + 500 }));
    const [proposal] = evaluate({
      machines: [first, peer],
      history,
      fleets: [fleet],
      killsInLastHour: new Map(),
      now: T0,
      orphans: orphanFacts(),
    }).filter((p) => p.rule === 'orphan');
    expect(proposal?.blocked).toEqual([]);
    // The same name, another server: new id, created just now (and already past grace? no).
    const replaced: Machine = {
      ...machine(
        idleVm('repl0001', { providerId: '999999', createdAt: T0 - 60 * MIN }),
        T0 + 1_000,
      ),
    };
    const hcloud = new FakeHcloud();
    let now = T0;
    const executor = new Executor({
      recheck: async () => {
        now += 1_000;
        return replaced;
      },
      context: () => ({ machines: [first, peer], fleets: [fleet], orphans: orphanFacts() }),
      history,
      ledger: new KillLedger(emptyState().ledger, () => 0),
      actions: { 'hcloud-delete': new HcloudDeleteAction({ api: hcloud, sleep: noSleep }) },
      audit: new MemoryAudit(),
      state: emptyState(),
      store: null,
      now: () => now,
    });
    const result = await executor.execute(proposal!, 'alice@ws');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('; ')).toMatch(/server replaced under the same name/);
    expect(hcloud.deleteCalls).toEqual([]);
  });
});

describe('attack: docker-autoscaler instance group names', () => {
  const autoscaler = (groups: string[]) =>
    fleetSettings(
      'fl',
      { minFleetSize: 0 },
      { autoscaler: { instanceGroups: groups }, unidentified: true },
    );

  it.each([
    ['a dedicated host whose name starts with the group', 'ci', 'ci-build-host'],
    ['the manager named after the group', 'ci', 'ci-manager'],
    ['a group that is a prefix of another group', 'ci', 'ci-big-0a1b2c3d'],
    ['a group name with uppercase hex suffix', 'ci', 'ci-0A1B2C3D'],
  ])('%s is not identified: %s vs %s', (_what, group, name) => {
    const m = machine({ name, fleet: 'fl', labels: {} }, T0);
    expect(identify(m, autoscaler([group]), NO_FACTS)).toHaveProperty('none');
  });

  it('an empty instance group name is refused by the settings (it would prefix every name)', () => {
    expect(() => autoscaler([''])).toThrow(/too_small|>=1 characters/);
  });

  it('a full disk on a host sharing the group prefix gets no open delete', () => {
    const run = runPolicy({
      fleets: [autoscaler(['ci'])],
      ticks: repeat(4, [
        { name: 'ci-build-host', fleet: 'fl', labels: {}, disk: 97 },
        { name: 'ci-0a1b2c3d', fleet: 'fl', labels: {} },
      ]),
    });
    expect(run.byName.get('ci-build-host')?.blocked.join('; ')).toMatch(
      /not an instance of group ci/,
    );
    expect(openDeletes(run.proposals)).toEqual([]);
  });
});

describe('attack: modes and fleet guards across rules', () => {
  it('auto mode without reaper.orphans auto leaves an orphan waiting for a person', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { mode: 'auto', minFleetSize: 0 })],
      ticks: repeat(2, [idleVm('idle0001'), busyVm('busy0001', 1)]),
      orphans: facts(),
    });
    expect(run.byName.get(vm('idle0001'))).toMatchObject({ rule: 'orphan', mode: 'notify' });
  });

  it('the hourly budget is shared by an orphan and a disk proposal', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 0, maxKillsPerHour: 1 })],
      ticks: repeat(4, [
        idleVm('idle0001'),
        busyVm('full0001', 1, { jobs: [], disk: 95 }),
        busyVm('busy0001', 2),
      ]),
      orphans: facts(),
    });
    const free = openDeletes(run.proposals);
    expect(free).toHaveLength(1);
    expect(
      run.proposals.filter((p) => p.blocked.some((b) => /hourly budget/.test(b))),
    ).toHaveLength(1);
  });

  it('an orphan is no capacity: it does not let a disk kill take the fleet below its minimum', () => {
    // Two VMs serve the runner, one orphan serves nobody; minimum 2.
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 2 })],
      ticks: repeat(4, [
        idleVm('idle0001'),
        busyVm('full0001', 1, { jobs: [], disk: 95 }),
        busyVm('busy0001', 2),
      ]),
      orphans: facts(),
    });
    const disk = run.byName.get(vm('full0001'));
    expect(disk?.rule).toBe('disk');
    expect(disk?.blocked.join('; ')).toMatch(/minimum fleet size reached \(2 running, minimum 2\)/);
    // Deleting the orphan takes no capacity: it stays free.
    expect(openDeletes(run.proposals).map((p) => p.machineName)).toEqual([vm('idle0001')]);
  });

  it('an orphan waits while fewer VMs than the minimum are listed (the list may be short)', () => {
    const run = runPolicy({
      fleets: [fleetSettings('ci', { minFleetSize: 2 })],
      ticks: repeat(2, [idleVm('idle0001'), busyVm('busy0001', 2)]),
      orphans: facts(),
    });
    expect(run.byName.get(vm('idle0001'))?.blocked).toEqual([
      'minimum fleet size not met by listed VMs (1 running, minimum 2)',
    ]);
  });
});
