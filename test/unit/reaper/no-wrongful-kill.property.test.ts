import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../shared/machine';
import type { Proposal } from '../../../shared/proposal';
import { HcloudDeleteAction } from '../../../electron/core/reaper/actions/hcloud-delete';
import { Executor } from '../../../electron/core/reaper/executor';
import { History } from '../../../electron/core/reaper/history';
import { KillLedger } from '../../../electron/core/reaper/ledger';
import { identityFacts } from '../../../electron/core/reaper/identity';
import type { ManagerListing } from '../../../electron/core/reaper/orphans';
import { evaluate } from '../../../electron/core/reaper/policy';
import type { Runner } from '../../../shared/runner';
import { Settings, type ReaperSettings } from '../../../shared/settings';
import { emptyState } from '../../../electron/core/reaper/state-store';
import { fleetSettings, job, machine, type MachineSpec } from './fixtures';
import { FakeHcloud, MemoryAudit, noSleep, T0 } from './harness';

/** One machine of the simulated world, as it really is right now. */
interface Real {
  name: string;
  disk: number;
  /** Running jobs: id → expendable? */
  jobs: Map<number, boolean>;
  probeOk: boolean;
  gone: boolean;
}

type Event =
  | { kind: 'cycle' }
  | { kind: 'job-start'; m: number; expendable: boolean }
  | { kind: 'job-end'; m: number }
  | { kind: 'disk'; m: number; pct: number }
  | { kind: 'probe'; m: number; ok: boolean }
  | { kind: 'gitlab'; up: boolean }
  | { kind: 'confirm'; pick: number }
  | { kind: 'auto' }
  | { kind: 'clock-jump'; ms: number };

const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'cycle' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('job-start' as const),
      m: fc.nat(5),
      expendable: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('job-end' as const), m: fc.nat(5) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('disk' as const),
      m: fc.nat(5),
      pct: fc.integer({ min: 10, max: 100 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('probe' as const), m: fc.nat(5), ok: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gitlab' as const), up: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('confirm' as const), pick: fc.nat(10) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'auto' as const }) },
  // The wall clock jumps (NTP, suspend, a wrong RTC); the monotonic clock does not.
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('clock-jump' as const),
      ms: fc.integer({ min: -7_200_000, max: 7_200_000 }),
    }),
  },
);

