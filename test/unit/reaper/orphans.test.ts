import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../shared/machine';
import type { SourceHealth } from '../../../shared/source';
import { Settings } from '../../../shared/settings';
import { HcloudDeleteAction } from '../../../electron/core/reaper/actions/hcloud-delete';
import { Executor } from '../../../electron/core/reaper/executor';
import { History } from '../../../electron/core/reaper/history';
import { identityFacts, NO_FACTS } from '../../../electron/core/reaper/identity';
import { KillLedger } from '../../../electron/core/reaper/ledger';
import {
  annotateOrphans,
  checkOrphan,
  managerListings,
  type ManagerListing,
  type OrphanFacts,
} from '../../../electron/core/reaper/orphans';
import { evaluate } from '../../../electron/core/reaper/policy';
import { emptyState } from '../../../electron/core/reaper/state-store';
import { fleetSettings, job, machine, type MachineSpec } from './fixtures';
import { FakeHcloud, MemoryAudit, noSleep, repeat, runPolicy, T0 } from './harness';

const HOUR = 3_600_000;
const MIN = 60_000;
const NAME = 'runner-x1y2z3w4-auto-scale-1700000000-0rphan01';

/** The manager's list: fresh, read 10 s before the cycle. */
function listing(at: number, patch: Partial<ManagerListing> = {}): ManagerListing {
  return {
    source: 'docker-machine:dm',
    label: 'docker-machine on mgr-1',
    fleet: 'ci',
    namePrefix: null,
    lastOkAt: at - 10_000,
    problem: null,
    ...patch,
  };
}

function facts(at: number, patch: Partial<ManagerListing> = {}): OrphanFacts {
  return {
    listings: [listing(at, patch)],
    currency: 'EUR',
    price: () => ({ perHour: 0.01 }),
  };
}

/** A server Hetzner lists and the manager does not: three days old, idle, GitLab complete. */
function orphanSpec(patch: Partial<MachineSpec> = {}): MachineSpec {
  return {
    name: NAME,
    createdAt: T0 - 72 * HOUR,
    listedBy: ['hetzner:p'],
    idleEvidence: { lastJob: null, gitlabSince: T0 - 6 * HOUR },
    ...patch,
  };
}

/** A VM the manager does list: its list is not empty, so it can prove the others unowned. */
const listedPeer: MachineSpec = {
  name: 'runner-x1y2z3w4-auto-scale-1700000000-listed01',
  listedBy: ['hetzner:p', 'docker-machine:dm'],
};

function check(spec: MachineSpec, at = T0, f = facts(at), fleet = fleetSettings('ci')) {
  return checkOrphan(machine(spec, at), fleet, f, NO_FACTS, [], at);
}