const world = fc.record({
  machines: fc.array(
    fc.record({
      disk: fc.integer({ min: 10, max: 100 }),
      jobs: fc.array(fc.boolean(), { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
  samples: fc.integer({ min: 1, max: 3 }),
  threshold: fc.integer({ min: 50, max: 90 }),
  idleMinutes: fc.integer({ min: 0, max: 2 }),
  minFleetSize: fc.integer({ min: 0, max: 3 }),
  maxKillsPerHour: fc.integer({ min: 0, max: 4 }),
  events: fc.array(event, { minLength: 5, maxLength: 60 }),
});

describe('property: no kill of a machine running a non-expendable job', () => {
  it('holds for random fleets and event orders, and the fleet guards hold too', async () => {
    let totalKills = 0;
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const fleet = fleetSettings('ci', {
          samples: w.samples,
          diskThresholdPct: w.threshold,
          idleMinutes: w.idleMinutes,
          minFleetSize: w.minFleetSize,
          maxKillsPerHour: w.maxKillsPerHour,
          expendable: [{ project: 'group/docs-*' }],
        });
        let nextJob = 1;
        const real: Real[] = w.machines.map((m, i) => ({
          name: `vm-${i}`,
          disk: m.disk,
          jobs: new Map(m.jobs.map((expendable) => [nextJob++, expendable])),
          probeOk: true,
          gone: false,
        }));
        let gitlabUp = true;
        let clock = T0;
        let mono = 0;
        const spec = (r: Real): MachineSpec => {
          const jobs = [...r.jobs].map(([id, expendable]) =>
            job(id, { project: expendable ? 'group/docs-site' : 'group/api' }),
          );
          return {
            name: r.name,
            disk: r.probeOk ? r.disk : null,
            jobs: r.probeOk ? jobs : null,
            gitlab: gitlabUp ? jobs : null,
            status: r.gone ? 'gone' : 'running',
          };
        };
        const observe = (at: number): Machine[] => real.map((r) => machine(spec(r), at));
        const byServer = new Map(observe(clock).map((m) => [Number(m.providerId), m.name]));

        const violations: string[] = [];
        const kills: string[] = [];
        const hcloud = new FakeHcloud([], 1, (id) => {
          const r = real.find((x) => x.name === byServer.get(id));
          if (!r) return;
          const important = [...r.jobs]
            .filter(([, expendable]) => !expendable)
            .map(([jobId]) => jobId);
          if (important.length > 0)
            violations.push(
              `${r.name} killed while running non-expendable job(s) ${important.join(',')}`,
            );
          kills.push(r.name);
          const runningAfter = real.filter((x) => !x.gone && x !== r).length;
          if (runningAfter < w.minFleetSize)
            violations.push(`fleet below minimum: ${runningAfter} < ${w.minFleetSize}`);
          r.gone = true;
        });
        const history = new History();
        const state = emptyState();
        const ledger = new KillLedger(state.ledger, () => mono);
        let current: Machine[] = observe(clock);
        const executor = new Executor({
          recheck: async (key) => {
            clock += 1;
            const found = observe(clock).find((m) => m.key === key);
            if (!found) throw new Error('gone');
            return found;
          },
          context: () => ({ machines: current, fleets: [fleet] }),
          history,
          ledger,
          actions: { 'hcloud-delete': new HcloudDeleteAction({ api: hcloud, sleep: noSleep }) },
          audit: new MemoryAudit(),
          state,
          store: null,
          now: () => clock,
        });
        let proposals: Proposal[] = [];
        for (const e of w.events) {
          const r = 'm' in e ? real[e.m % real.length] : undefined;
          switch (e.kind) {
            case 'cycle':
              clock += 30_000;
              mono += 30_000;
              current = observe(clock);
              history.ingest(current, [fleet]);
              proposals = evaluate({
                machines: current,
                history,
                fleets: [fleet],
                killsInLastHour: ledger.inLastHour(clock),
                recent: ledger.machinesInLastHour(clock),
                now: clock,
                busy: executor.busyMachines(),
              });
              break;
            case 'job-start':
              r?.jobs.set(nextJob++, e.expendable);
              break;
            case 'job-end':
              if (r) r.jobs.delete([...r.jobs.keys()][0] ?? -1);
              break;
            case 'disk':
              if (r) r.disk = e.pct;
              break;
            case 'probe':
              if (r) r.probeOk = e.ok;
              break;
            case 'gitlab':
              gitlabUp = e.up;
              break;
            case 'confirm': {
              // A person may confirm any proposal, blocked or not: the executor must hold.
              const p = proposals[e.pick % Math.max(1, proposals.length)];
              if (p) await executor.execute(p, 'alice@ws');
              break;
            }
            case 'clock-jump':
              clock += e.ms;
              break;
            case 'auto':
              await Promise.all(
                proposals
                  .filter((p) => p.blocked.length === 0)
                  .map((p) => executor.execute(p, 'auto')),
              );
              break;
          }
        }
        totalKills += kills.length;
        expect(violations).toEqual([]);
        expect(kills.length).toBeLessThanOrEqual(w.maxKillsPerHour);
        expect(new Set(kills).size).toBe(kills.length);
      }),
      {
        numRuns: Number(process.env.RW_PROPERTY_RUNS ?? 300),
        examples: [
          // Found at 3000 runs: a confirm spends one of two kills, then two auto actions run
          // at once; an await between the budget guard and the ledger entry let both pass.
          [
            {
              machines: [
                { disk: 10, jobs: [] },
                { disk: 11, jobs: [] },
                { disk: 11, jobs: [] },
              ],
              samples: 1,
              threshold: 50,
              idleMinutes: 0,
              minFleetSize: 0,
              maxKillsPerHour: 2,
              events: [
                { kind: 'cycle' },
                { kind: 'confirm', pick: 0 },
                { kind: 'auto' },
                { kind: 'cycle' },
              ],
            },
          ],
        ],
      },
    );
    // The property is only worth something if kills do happen in the generated worlds.
    expect(totalKills).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------------
// Identity (issue 9): whatever the configuration — selector or not, naming or not, hosts
// listed by several sources — no open delete proposal is ever made for a dedicated host,
// a runner manager or a delete-protected server; and the default configuration never
// proposes deleting a VM whose disk is below the threshold.

type Role =
  | 'vm'
  | 'ssh-host-merged'
  | 'ssh-host-by-name'
  | 'ssh-host-by-address'
  | 'probed-host-by-address'
  | 'manager-gitlab'
  | 'manager-docker-machine'
  | 'manager-process'
  | 'protected'
  | 'protection-unknown';

const ROLES: readonly Role[] = [
  'vm',
  'ssh-host-merged',
  'ssh-host-by-name',
  'ssh-host-by-address',
  'probed-host-by-address',
  'manager-gitlab',
  'manager-docker-machine',
  'manager-process',
  'protected',
  'protection-unknown',
];

const PREFIX = 'runner-x1y2z3w4-auto-scale-';

const identityWorld = fc.record({
  machines: fc.array(
    fc.record({
      // Mostly plain VMs, so that deletions do get proposed and the guards are exercised.
      role: fc.oneof(
        { weight: 6, arbitrary: fc.constant<Role>('vm') },
        { weight: 4, arbitrary: fc.constantFrom(...ROLES) },
      ),
      disk: fc.integer({ min: 0, max: 100 }),
      named: fc.boolean(),
      labelled: fc.boolean(),
      source: fc.constantFrom('hetzner:p', 'hetzner:q', 'docker-machine:dm'),
      alsoSeenBy: fc.subarray(['hetzner:p', 'hetzner:q', 'docker-machine:dm']),
      // Orphan facts (issue 15.2): listed by the manager now, job containers, age, GitLab.
      listedByManager: fc.boolean(),
      containers: fc.constantFrom('none', 'none', 'none', 'running', 'unknown'),
      young: fc.oneof(
        { weight: 3, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
      gitlabKnown: fc.oneof(
        { weight: 3, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
    }),
    { minLength: 1, maxLength: 8 },
  ),
  kind: fc.oneof(
    { weight: 3, arbitrary: fc.constant('autoscaled' as const) },
    { weight: 1, arbitrary: fc.constant('dedicated' as const) },
  ),
  selector: fc.constantFrom('none', 'labels', 'prefix'),
  fleetNaming: fc.boolean(),
  hetznerSelector: fc.constantFrom('none', 'role=ci', 'env!=prod'),
  hetznerPrefix: fc.boolean(),
  dockerMachinePrefix: fc.boolean(),
  optional: fc.record({
    idleMinutes: fc.constantFrom(null, 0, 5),
    maxAgeHours: fc.constantFrom(null, 1),
    unreachableMinutes: fc.constantFrom(null, 1),
  }),
  threshold: fc.integer({ min: 30, max: 90 }),
  minFleetSize: fc.integer({ min: 0, max: 2 }),
  cycles: fc.integer({ min: 2, max: 15 }),
  listing: fc.constantFrom('fresh', 'fresh', 'fresh', 'failing', 'before-grace'),
  orphanRule: fc.constantFrom('propose' as const, 'auto' as const, 'off' as const),
  // Half the worlds keep every disk low, so the orphan rule (after the disk rule) fires.
  lowDisks: fc.boolean(),
  // Most worlds have a busy VM the manager lists; without it the list may be empty, which
  // proves nothing (a wrong MACHINE_STORAGE_PATH lists nothing and exits 0).
  listedPeer: fc.oneof(
    { weight: 3, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
});

describe('property: only positively identified autoscaled VMs get an open delete proposal', () => {
  it('holds for random fleets, configurations and listings', () => {
    let openDeletes = 0;
    let openOrphans = 0;
    fc.assert(
      fc.property(identityWorld, (w) => {
        const selector: ReaperSettings['selector'] =
          w.selector === 'labels'
            ? { labels: { role: 'ci' } }
            : w.selector === 'prefix'
              ? { labels: {}, namePrefix: PREFIX }
              : undefined;
        const fleet = fleetSettings(
          'ci',
          {
            diskThresholdPct: w.threshold,
            samples: 2,
            minFleetSize: w.minFleetSize,
            maxKillsPerHour: 100,
            orphans: w.orphanRule,
            ...w.optional,
            ...(selector ? { selector } : {}),
          },
          {
            kind: w.kind,
            unidentified: selector === undefined,
            ...(w.fleetNaming ? { autoscaler: { namePrefixes: [PREFIX] } } : {}),
          },
        );
        const specs = w.machines.map((m, i): MachineSpec & { role: Role } => {
          const name =
            m.role === 'manager-docker-machine' ? `mgr-${i}` : `${m.named ? PREFIX : 'srv-'}${i}`;
          const dockerMachine = m.source === 'docker-machine:dm';
          return {
            role: m.role,
            name,
            disk: w.lowDisks ? 10 : m.disk,
            labels: m.labelled ? { role: 'ci' } : {},
            addresses: [`127.0.7.${i + 1}`],
            identitySource: m.source,
            seenBy: [...new Set([m.source, ...m.alsoSeenBy, 'ssh:ci'])],
            provider: dockerMachine ? 'docker-machine' : 'hetzner',
            ...(dockerMachine ? { providerId: null } : {}),
            kind: m.role === 'ssh-host-merged' ? 'dedicated' : 'autoscaled',
            runsGitlabRunner: m.role === 'manager-process',
            deleteProtected:
              m.role === 'protected' ? true : m.role === 'protection-unknown' ? null : false,
            createdAt: m.young ? T0 - 5 * 60_000 : T0 - 48 * 3_600_000,
            listedBy: [
              ...new Set([
                m.source,
                ...m.alsoSeenBy.filter((id) => id !== 'docker-machine:dm' || m.listedByManager),
              ]),
            ],
            jobs:
              m.containers === 'running' ? [job(900 + i)] : m.containers === 'unknown' ? null : [],
            gitlab: m.gitlabKnown ? (m.containers === 'running' ? [job(900 + i)] : []) : null,
            ...(m.gitlabKnown
              ? { idleEvidence: { lastJob: null, gitlabSince: T0 - 6 * 3_600_000 } }
              : {}),
          };
        });
        const settings = Settings.parse({
          fleets: [{ id: 'ci' }, { id: 'hosts', kind: 'dedicated' }],
          hetzner: ['p', 'q'].map((id) => ({
            id,
            fleet: 'ci',
            token: { env: 'T' },
            ...(w.hetznerSelector !== 'none' ? { labelSelector: w.hetznerSelector } : {}),
            ...(w.hetznerPrefix ? { namePrefix: PREFIX } : {}),
          })),
          sshHosts: specs.flatMap((s, i) =>
            s.role === 'ssh-host-merged'
              ? [{ alias: s.name, fleet: 'ci' }]
              : s.role === 'ssh-host-by-name'
                ? [{ alias: s.name, fleet: 'hosts' }]
                : s.role === 'ssh-host-by-address'
                  ? [{ alias: `build-${i}`, fleet: 'hosts', host: `127.0.7.${i + 1}` }]
                  : [],
          ),
          // Every machine in the manager role is a configured docker-machine manager (a
          // fleet may have several); `dm` is the one machines say listed them.
          dockerMachine: [
            'dm',
            ...specs.filter((s) => s.role === 'manager-docker-machine').slice(1),
          ].map((entry, j) => ({
            id: j === 0 ? 'dm' : `dm-${j}`,
            fleet: 'ci',
            manager:
              typeof entry === 'string'
                ? (specs.find((s) => s.role === 'manager-docker-machine')?.name ?? 'mgr-none')
                : entry.name,
            ...(w.dockerMachinePrefix ? { namePrefix: PREFIX } : {}),
          })),
        });
        const runners: Runner[] = specs
          .map((s, i) => ({ s, i }))
          .filter(({ s }) => s.role === 'manager-gitlab')
          .map(({ i }) => ({
            key: `main/${i}`,
            instance: 'main',
            id: i,
            description: null,
            status: 'online' as const,
            paused: false,
            runnerType: null,
            version: null,
            tags: [],
            contactedAt: T0,
            managers: [
              {
                id: i,
                systemId: `s_${i}`,
                version: null,
                platform: null,
                architecture: null,
                ipAddress: `127.0.7.${i + 1}`,
                contactedAt: T0,
                status: 'online',
              },
            ],
            staleReason: null,
            runningJobs: 0,
          }));
        // Build hosts the probe reached at the address of a provider's server.
        const probed = specs.flatMap((s, i) =>
          s.role === 'probed-host-by-address'
            ? [
                {
                  name: `build-${i}`,
                  fleet: 'hosts',
                  disk: 10,
                  kind: 'dedicated' as const,
                  provider: 'ssh' as const,
                  providerId: null,
                  addresses: [`127.0.7.${i + 1}`],
                  identitySource: 'ssh:probe',
                },
              ]
            : [],
        );
        const peer: MachineSpec[] = w.listedPeer
          ? [
              {
                name: `${PREFIX}listed`,
                disk: 10,
                labels: { role: 'ci' },
                addresses: ['127.0.7.200'],
                listedBy: ['hetzner:p', 'docker-machine:dm'],
                seenBy: ['hetzner:p', 'docker-machine:dm', 'ssh:ci'],
                jobs: [job(800)],
              },
            ]
          : [];
        const history = new History();
        let machines: Machine[] = [];
        for (let c = 0; c < w.cycles; c++) {
          const at = T0 + c * 30_000;
          machines = [...specs, ...probed, ...peer].map((s) => machine(s, at));
          history.ingest(machines, [fleet]);
        }
        const now = T0 + (w.cycles - 1) * 30_000;
        const listing: ManagerListing = {
          source: 'docker-machine:dm',
          label: 'docker-machine on the manager',
          fleet: 'ci',
          namePrefix: w.dockerMachinePrefix ? PREFIX : null,
          lastOkAt: w.listing === 'before-grace' ? T0 - 49 * 3_600_000 : now - 1_000,
          problem: w.listing === 'failing' ? 'last listing failed: exit 1' : null,
        };
        const proposals = evaluate({
          machines,
          history,
          fleets: [fleet],
          killsInLastHour: new Map(),
          now,
          identity: identityFacts(settings, runners),
          orphans: { listings: [listing] },
        });

        const defaults =
          w.optional.idleMinutes === null &&
          w.optional.maxAgeHours === null &&
          w.optional.unreachableMinutes === null;
        for (const p of proposals) {
          if (p.blocked.length > 0 || p.action === 'cleanup') continue;
          openDeletes += 1;
          const spec = specs.find((s) => s.name === p.machineName);
          // docker-machine does not report protection: unknown is allowed for `machine-rm` only.
          const allowed =
            spec?.role === 'vm' ||
            (spec?.role === 'protection-unknown' && p.action === 'machine-rm');
          expect(allowed, `${spec?.role} ${p.machineName} (${p.action}): ${p.summary}`).toBe(true);
          expect(w.kind).toBe('autoscaled');
          if (p.rule === 'orphan') {
            openOrphans += 1;
            const m = w.machines[specs.indexOf(spec!)]!;
            // Never while a container runs or is unknown, never while a manager lists it,
            // never on a failed or old list, never young, never with GitLab unknown.
            expect(m.containers, p.machineName).toBe('none');
            expect(m.listedByManager && m.alsoSeenBy.includes('docker-machine:dm')).toBe(false);
            expect(w.listing).toBe('fresh');
            expect(m.young).toBe(false);
            expect(m.gitlabKnown).toBe(true);
            expect(w.orphanRule).not.toBe('off');
            // Never on a list that lists none of what it covers, or leaves out a server GitLab
            // runs a job on. A list speaks only for docker+machine's names (`runner-<token>-…`):
            // a server named otherwise is none of its business, job or not.
            const covered = machines.filter(
              (c) =>
                c.fleet === 'ci' &&
                c.listedBy?.some((id) => id.startsWith('hetzner:')) &&
                c.name.startsWith(PREFIX) &&
                (listing.namePrefix === null || c.name.startsWith(listing.namePrefix)),
            );
            expect(covered.some((c) => c.listedBy?.includes('docker-machine:dm'))).toBe(true);
            for (const c of covered) {
              if (c.listedBy?.includes('docker-machine:dm')) continue;
              expect(c.gitlabJobs.value ?? [], c.name).toEqual([]);
            }
            expect(p.action).toBe('hcloud-delete');
            expect(spec?.provider).toBe('hetzner');
            continue;
          }
          if (defaults) {
            expect(p.rule).toBe('disk');
            expect(p.evidence.diskPct ?? -1).toBeGreaterThanOrEqual(w.threshold);
          }
        }
      }),
      { numRuns: Number(process.env.RW_PROPERTY_RUNS ?? 300) },
    );
    // Worth something only if deletions do get proposed in the generated worlds.
    expect(openDeletes).toBeGreaterThan(20);
    expect(openOrphans).toBeGreaterThan(3);
  });
});