describe('checkOrphan', () => {
  it('calls an unlisted, idle, old server with complete readings an orphan, with its cost', () => {
    const result = check(orphanSpec());
    expect(result.state).toBe('unlisted');
    if (result.state !== 'unlisted') return;
    expect(result.status).toMatchObject({
      state: 'orphan',
      managers: ['docker-machine on mgr-1'],
      managerSources: ['docker-machine:dm'],
      notYet: [],
      unknown: [],
      noJobSince: T0 - 6 * HOUR,
      lastJobId: null,
      perHour: 0.01,
      currency: 'EUR',
      unpricedReason: null,
    });
    // 72 h at 0.01 per hour.
    expect(result.status.costSoFar).toBeCloseTo(0.72, 10);
  });

  it('is accounted for while the manager lists it, even with every other reading unknown', () => {
    const result = check(orphanSpec({ listedBy: ['hetzner:p', 'docker-machine:dm'], jobs: null }));
    expect(result).toEqual({ state: 'accounted', why: 'listed by docker-machine on mgr-1' });
  });

  it('is never an orphan while a job container runs on it, whatever GitLab says', () => {
    const result = check(orphanSpec({ jobs: [job(77)], gitlab: null }));
    expect(result).toEqual({ state: 'accounted', why: 'job container #77 running on it' });
  });

  it('is not an orphan while GitLab links a running job to it', () => {
    expect(check(orphanSpec({ jobs: [], gitlab: [job(78)] }))).toMatchObject({
      state: 'accounted',
    });
  });

  it('waits out the grace period: a VM being provisioned is not an orphan', () => {
    const result = check(orphanSpec({ createdAt: T0 - 5 * MIN, idleEvidence: undefined }));
    expect(result.state).toBe('unlisted');
    if (result.state !== 'unlisted') return;
    expect(result.status.state).toBe('unlisted');
    expect(result.status.notYet.join()).toMatch(/created 5 min ago, within the 15 min grace/);
  });

  it('needs a listing taken after the grace period ended', () => {
    const result = check(
      orphanSpec({ createdAt: T0 - 20 * MIN }),
      T0,
      facts(T0, { lastOkAt: T0 - 10 * MIN }),
    );
    if (result.state !== 'unlisted') throw new Error(result.state);
    expect(result.status.notYet.join()).toMatch(/has not listed machines since the grace period/);
  });

  it('waits orphanAfterMinutes after the last GitLab job on it', () => {
    const result = check(
      orphanSpec({
        idleEvidence: {
          lastJob: { jobId: 9, finishedAt: T0 - 10 * MIN },
          gitlabSince: T0 - 6 * HOUR,
        },
      }),
    );
    if (result.state !== 'unlisted') throw new Error(result.state);
    expect(result.status.state).toBe('unlisted');
    expect(result.status.notYet).toEqual([
      'GitLab job #9 ran on it 10 min ago (orphan after 30 min without a job)',
    ]);
    expect(result.status.lastJobId).toBe(9);
  });

  it.each([
    [
      'a failed manager listing',
      facts(T0, { problem: 'last listing failed: exit 1' }),
      {},
      /mgr-1: last listing failed: exit 1/,
    ],
    [
      'a listing that never ran',
      facts(T0, { problem: 'has not listed its machines yet', lastOkAt: null }),
      {},
      /has not listed/,
    ],
    [
      'unknown job containers',
      facts(T0),
      { jobs: null, error: 'connection refused' },
      /job containers on the machine unknown \(connection refused\)/,
    ],
    ['stale job containers', facts(T0), { jobsStale: true }, /job container reading is stale/],
    [
      'unknown GitLab state',
      facts(T0),
      { gitlab: null, gitlabError: 'token sees only its own runners' },
      /GitLab job state unknown \(token sees only/,
    ],
    [
      'incomplete GitLab history',
      facts(T0),
      { idleEvidence: { lastJob: null, gitlabSince: null } },
      /finished jobs are not all linked/,
    ],
    [
      'no GitLab history at all',
      facts(T0),
      { idleEvidence: undefined },
      /finished jobs are not all linked/,
    ],
    ['an unknown creation time', facts(T0), { createdAt: null }, /creation time unknown/],
  ] as const)('is not an orphan with %s: the reason is named', (_what, f, patch, reason) => {
    const result = check(orphanSpec(patch as Partial<MachineSpec>), T0, f);
    if (result.state !== 'unlisted') throw new Error(result.state);
    expect(result.status.state).toBe('unlisted');
    expect(result.status.unknown.join('; ')).toMatch(reason);
  });

  it.each([
    [
      'no manager listing covers the name',
      { listings: [listing(T0, { namePrefix: 'runner-other-' })] },
      {},
      fleetSettings('ci'),
      /no runner manager's machine list covers it/,
    ],
    ['no manager listing at all', { listings: [] }, {}, fleetSettings('ci'), /no runner manager/],
    [
      'a dedicated fleet',
      facts(T0),
      { kind: 'dedicated' as const },
      fleetSettings('ci', {}, { kind: 'dedicated' }),
      /fleet ci is dedicated/,
    ],
    [
      'delete protection',
      facts(T0),
      { deleteProtected: true },
      fleetSettings('ci'),
      /delete protection is on/,
    ],
    [
      'unknown delete protection',
      facts(T0),
      { deleteProtected: null },
      fleetSettings('ci'),
      /delete protection unknown/,
    ],
    [
      'a gitlab-runner process',
      facts(T0),
      { runsGitlabRunner: true },
      fleetSettings('ci'),
      /runner manager/,
    ],
    [
      'a selector that does not match',
      facts(T0),
      { labels: {} },
      fleetSettings('ci'),
      /not matched by the selector/,
    ],
    [
      'a server only docker-machine knows',
      facts(T0),
      { provider: 'docker-machine' as const, identitySource: 'docker-machine:other' },
      fleetSettings('ci'),
      /no Hetzner project lists it/,
    ],
    [
      'a server being deleted',
      facts(T0),
      { status: 'deleting' as const },
      fleetSettings('ci'),
      /deleting/,
    ],
  ] as const)('is not a subject with %s', (_what, f, patch, fleet, why) => {
    const result = check(orphanSpec(patch as Partial<MachineSpec>), T0, f as OrphanFacts, fleet);
    expect(result.state).toBe('none');
    if (result.state === 'none') expect(result.why).toMatch(why);
  });

  it('is never an orphan when it is an SSH host or a manager by address', () => {
    const settings = Settings.parse({
      fleets: [{ id: 'ci' }, { id: 'hosts', kind: 'dedicated' }],
      sshHosts: [{ alias: 'build-1', fleet: 'hosts', host: '127.0.9.1' }],
      dockerMachine: [{ id: 'dm', fleet: 'ci', manager: 'mgr-1' }],
    });
    const identity = identityFacts(settings);
    const m = machine(orphanSpec({ addresses: ['127.0.9.1'] }), T0);
    expect(checkOrphan(m, fleetSettings('ci'), facts(T0), identity, [], T0)).toMatchObject({
      state: 'none',
      why: expect.stringMatching(/SSH host build-1/),
    });
  });

  it('says unpriced, with the reason, when no price is known', () => {
    const result = check(orphanSpec(), T0, {
      listings: [listing(T0)],
      price: () => ({ unknown: 'no price for cx22 in ash' }),
    });
    if (result.state !== 'unlisted') throw new Error(result.state);
    expect(result.status).toMatchObject({
      state: 'orphan',
      perHour: null,
      costSoFar: null,
      unpricedReason: 'no price for cx22 in ash',
    });
  });
});

describe('managerListings', () => {
  const settings = Settings.parse({
    fleets: [{ id: 'ci' }],
    dockerMachine: [
      { id: 'a', fleet: 'ci', manager: 'mgr-a', namePrefix: 'runner-a-' },
      { id: 'b', fleet: 'ci', manager: 'mgr-b' },
      { id: 'c', fleet: 'ci', manager: 'mgr-c' },
      { id: 'd', fleet: 'ci', manager: 'mgr-d' },
      { id: 'e', fleet: 'ci', manager: 'mgr-e' },
    ],
  });
  const health = (id: string, patch: Partial<SourceHealth>): SourceHealth => ({
    id: `docker-machine:${id}`,
    kind: 'docker-machine',
    label: `docker-machine on mgr-${id}`,
    state: 'ok',
    lastRunAt: T0,
    lastOkAt: T0,
    nextRunAt: null,
    lastDurationMs: 5,
    consecutiveFailures: 0,
    lastError: null,
    warnings: [],
    intervalMs: 30_000,
    ...patch,
  });
  it('says which lists are fresh, failed, stale, never read or not collected', () => {
    const now = T0 + 60_000;
    const listings = managerListings(
      settings,
      [
        health('a', {}),
        health('b', { state: 'failing', lastError: { code: 'remote_error', message: 'exit 1' } }),
        health('c', { lastOkAt: T0 - 10 * MIN }),
        health('d', { state: 'pending', lastOkAt: null }),
      ],
      now,
    );
    expect(listings.map((l) => [l.source, l.namePrefix, l.problem])).toEqual([
      ['docker-machine:a', 'runner-a-', null],
      ['docker-machine:b', null, 'last listing failed: exit 1'],
      ['docker-machine:c', null, 'last listing is 660 s old (stale)'],
      ['docker-machine:d', null, 'has not listed its machines yet'],
      ['docker-machine:e', null, 'not collected by this process'],
    ]);
    // A listing dated after now: the clock went back, its age is unknown.
    expect(
      managerListings(settings, [health('a', { lastOkAt: now + 1 })], now)[0]?.problem,
    ).toMatch(/future/);
  });
});

describe('annotateOrphans', () => {
  it('sets the status on unlisted servers and clears it once a manager lists them', () => {
    const fleet = fleetSettings('ci');
    const unlisted = machine(orphanSpec(), T0);
    // The manager lists another VM: an empty list would prove nothing (orphan-attacks).
    const peer = machine(listedPeer, T0);
    const [annotated] = annotateOrphans([unlisted, peer], [fleet], facts(T0), NO_FACTS, T0);
    expect(annotated?.orphan?.state).toBe('orphan');
    const adopted: Machine = { ...annotated!, listedBy: ['hetzner:p', 'docker-machine:dm'] };
    const [again] = annotateOrphans([adopted, peer], [fleet], facts(T0), NO_FACTS, T0);
    expect(again).not.toHaveProperty('orphan');
  });
});

describe('orphan proposals', () => {
  const fleet = fleetSettings('ci');
  const others: MachineSpec[] = [0, 1, 2].map((i) => ({
    name: `runner-x1y2z3w4-auto-scale-1700000000-busy000${i}`,
    listedBy: ['hetzner:p', 'docker-machine:dm'],
    jobs: [job(100 + i)],
  }));

  it('proposes deleting an orphan, with the evidence and a person to confirm', () => {
    const run = runPolicy({
      fleets: [fleet],
      ticks: repeat(2, [orphanSpec(), ...others]),
      orphans: facts(T0 + 30_000),
    });
    expect(run.proposals).toHaveLength(1);
    const p = run.proposals[0]!;
    expect(p).toMatchObject({
      rule: 'orphan',
      action: 'hcloud-delete',
      machineName: NAME,
      blocked: [],
      mode: 'notify',
      createdAt: T0 - 72 * HOUR,
    });
    expect(p.summary).toBe(
      `Delete orphan ${NAME} (not listed by docker-machine on mgr-1, no job for 6 h, age 3 d, 0.72 EUR so far)`,
    );
    expect(p.evidence.orphan?.state).toBe('orphan');
    expect(p.evidence.runningContainers).toBe(0);
  });

  it('blocks it, with the reason, while a manager list failed', () => {
    const run = runPolicy({
      fleets: [fleet],
      ticks: repeat(2, [orphanSpec(), ...others]),
      orphans: facts(T0 + 30_000, { problem: 'last listing failed: exit 1' }),
    });
    expect(run.proposals[0]?.blocked).toContain(
      'not proven an orphan: docker-machine on mgr-1: last listing failed: exit 1',
    );
  });

  it('proposes nothing for a provisioning VM, a recently used one or with the rule off', () => {
    for (const [spec, f] of [
      [orphanSpec({ createdAt: T0 - 5 * MIN }), fleet],
      [
        orphanSpec({
          idleEvidence: { lastJob: { jobId: 3, finishedAt: T0 }, gitlabSince: T0 - 6 * HOUR },
        }),
        fleet,
      ],
      [orphanSpec(), fleetSettings('ci', { orphans: 'off' })],
    ] as const) {
      const run = runPolicy({
        fleets: [f],
        ticks: repeat(2, [spec, ...others]),
        orphans: facts(T0),
      });
      expect(run.proposals).toEqual([]);
    }
  });

  it('puts a proven orphan before the disk rule, an unproven one after it', () => {
    const full = orphanSpec({ disk: 97 });
    const proven = runPolicy({
      fleets: [fleet],
      ticks: repeat(4, [full, ...others]),
      orphans: facts(T0),
    });
    expect(proven.proposals[0]?.rule).toBe('orphan');
    const unproven = runPolicy({
      fleets: [fleet],
      ticks: repeat(4, [
        { ...full, idleEvidence: { lastJob: null, gitlabSince: null } },
        ...others,
      ]),
      orphans: facts(T0),
    });
    expect(unproven.proposals[0]).toMatchObject({ rule: 'disk', blocked: [] });
  });

  it('executes automatically only when orphans are opted in to auto', () => {
    const auto = runPolicy({
      fleets: [fleetSettings('ci', { mode: 'auto' })],
      ticks: repeat(2, [orphanSpec(), ...others]),
      orphans: facts(T0),
    });
    expect(auto.proposals[0]?.mode).toBe('notify');
    const optedIn = runPolicy({
      fleets: [fleetSettings('ci', { mode: 'auto', orphans: 'auto' })],
      ticks: repeat(2, [orphanSpec(), ...others]),
      orphans: facts(T0),
    });
    expect(optedIn.proposals[0]?.mode).toBe('auto');
  });
});

describe('orphan deletion re-check', () => {
  /** An executor whose re-check returns `fresh()` and whose manager list is `listings()`. */
  function setup(
    fresh: () => Machine,
    listings: () => OrphanFacts,
    mode: 'notify' | 'auto' = 'notify',
  ) {
    const fleet = fleetSettings('ci', { mode, minFleetSize: 0 });
    const history = new History();
    const at = T0;
    const first = machine(orphanSpec(), at);
    const peer = machine(listedPeer, at);
    history.ingest([first, peer], [fleet]);
    const [proposal] = evaluate({
      machines: [first, peer],
      history,
      fleets: [fleet],
      killsInLastHour: new Map(),
      now: at,
      orphans: listings(),
    });
    const hcloud = new FakeHcloud();
    const audit = new MemoryAudit();
    let now = at;
    const executor = new Executor({
      recheck: async () => {
        now += 1_000;
        return fresh();
      },
      context: () => ({ machines: [first, peer], fleets: [fleet], orphans: listings() }),
      history,
      ledger: new KillLedger(emptyState().ledger, () => 0),
      actions: { 'hcloud-delete': new HcloudDeleteAction({ api: hcloud, sleep: noSleep }) },
      audit,
      state: emptyState(),
      store: null,
      now: () => now,
    });
    return { proposal: proposal!, executor, hcloud, audit, now: () => now };
  }

  it('deletes when the fresh manager list still does not list it', async () => {
    let listedAt = T0 - 10_000;
    const s = setup(
      () => machine(orphanSpec(), T0 + 1_000),
      () => ({ listings: [listing(0, { lastOkAt: listedAt })] }),
    );
    expect(s.proposal.rule).toBe('orphan');
    listedAt = T0 + 500;
    const result = await s.executor.execute(s.proposal, 'alice@ws');
    expect(result, JSON.stringify(result)).toMatchObject({ outcome: 'ok' });
    expect(s.hcloud.deleteCalls).toHaveLength(1);
  });

  it('refuses when a manager adopted the server between proposal and confirmation', async () => {
    let adopted = false;
    const s = setup(
      () =>
        machine(
          orphanSpec({ listedBy: adopted ? ['hetzner:p', 'docker-machine:dm'] : ['hetzner:p'] }),
          T0 + 1_000,
        ),
      () => ({ listings: [listing(0, { lastOkAt: adopted ? T0 + 500 : T0 - 10_000 })] }),
    );
    adopted = true;
    const result = await s.executor.execute(s.proposal, 'alice@ws');
    expect(result.outcome).toBe('refused');
    expect(result.reasons).toContain(
      'the orphan rule no longer fires: listed by docker-machine on mgr-1',
    );
    expect(s.hcloud.deleteCalls).toEqual([]);
    expect(s.audit.types()).toEqual(['confirm', 'refusal']);
  });

  it('refuses when the re-check brought no new manager list', async () => {
    const s = setup(
      () => machine(orphanSpec(), T0 + 1_000),
      () => ({ listings: [listing(0, { lastOkAt: T0 - 10_000 })] }),
    );
    const result = await s.executor.execute(s.proposal, 'alice@ws');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('; ')).toMatch(
      /re-check brought no new machine list from docker-machine on mgr-1/,
    );
    expect(s.hcloud.deleteCalls).toEqual([]);
  });

  it('refuses when a job container appeared on it', async () => {
    const s = setup(
      () => machine(orphanSpec({ jobs: [job(5)] }), T0 + 1_000),
      () => ({ listings: [listing(0, { lastOkAt: T0 + 500 })] }),
    );
    const result = await s.executor.execute(s.proposal, 'alice@ws');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('; ')).toMatch(/job container #5 running on it/);
  });

  it('refuses an automatic deletion unless orphans are opted in to auto', async () => {
    const s = setup(
      () => machine(orphanSpec(), T0 + 1_000),
      () => ({ listings: [listing(0, { lastOkAt: T0 + 500 })] }),
      'auto',
    );
    const result = await s.executor.execute(s.proposal, 'auto');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join()).toMatch(/reaper.orphans "auto"/);
    expect(s.hcloud.deleteCalls).toEqual([]);
  });
});
