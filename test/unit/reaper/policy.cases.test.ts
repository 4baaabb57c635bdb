import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../shared/machine';
import type { ActionRunner } from '../../../electron/core/reaper/actions/action';
import { emptyState } from '../../../electron/core/reaper/state-store';
import { identityFacts, isPositiveSelector } from '../../../electron/core/reaper/identity';
import { Settings } from '../../../shared/settings';
import type { Runner } from '../../../shared/runner';
import { fleetSettings as fleet, job, machine, type MachineSpec } from './fixtures';
import { executorFor, FakeHcloud, INTERVAL, repeat, runPolicy, T0, type Scenario } from './harness';

const MIN = 60_000;
/** Cycles a VM must be idle (30 s apart) to pass the default 5-minute idle rule. */
const IDLE_CYCLES = 12;

// A fleet with room: three healthy busy VMs besides the ones under test keep the minimum size out of the way.
const busy = (n: number): MachineSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `busy-${i}`, disk: 20, jobs: [job(900 + i)] }));

interface PolicyCase {
  name: string;
  scenario: Scenario;
  /** Machines that must get an executable proposal. */
  kill: string[];
  /** Machines that must not: no proposal, or a blocked one. */
  spare: string[];
  /** Reasons a spared machine's proposal must carry. */
  reasons?: Record<string, RegExp[]>;
  check?: (run: ReturnType<typeof runPolicy>) => void;
}

const cases: PolicyCase[] = [
  {
    name: 'idle VM over the disk threshold for N samples is killed',
    scenario: { fleets: [fleet()], ticks: repeat(3, [{ name: 'vm-full', disk: 78 }, ...busy(2)]) },
    kill: ['vm-full'],
    spare: ['busy-0', 'busy-1'],
    check: ({ byName }) => {
      const p = byName.get('vm-full');
      expect(p?.rule).toBe('disk');
      expect(p?.action).toBe('hcloud-delete');
      expect(p?.evidence).toMatchObject({
        diskPct: 78,
        diskMount: '/',
        samplesOver: 3,
        runningJobIds: [],
        runningContainers: 0,
      });
      expect(p?.summary).toMatch(/Kill vm-full \(disk 78 % on \//);
    },
  },
  {
    name: 'busy VM over threshold is never killed',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(5, [
        { name: 'vm-busy', disk: 95, jobs: [job(41, { project: 'group/api' })] },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm-busy'],
    reasons: { 'vm-busy': [/non-expendable job #41 \(group\/api: build\) is running/] },
  },
  {
    name: 'idle VM just over the threshold for fewer than N samples is not proposed',
    scenario: {
      fleets: [fleet()],
      ticks: [
        ...repeat(3, [{ name: 'vm', disk: 30 }, ...busy(2)]),
        ...repeat(2, [{ name: 'vm', disk: 61 }, ...busy(2)]),
      ],
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'disk exactly at the threshold counts (≥)',
    scenario: { fleets: [fleet()], ticks: repeat(3, [{ name: 'vm', disk: 60 }, ...busy(2)]) },
    kill: ['vm'],
    spare: [],
  },
  {
    name: 'disk one point under the threshold is not proposed',
    scenario: { fleets: [fleet()], ticks: repeat(10, [{ name: 'vm', disk: 59 }, ...busy(2)]) },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'stale disk reading blocks the kill',
    scenario: {
      fleets: [fleet()],
      ticks: [
        ...repeat(3, [{ name: 'vm', disk: 80 }, ...busy(2)]),
        [{ name: 'vm', disk: 80, diskStale: true }, ...busy(2)],
      ],
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/disk reading is stale/] },
  },
  {
    name: 'an unknown disk sample breaks the run of consecutive samples',
    scenario: {
      fleets: [fleet()],
      ticks: [
        [{ name: 'vm', disk: 80 }, ...busy(2)],
        [{ name: 'vm', disk: null, error: 'df failed' }, ...busy(2)],
        [{ name: 'vm', disk: 80 }, ...busy(2)],
        [{ name: 'vm', disk: 80 }, ...busy(2)],
      ],
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'disk unknown now, after a long idle: never killed',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 5 })],
      ticks: [
        ...repeat(IDLE_CYCLES, [{ name: 'vm', disk: 30 }, ...busy(2)]),
        [{ name: 'vm', disk: null, error: 'df: timeout' }, ...busy(2)],
      ],
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/disk use unknown \(df: timeout\)/] },
  },
  {
    name: 'SSH unreachable: job containers and disk unknown, never killed',
    scenario: {
      fleets: [fleet()],
      ticks: [
        ...repeat(3, [{ name: 'vm', disk: 90 }, ...busy(2)]),
        [
          { name: 'vm', disk: null, jobs: null, gitlab: [], error: 'ssh: connect ECONNREFUSED' },
          ...busy(2),
        ],
      ],
    },
    kill: [],
    spare: ['vm'],
  },
  {
    name: 'stale job container reading blocks the kill',
    scenario: {
      fleets: [fleet()],
      ticks: [
        ...repeat(3, [{ name: 'vm', disk: 90 }, ...busy(2)]),
        [{ name: 'vm', disk: 90, jobsStale: true }, ...busy(2)],
      ],
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/job container reading is stale/] },
  },
  {
    name: 'GitLab down: a job GitLab would link cannot be ruled out, never killed',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(4, [{ name: 'vm', disk: 90, gitlab: null }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/GitLab job state unknown/] },
  },
  {
    name: 'GitLab reading stale blocks the kill',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(4, [{ name: 'vm', disk: 90, gitlab: [], gitlabStale: true }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/GitLab job reading is stale/] },
  },
  {
    name: 'GitLab links a running job the machine does not show: blocks',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(4, [{ name: 'vm', disk: 90, jobs: [], gitlab: [job(77)] }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/non-expendable job #77/] },
  },
  {
    name: 'job on an expendable project pattern does not block',
    scenario: {
      fleets: [fleet('ci', { expendable: [{ project: 'group/docs-*' }] })],
      ticks: repeat(3, [
        { name: 'vm', disk: 90, jobs: [job(5, { project: 'group/docs-site' })] },
        ...busy(2),
      ]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => expect(byName.get('vm')?.evidence.expendableJobIds).toEqual([5]),
  },
  {
    name: 'job matching expendable job-name and ref globs does not block',
    scenario: {
      fleets: [fleet('ci', { expendable: [{ job: 'lint:*', ref: 'feature/**' }] })],
      ticks: repeat(3, [
        { name: 'vm', disk: 90, jobs: [job(6, { name: 'lint:eslint', ref: 'feature/a/b' })] },
        ...busy(2),
      ]),
    },
    kill: ['vm'],
    spare: [],
  },
  {
    name: 'pattern matching only part of a job (ref differs) blocks',
    scenario: {
      fleets: [fleet('ci', { expendable: [{ job: 'lint:*', ref: 'feature/**' }] })],
      ticks: repeat(3, [
        { name: 'vm', disk: 90, jobs: [job(7, { name: 'lint:eslint', ref: 'main' })] },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/non-expendable job #7/] },
  },
  {
    name: 'job GitLab has not linked yet (project unknown) is not expendable',
    scenario: {
      fleets: [fleet('ci', { expendable: [{ project: '**' }] })],
      ticks: repeat(3, [
        { name: 'vm', disk: 90, jobs: [{ ...job(8), projectPath: null, name: null }], gitlab: [] },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/non-expendable job #8 is running/] },
  },
  {
    name: 'an empty expendable pattern matches nothing',
    scenario: {
      fleets: [fleet('ci', { expendable: [{}] })],
      ticks: repeat(3, [{ name: 'vm', disk: 90, jobs: [job(9)] }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
  },
  {
    name: 'one expendable and one important job: blocked by the important one only',
    scenario: {
      fleets: [fleet('ci', { expendable: [{ project: 'group/docs' }] })],
      ticks: repeat(3, [
        {
          name: 'vm',
          disk: 90,
          jobs: [job(10, { project: 'group/docs' }), job(11, { project: 'group/api' })],
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => {
      const blocked = byName.get('vm')?.blocked ?? [];
      expect(blocked.some((r) => r.includes('#11'))).toBe(true);
      expect(blocked.some((r) => r.includes('#10'))).toBe(false);
    },
  },
  {
    name: 'minimum fleet size reached: the only spare VM is kept',
    scenario: {
      fleets: [fleet('ci', { minFleetSize: 2 })],
      ticks: repeat(3, [{ name: 'vm', disk: 90 }, ...busy(1)]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/minimum fleet size reached \(2 running, minimum 2\)/] },
  },
  {
    name: 'minimum fleet size leaves room for one of two: the fuller disk goes',
    scenario: {
      fleets: [fleet('ci', { minFleetSize: 2 })],
      ticks: repeat(3, [{ name: 'vm-a', disk: 70 }, { name: 'vm-b', disk: 95 }, ...busy(1)]),
    },
    kill: ['vm-b'],
    spare: ['vm-a'],
    reasons: { 'vm-a': [/minimum fleet size \(2\) would be broken/] },
  },
  {
    name: 'hourly budget spent: nothing more this hour',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', disk: 90 }, ...busy(3)]),
      killsInLastHour: { ci: 4 },
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/hourly budget spent \(4 of 4/] },
  },
  {
    name: 'one action left in the budget, two candidates: one proposal executable',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm-a', disk: 91 }, { name: 'vm-b', disk: 92 }, ...busy(3)]),
      killsInLastHour: { ci: 3 },
    },
    kill: ['vm-b'],
    spare: ['vm-a'],
    reasons: { 'vm-a': [/taken by more urgent proposals/] },
  },
  {
    name: "another fleet's spent budget does not block this fleet",
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', disk: 90 }, ...busy(2)]),
      killsInLastHour: { other: 4 },
    },
    kill: ['vm'],
    spare: [],
  },
  {
    name: 'mode off: proposed but blocked',
    scenario: {
      fleets: [fleet('ci', { mode: 'off' })],
      ticks: repeat(3, [{ name: 'vm', disk: 90 }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/reaper mode is off/] },
  },
  {
    name: 'mode switched off at run time overrides the settings',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', disk: 90 }, ...busy(2)]),
      modes: { ci: 'off' },
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/mode is off/] },
  },
  {
    name: 'dry-run mode: proposal marked dry-run',
    scenario: {
      fleets: [fleet('ci', { mode: 'dry-run' })],
      ticks: repeat(3, [{ name: 'vm', disk: 90 }, ...busy(2)]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => expect(byName.get('vm')?.state).toBe('dry-run'),
  },
  {
    name: "machine outside the fleet's label selector is never touched",
    scenario: {
      fleets: [fleet('ci', { selector: { labels: { role: 'ci' } } })],
      ticks: repeat(3, [
        { name: 'vm', disk: 90, labels: { role: 'db' } },
        { name: 'vm-ok', disk: 90 },
        ...busy(3),
      ]),
    },
    kill: ['vm-ok'],
    spare: ['vm'],
    reasons: { vm: [/not matched by the selector/] },
  },
  {
    name: "machine outside the fleet's name prefix is never touched",
    scenario: {
      fleets: [fleet('ci', { selector: { labels: {}, namePrefix: 'runner-' } })],
      ticks: repeat(3, [{ name: 'database-1', disk: 90 }, ...busy(2)]),
    },
    kill: [],
    spare: ['database-1'],
    reasons: { 'database-1': [/selector/] },
  },
  {
    name: 'dedicated host full: cleanup proposed, never deletion',
    scenario: {
      fleets: [fleet('hosts', {}, { kind: 'dedicated' })],
      ticks: repeat(3, [
        {
          name: 'build-01',
          fleet: 'hosts',
          disk: 88,
          kind: 'dedicated',
          provider: 'ssh',
          providerId: null,
          jobs: [job(3)],
        },
      ]),
    },
    kill: ['build-01'],
    spare: [],
    check: ({ byName }) => {
      expect(byName.get('build-01')?.action).toBe('cleanup');
      expect(byName.get('build-01')?.summary).toMatch(/^Clean up build-01/);
    },
  },
  {
    name: 'dedicated host idle for an hour: no proposal at all',
    scenario: {
      fleets: [fleet('hosts', { maxAgeHours: 1 }, { kind: 'dedicated' })],
      ticks: repeat(IDLE_CYCLES + 2, [
        {
          name: 'build-02',
          fleet: 'hosts',
          disk: 20,
          kind: 'dedicated',
          provider: 'ssh',
          providerId: null,
          createdAt: T0 - 48 * 3_600_000,
        },
      ]),
    },
    kill: [],
    spare: ['build-02'],
    check: ({ byName }) => expect(byName.has('build-02')).toBe(false),
  },
  {
    name: 'provider says off: not killed',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', disk: 90, status: 'off' }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/provider status is off, not running/] },
  },
  {
    name: 'provider says initializing: not killed',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [
        { name: 'vm', disk: 90, status: 'starting', providerStatus: 'initializing' },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/provider status is initializing/] },
  },
  {
    name: 'provider status reading stale: not killed',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', disk: 90, statusStale: true }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/provider status reading is stale/] },
  },
  {
    name: 'machine already gone: no proposal',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', disk: 90, status: 'gone' }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'machine being deleted: no proposal',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', disk: 90, status: 'deleting' }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'idle for more than M minutes (idle rule switched on): killed by the idle rule',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 5 })],
      ticks: repeat(IDLE_CYCLES, [{ name: 'vm', disk: 10 }, ...busy(2)]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => {
      expect(byName.get('vm')?.rule).toBe('idle');
      expect(byName.get('vm')?.evidence.idleSinceMs).toBe((IDLE_CYCLES - 1) * INTERVAL);
    },
  },
  {
    name: 'idle for less than M minutes: no proposal',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 5 })],
      ticks: repeat(IDLE_CYCLES - 2, [{ name: 'vm', disk: 10 }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'a job in between restarts the idle time',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 5 })],
      ticks: [
        ...repeat(IDLE_CYCLES, [{ name: 'vm', disk: 10 }, ...busy(2)]),
        [{ name: 'vm', disk: 10, jobs: [job(12)] }, ...busy(2)],
        ...repeat(3, [{ name: 'vm', disk: 10 }, ...busy(2)]),
      ],
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'an unknown job reading in between restarts the idle time',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 5 })],
      ticks: [
        ...repeat(IDLE_CYCLES, [{ name: 'vm', disk: 10 }, ...busy(2)]),
        [{ name: 'vm', disk: 10, gitlab: null }, ...busy(2)],
        ...repeat(2, [{ name: 'vm', disk: 10 }, ...busy(2)]),
      ],
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'clock jumps forward 2 h between two idle samples: the gap does not count as idle',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 5 })],
      ticks: repeat(3, [{ name: 'vm', disk: 10 }, ...busy(2)]),
      times: [T0, T0 + INTERVAL, T0 + 2 * 3_600_000],
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'clock jumps back: history starts over, the disk rule needs N new samples',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(5, [{ name: 'vm', disk: 90 }, ...busy(2)]),
      times: [T0, T0 + INTERVAL, T0 + 2 * INTERVAL, T0 - 3_600_000, T0 - 3_600_000 + INTERVAL],
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName, history }) => {
      expect(byName.has('vm')).toBe(false);
      expect(history.of('ci/vm')?.diskOver?.count).toBe(2);
    },
  },
  {
    name: 'policy evaluated with a clock behind the samples: idle time is never negative, no kill',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 0 })],
      ticks: repeat(2, [{ name: 'vm', disk: 10 }, ...busy(2)]),
      evalAt: T0 - 10 * MIN,
    },
    kill: [],
    spare: ['vm'],
  },
  {
    name: 'older than max age and idle: killed by the max-age rule',
    scenario: {
      fleets: [fleet('ci', { maxAgeHours: 24, idleMinutes: 60 })],
      ticks: repeat(2, [{ name: 'vm', disk: 10, createdAt: T0 - 30 * 3_600_000 }, ...busy(2)]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => expect(byName.get('vm')?.rule).toBe('max-age'),
  },
  {
    name: 'older than max age but running a job: kept',
    scenario: {
      fleets: [fleet('ci', { maxAgeHours: 24 })],
      ticks: repeat(2, [
        { name: 'vm', disk: 10, createdAt: T0 - 30 * 3_600_000, jobs: [job(13)] },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/#13/] },
  },
  {
    name: 'unreachable for K minutes while the provider says running and GitLab shows no job: confirmable only with the acknowledgement',
    scenario: {
      fleets: [fleet('ci', { unreachableMinutes: 10 })],
      ticks: repeat(25, [
        { name: 'vm', disk: null, jobs: null, gitlab: [], error: 'ssh: timeout' },
        ...busy(2),
      ]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => {
      const p = byName.get('vm');
      expect(p?.rule).toBe('unreachable');
      // Not a blocker but what a person must acknowledge: the probe's readings are the condition.
      expect(p?.acknowledge).toBe('unknown-job-state');
      expect(p?.summary).toMatch(/unreachable/);
    },
  },
  {
    name: 'Hetzner VM without a server id cannot be deleted',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', disk: 90, providerId: null }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/no Hetzner server id/] },
  },
  {
    name: 'docker-machine VM gets docker-machine rm',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', disk: 90, provider: 'docker-machine' }, ...busy(2)]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => expect(byName.get('vm')?.action).toBe('machine-rm'),
  },
  {
    name: 'machine with an action already running is not proposed again',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', disk: 90 }, ...busy(2)]),
      busy: ['ci/vm'],
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/already running/] },
  },
  {
    name: 'only /var/lib/docker full: killed, the mount is named',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [
        {
          name: 'vm',
          mounts: [
            { mount: '/', pct: 20 },
            { mount: '/var/lib/docker', pct: 85 },
          ],
        },
        ...busy(2),
      ]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => expect(byName.get('vm')?.evidence.diskMount).toBe('/var/lib/docker'),
  },
  {
    name: 'an unwatched mount full does not count',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [
        {
          name: 'vm',
          mounts: [
            { mount: '/', pct: 20 },
            { mount: '/boot', pct: 99 },
          ],
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'a machine of a fleet without settings is ignored',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm', fleet: 'unknown', disk: 99 }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'every blocking reason is listed, not just the first',
    scenario: {
      fleets: [fleet('ci', { mode: 'off', minFleetSize: 5 })],
      ticks: repeat(3, [{ name: 'vm', disk: 90, jobs: [job(20), job(21)], gitlabStale: true }]),
      killsInLastHour: { ci: 9 },
    },
    kill: [],
    spare: ['vm'],
    reasons: {
      vm: [
        /mode is off/,
        /GitLab job reading is stale/,
        /#20/,
        /#21/,
        /hourly budget spent/,
        /minimum fleet size reached/,
      ],
    },
  },
];

describe('reaper policy scenarios', () => {
  it('has at least 40 policy scenarios', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('$name', ({ scenario, kill, spare, reasons, check }) => {
    const run = runPolicy(scenario);
    for (const name of kill) {
      const proposal = run.byName.get(name);
      expect(proposal, `${name} must be proposed`).toBeDefined();
      expect(proposal?.blocked, `${name} must be executable`).toEqual([]);
    }
    for (const name of spare) {
      const proposal = run.byName.get(name);
      if (proposal) expect(proposal.blocked.length, `${name} must be blocked`).toBeGreaterThan(0);
    }
    for (const [name, patterns] of Object.entries(reasons ?? {})) {
      const blocked = run.byName.get(name)?.blocked.join('\n') ?? '';
      for (const pattern of patterns) expect(blocked).toMatch(pattern);
    }
    check?.(run);
  });
});

describe('proposal ids', () => {
  const full = (n: number) => repeat(n, [{ name: 'vm', disk: 90 }, ...busy(2)]);
  it('stay the same while the episode lasts', () => {
    const a = runPolicy({ fleets: [fleet()], ticks: full(3) }).byName.get('vm');
    const b = runPolicy({ fleets: [fleet()], ticks: full(6) }).byName.get('vm');
    expect(a?.id).toMatch(/^p-[0-9a-f]{20}$/);
    expect(b?.id).toBe(a?.id);
  });
  it('change when the condition ends and comes back (a new episode)', () => {
    const a = runPolicy({ fleets: [fleet()], ticks: full(3) }).byName.get('vm');
    const b = runPolicy({
      fleets: [fleet()],
      ticks: [...full(3), [{ name: 'vm', disk: 40 }, ...busy(2)], ...full(3)],
    }).byName.get('vm');
    expect(b).toBeDefined();
    expect(b?.id).not.toBe(a?.id);
  });
});

// Execution scenarios: the proposal is made on the cycles above, then a person (or auto)
// confirms and the executor re-checks the machine and talks to a fake Hetzner.
const fullVm = (extra: Partial<MachineSpec> = {}): Scenario => ({
  fleets: [fleet()],
  ticks: repeat(3, [{ name: 'vm', disk: 90, ...extra }, ...busy(2)]),
});
const at = (spec: MachineSpec, time: number): Machine => machine(spec, time);
const lastTick = T0 + 2 * INTERVAL;

describe('executor scenarios', () => {
  it('job starts between proposal and kill: refused, nothing deleted', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () =>
        at({ name: 'vm', disk: 90, jobs: [job(55, { project: 'group/api' })] }, lastTick),
    });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('\n')).toMatch(/non-expendable job #55/);
    expect(result.reasons.join('\n')).toMatch(
      /running jobs changed since the proposal: \[\] → \[55\]/,
    );
    expect(x.hcloud.deleteCalls).toEqual([]);
    expect(x.audit.types()).toEqual(['confirm', 'refusal']);
  });

  it('an expendable job starting in between still refuses: anything that changed refuses', async () => {
    const scenario: Scenario = {
      fleets: [fleet('ci', { expendable: [{ project: 'group/docs' }] })],
      ticks: fullVm().ticks,
    };
    const x = executorFor(scenario, {
      recheck: async () =>
        at({ name: 'vm', disk: 90, jobs: [job(56, { project: 'group/docs' })] }, lastTick),
    });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('disk dropped below the threshold at the re-check: refused with the figure', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () => at({ name: 'vm', disk: 35 }, lastTick),
    });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('\n')).toMatch(/disk at 35 % \(was 90 %, threshold 60 %\)/);
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('reading unknown at the re-check (probe failed): refused', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () =>
        at({ name: 'vm', disk: null, jobs: null, error: 'ssh: connection reset' }, lastTick),
    });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('re-check that brings no new reading: refused', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () => at({ name: 'vm', disk: 90 }, lastTick - 60_000),
    });
    x.advance(1000);
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('\n')).toMatch(/re-check brought no new reading of job containers/);
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('re-check that fails: refused, nothing deleted', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () => {
        throw new Error('GitLab: 502 Bad Gateway');
      },
    });
    const result = await x.confirm('vm');
    expect(result).toMatchObject({
      outcome: 'refused',
      reasons: ['re-check failed: GitLab: 502 Bad Gateway'],
    });
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('confirmed kill with a passing re-check deletes the server and follows the action', async () => {
    const x = executorFor(fullVm());
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('ok');
    expect(x.hcloud.deleteCalls).toHaveLength(1);
    expect(x.hcloud.deleted.size).toBe(1);
    expect(x.audit.types()).toEqual(['confirm', 'action-start', 'result']);
    expect(x.audit.records[0]?.who).toBe('alice@ws1');
    expect(x.state.inFlight).toEqual([]);
    expect(x.ledger.inLastHour(lastTick).get('ci')).toBe(1);
  });

  it('machine already deleted (404): success, idempotent', async () => {
    const x = executorFor(fullVm(), { hcloud: new FakeHcloud(['404']) });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('ok');
    expect(result.detail).toMatch(/already gone \(404\)/);
  });

  it('Hetzner 423 locked twice, then success', async () => {
    const x = executorFor(fullVm(), { hcloud: new FakeHcloud(['423', '423', 'ok']) });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('ok');
    expect(x.hcloud.deleteCalls).toHaveLength(3);
    expect(x.hcloud.deleted.size).toBe(1);
  });

  it('Hetzner locked for longer than the retries allow: reported as failed', async () => {
    const x = executorFor(fullVm(), { hcloud: new FakeHcloud(Array(10).fill('423')) });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('failed');
    expect(result.detail).toMatch(/still locked after 5 retries/);
    expect(x.hcloud.deleteCalls).toHaveLength(6);
  });

  it('500 on every delete: retried with backoff, then reported', async () => {
    const x = executorFor(fullVm(), { hcloud: new FakeHcloud(Array(10).fill('500')) });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('failed');
    expect(x.hcloud.deleteCalls).toHaveLength(4);
    expect(result.detail).toMatch(/failed after 4 attempts: HTTP 500/);
    const last = x.audit.records.at(-1);
    expect(last).toMatchObject({ type: 'result', outcome: 'failed' });
    expect(x.state.proposals[x.byName.get('vm')?.id ?? '']?.state).toBe('failed');
  });

  it('500 twice then success: deleted', async () => {
    const x = executorFor(fullVm(), { hcloud: new FakeHcloud(['500', '500', 'ok']) });
    expect((await x.confirm('vm')).outcome).toBe('ok');
    expect(x.hcloud.deleteCalls).toHaveLength(3);
  });

  it('401 is not retried', async () => {
    const x = executorFor(fullVm(), { hcloud: new FakeHcloud(['401', 'ok']) });
    expect((await x.confirm('vm')).outcome).toBe('failed');
    expect(x.hcloud.deleteCalls).toHaveLength(1);
  });

  it('confirming twice deletes once', async () => {
    const x = executorFor(fullVm());
    expect((await x.confirm('vm')).outcome).toBe('ok');
    const again = await x.confirm('vm');
    expect(again.outcome).toBe('ok');
    expect(again.detail).toMatch(/already done/);
    expect(x.hcloud.deleteCalls).toHaveLength(1);
  });

  it('two confirmations at once on one machine: one runs, the other is refused', async () => {
    const x = executorFor(fullVm());
    const [a, b] = await Promise.all([x.confirm('vm'), x.confirm('vm', 'bob@ws2')]);
    expect([a.outcome, b.outcome].sort()).toEqual(['ok', 'refused']);
    expect([...a.reasons, ...b.reasons].join()).toMatch(
      /another action is running on this machine/,
    );
    expect(x.hcloud.deleteCalls).toHaveLength(1);
  });

  it('hourly budget spent by the time of the confirmation: refused', async () => {
    const state = emptyState();
    const x = executorFor(fullVm(), { state });
    for (let i = 0; i < 4; i++) x.ledger.record('ci', `ci/other-${i}`, lastTick - 10 * MIN);
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('\n')).toMatch(/hourly budget spent/);
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('a machine deleted moments ago but still listed as running does not count toward the minimum size', async () => {
    const scenario: Scenario = {
      fleets: [fleet('ci', { minFleetSize: 2, idleMinutes: 0 })],
      ticks: repeat(2, [
        { name: 'vm-a', disk: 10 },
        { name: 'vm-b', disk: 10 },
        { name: 'vm-c', disk: 10 },
      ]),
    };
    const x = executorFor(scenario);
    const free = x.proposals.filter((p) => p.blocked.length === 0);
    expect(free).toHaveLength(1);
    expect((await x.executor.execute(free[0] as (typeof free)[number], 'alice@ws1')).outcome).toBe(
      'ok',
    );
    // The inventory has not caught up: the deleted VM still reads as running.
    const other = x.proposals.find((p) => p.blocked.length > 0) as (typeof free)[number];
    const result = await x.executor.execute(other, 'bob@ws2');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('\n')).toMatch(
      /minimum fleet size reached \(2 running, minimum 2\)/,
    );
    expect(x.hcloud.deleteCalls).toHaveLength(1);
  });

  it('clock jumps forward 2 h: the budget is not refilled (monotonic clock still counts)', async () => {
    let mono = 0;
    const x = executorFor(fullVm(), { ledgerClock: () => mono });
    for (let i = 0; i < 4; i++) x.ledger.record('ci', `ci/other-${i}`, lastTick);
    mono += 5 * MIN;
    expect(x.ledger.inLastHour(lastTick + 2 * 3_600_000).get('ci')).toBe(4);
    mono += 61 * MIN;
    expect(x.ledger.inLastHour(lastTick + 2 * 3_600_000).get('ci')).toBeUndefined();
  });

  it('clock jumps back: kills from the "future" still count', () => {
    const x = executorFor(fullVm());
    x.ledger.record('ci', 'ci/a', lastTick + 3_600_000 * 5);
    expect(x.ledger.inLastHour(lastTick).get('ci')).toBe(1);
  });

  it('dry-run mode: re-checks, records what it would do, deletes nothing', async () => {
    const x = executorFor({ ...fullVm(), fleets: [fleet('ci', { mode: 'dry-run' })] });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('dry-run');
    expect(x.hcloud.deleteCalls).toEqual([]);
    expect(x.audit.records.at(-1)).toMatchObject({ type: 'dry-run', outcome: 'dry-run' });
  });

  it('mode off at confirmation: refused', async () => {
    const x = executorFor({ ...fullVm(), fleets: [fleet('ci', { mode: 'off' })] });
    expect((await x.confirm('vm')).outcome).toBe('refused');
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('dedicated host full: cleanup runs, nothing is deleted', async () => {
    const calls: string[][] = [];
    const cleanup: ActionRunner = {
      run: async () => {
        calls.push(['cleanup']);
        return 'removed 0 unused runner volumes';
      },
      recover: async () => ({ completed: false, detail: 'n/a' }),
    };
    const scenario: Scenario = {
      fleets: [fleet('hosts', {}, { kind: 'dedicated' })],
      ticks: repeat(3, [
        {
          name: 'build-01',
          fleet: 'hosts',
          disk: 88,
          kind: 'dedicated',
          provider: 'ssh',
          providerId: null,
        },
      ]),
    };
    const x = executorFor(scenario, { actions: { cleanup } });
    const result = await x.confirm('build-01');
    expect(result.outcome).toBe('ok');
    expect(calls).toHaveLength(1);
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('a delete proposal for a host that turned out dedicated is refused', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () => ({ ...at({ name: 'vm', disk: 90 }, lastTick), kind: 'dedicated' }),
    });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  describe('restart while a delete is in flight', () => {
    const inFlight = (hcloudActionId: number | null, providerId = '4242') => {
      const state = emptyState();
      state.inFlight.push({
        proposalId: 'p-1',
        machineKey: 'ci/vm',
        machineName: 'vm',
        fleet: 'ci',
        rule: 'disk',
        action: 'hcloud-delete',
        providerId,
        providerSource: 'hetzner:p',
        startedAt: T0,
        who: 'auto',
        hcloudActionId,
        step: 'deleting',
      });
      return state;
    };

    it('server gone meanwhile: recorded as completed, not repeated', async () => {
      const x = executorFor(fullVm(), { state: inFlight(7) });
      await x.executor.recover();
      expect(x.hcloud.deleteCalls).toEqual([]);
      expect(x.state.inFlight).toEqual([]);
      expect(x.state.proposals['p-1']?.state).toBe('done');
      expect(x.audit.records[0]).toMatchObject({ type: 'recovery', outcome: 'ok' });
    });

    it('server still running: reported, never repeated', async () => {
      const hcloud = new FakeHcloud();
      hcloud.servers.set(4242, 'running');
      const x = executorFor(fullVm(), { state: inFlight(null), hcloud });
      await x.executor.recover();
      expect(hcloud.deleteCalls).toEqual([]);
      expect(x.state.proposals['p-1']?.state).toBe('failed');
      expect(x.audit.records[0]?.detail).toMatch(
        /still exists \(status running\); the delete was not repeated/,
      );
    });

    it('server still deleting: followed until gone', async () => {
      const hcloud = new FakeHcloud();
      hcloud.servers.set(4242, 'deleting');
      let polls = 0;
      const getServer = hcloud.getServer.bind(hcloud);
      hcloud.getServer = async (id: number) => {
        if (++polls === 3) hcloud.servers.delete(id);
        return getServer(id);
      };
      const x = executorFor(fullVm(), { state: inFlight(null), hcloud });
      await x.executor.recover();
      expect(hcloud.deleteCalls).toEqual([]);
      expect(x.state.proposals['p-1']?.state).toBe('done');
      expect(x.audit.records[0]?.detail).toMatch(/finished deleting/);
    });

    it('provider unreachable during recovery: stays in flight, machine stays untouchable', async () => {
      const hcloud = new FakeHcloud();
      hcloud.getServer = async () => {
        throw new Error('connect ECONNREFUSED');
      };
      const x = executorFor(fullVm(), { state: inFlight(null), hcloud });
      await x.executor.recover();
      expect(x.state.inFlight).toHaveLength(1);
      expect(x.executor.busyMachines().has('ci/vm')).toBe(true);
      expect(x.audit.records[0]?.detail).toMatch(/could not check.*will check again/);
      const result = await x.confirm('vm');
      expect(result.outcome).toBe('refused');
      expect(hcloud.deleteCalls).toEqual([]);
    });
  });

  it('shutdown: a running delete gets the grace period, then is recorded interrupted and left in flight', async () => {
    const hcloud = new FakeHcloud();
    hcloud.deleteServer = () => new Promise(() => undefined);
    const x = executorFor(fullVm(), { hcloud });
    const running = x.confirm('vm');
    await new Promise((r) => setTimeout(r, 10));
    await x.executor.shutdown(20);
    const result = await running;
    expect(result.outcome).toBe('interrupted');
    expect(x.state.inFlight).toHaveLength(1);
    expect(x.audit.records.at(-1)).toMatchObject({ type: 'interrupted', outcome: 'interrupted' });
    expect((await x.confirm('vm')).reasons.join()).toMatch(/shutting down/);
  });
});

// ---------------------------------------------------------------------------------------
// Kill safety (issue 9): who may be deleted at all, and what "unknown" means. Each case is
// a configuration or timing that would make the reaper delete the wrong machine.

const HOUR = 3_600_000;
/** A whole hour of idle cycles (30 s apart). */
const HOUR_CYCLES = 121;

/** A GitLab runner whose manager contacts GitLab from `ip`. */
function runnerAt(ip: string, id = 7): Runner {
  return {
    key: `main/${id}`,
    instance: 'main',
    id,
    description: 'hetzner-autoscaler',
    status: 'online',
    paused: false,
    runnerType: 'instance_type',
    version: '17.5.0',
    tags: [],
    contactedAt: T0,
    managers: [
      {
        id: 1,
        systemId: 's_0123456789ab',
        version: '17.5.0',
        platform: 'linux',
        architecture: 'amd64',
        ipAddress: ip,
        contactedAt: T0,
        status: 'online',
      },
    ],
    staleReason: null,
    runningJobs: 0,
  };
}

/** The facts of a settings file (parsed through the real schema) and GitLab's runners. */
const facts = (settings: Record<string, unknown>, runners: Runner[] = []) =>
  identityFacts(Settings.parse(settings), runners);

const safetyCases: PolicyCase[] = [
  // 1. The idle-only rule is opt-in and never goes below IdleCount.
  {
    name: 'default configuration: healthy idle VMs (14 %, 31 %, 57 %) idle for an hour get no proposal',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(HOUR_CYCLES, [
        { name: 'vm-14', disk: 14 },
        { name: 'vm-31', disk: 31 },
        { name: 'vm-57', disk: 57 },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm-14', 'vm-31', 'vm-57'],
    check: ({ proposals }) => expect(proposals).toEqual([]),
  },
  {
    name: 'default configuration, even with max-age and unreachable off: only the disk rule deletes',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(HOUR_CYCLES, [
        { name: 'vm-idle', disk: 59 },
        { name: 'vm-full', disk: 61 },
      ]),
    },
    kill: ['vm-full'],
    spare: ['vm-idle'],
    check: ({ proposals }) =>
      expect(proposals.map((p) => [p.machineName, p.rule])).toEqual([['vm-full', 'disk']]),
  },
  {
    name: 'idle rule switched on with IdleCount 2: three idle VMs, only one (the fullest) goes',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 5 }, { autoscaler: { idleCount: 2 } })],
      ticks: repeat(IDLE_CYCLES, [
        { name: 'vm-a', disk: 10 },
        { name: 'vm-b', disk: 12 },
        { name: 'vm-c', disk: 14 },
        ...busy(2),
      ]),
    },
    kill: ['vm-c'],
    spare: ['vm-a', 'vm-b'],
    reasons: {
      'vm-a': [/the runner keeps IdleCount 2 idle VMs on purpose \(3 idle now\)/],
      'vm-b': [/IdleCount 2/],
    },
  },
  {
    name: 'idle rule switched on with IdleCount equal to the idle VMs: none goes',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 5 }, { autoscaler: { idleCount: 2 } })],
      ticks: repeat(IDLE_CYCLES, [
        { name: 'vm-a', disk: 10 },
        { name: 'vm-b', disk: 12 },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm-a', 'vm-b'],
    reasons: { 'vm-a': [/IdleCount 2/], 'vm-b': [/IdleCount 2/] },
  },
  {
    name: 'IdleCount does not hold back the disk rule: a full idle VM goes',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 5 }, { autoscaler: { idleCount: 5 } })],
      ticks: repeat(IDLE_CYCLES, [
        { name: 'vm-full', disk: 90 },
        { name: 'vm-b', disk: 12 },
        ...busy(2),
      ]),
    },
    kill: ['vm-full'],
    spare: ['vm-b'],
    check: ({ byName }) => expect(byName.get('vm-full')?.rule).toBe('disk'),
  },

  // 2. Only positively identified autoscaled VMs may be deleted.
  {
    name: 'no selector, no naming: a full idle server is proposed but blocked (no selector identifies autoscaled VMs)',
    scenario: {
      fleets: [fleet('ci', {}, { unidentified: true })],
      ticks: repeat(3, [{ name: 'build-01', disk: 100 }, ...busy(2)]),
      identity: facts({ hetzner: [{ id: 'p', fleet: 'ci', token: { env: 'T' } }] }),
    },
    kill: [],
    spare: ['build-01'],
    reasons: { 'build-01': [/no selector identifies autoscaled VMs/] },
    check: ({ byName }) => expect(byName.get('build-01')?.action).toBe('hcloud-delete'),
  },
  {
    name: 'dedicated build host listed by Hetzner without selector (same name as its sshHosts entry): cleanup, never delete',
    scenario: {
      fleets: [fleet('ci', {}, { unidentified: true })],
      // The fleet model keeps the SSH host dedicated even though Hetzner lists it.
      ticks: repeat(3, [{ name: 'build-01', disk: 100, kind: 'dedicated' }, ...busy(2)]),
      identity: facts({
        hetzner: [{ id: 'p', fleet: 'ci', token: { env: 'T' } }],
        sshHosts: [{ alias: 'build-01', fleet: 'ci', host: '127.0.0.1' }],
      }),
    },
    kill: ['build-01'],
    spare: [],
    check: ({ byName }) => {
      expect(byName.get('build-01')?.action).toBe('cleanup');
      expect(byName.get('build-01')?.summary).toMatch(/^Clean up build-01/);
    },
  },
  {
    name: 'dedicated host listed by Hetzner under another name (same address as an sshHosts entry), even with a matching selector: blocked',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'ci-host-7', disk: 100, addresses: ['127.0.5.7'] }, ...busy(2)]),
      identity: facts({ sshHosts: [{ alias: 'build-07', fleet: 'hosts', host: '127.0.5.7' }] }),
    },
    kill: [],
    spare: ['ci-host-7'],
    reasons: { 'ci-host-7': [/is SSH host build-07 \(same address 127\.0\.5\.7\)/] },
  },
  {
    name: 'sshHosts entry of another fleet with the same name as a Hetzner server: blocked',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'build-02', disk: 100 }, ...busy(2)]),
      identity: facts({ sshHosts: [{ alias: 'build-02', fleet: 'hosts' }] }),
    },
    kill: [],
    spare: ['build-02'],
    reasons: { 'build-02': [/is SSH host build-02 of fleet hosts/] },
  },
  {
    name: 'a host the probe reached by SSH (HostName from ~/.ssh/config) at the address of a Hetzner server: blocked',
    scenario: {
      fleets: [fleet(), fleet('hosts', {}, { kind: 'dedicated' })],
      ticks: repeat(3, [
        { name: 'srv-9', disk: 100, addresses: ['127.0.5.9'] },
        {
          name: 'build-09',
          fleet: 'hosts',
          disk: 30,
          kind: 'dedicated',
          provider: 'ssh',
          providerId: null,
          addresses: ['127.0.5.9'],
          identitySource: 'ssh:probe',
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['srv-9'],
    reasons: { 'srv-9': [/dedicated host build-09 \(same address 127\.0\.5\.9\)/] },
  },
  {
    name: 'the runner manager in the same Hetzner project at 70 % disk (GitLab manager ip_address): blocked',
    scenario: {
      fleets: [fleet('ci', { diskThresholdPct: 60 })],
      ticks: repeat(3, [
        { name: 'runner-manager-1', disk: 70, addresses: ['127.0.0.2'] },
        ...busy(2),
      ]),
      identity: facts({}, [runnerAt('127.0.0.2')]),
    },
    kill: [],
    spare: ['runner-manager-1'],
    reasons: {
      'runner-manager-1': [
        /runner manager \(manager of GitLab runner #7 \(hetzner-autoscaler\) on 127\.0\.0\.2\): never deleted/,
      ],
    },
  },
  {
    name: 'the docker-machine manager (by its alias) listed by Hetzner: blocked',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'mgr-1', disk: 90 }, ...busy(2)]),
      identity: facts({
        fleets: [{ id: 'ci' }],
        sshHosts: [],
        dockerMachine: [{ id: 'dm', fleet: 'ci', manager: 'mgr-1' }],
      }),
    },
    kill: [],
    spare: ['mgr-1'],
    reasons: { 'mgr-1': [/runner manager \(docker-machine manager mgr-1\)/] },
  },
  {
    name: 'a host running gitlab-runner (the probe saw the process), nothing else known: blocked',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm-mgr', disk: 90, runsGitlabRunner: true }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm-mgr'],
    reasons: { 'vm-mgr': [/a gitlab-runner process runs on it/] },
  },
  {
    name: 'a delete-protected server: blocked',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm-prot', disk: 95, deleteProtected: true }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm-prot'],
    reasons: { 'vm-prot': [/Hetzner delete protection is on/] },
  },
  {
    name: 'Hetzner did not say whether the server is protected: blocked (unknown is not "off")',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [{ name: 'vm-q', disk: 95, deleteProtected: null }, ...busy(2)]),
    },
    kill: [],
    spare: ['vm-q'],
    reasons: { 'vm-q': [/Hetzner delete protection unknown/] },
  },
  {
    name: 'a dedicated fleet whose servers Hetzner lists: cleanups only',
    scenario: {
      fleets: [fleet('ci', {}, { kind: 'dedicated' })],
      ticks: repeat(3, [{ name: 'host-a', disk: 90 }]),
    },
    kill: ['host-a'],
    spare: [],
    check: ({ byName }) => expect(byName.get('host-a')?.action).toBe('cleanup'),
  },
  {
    name: "the autoscaler's naming from config.toml identifies its VMs; other names in the project are blocked",
    scenario: {
      fleets: [
        fleet(
          'ci',
          {},
          { unidentified: true, autoscaler: { namePrefixes: ['runner-x1y2z3w4-auto-scale-'] } },
        ),
      ],
      ticks: repeat(3, [
        { name: 'runner-x1y2z3w4-auto-scale-1700000000-1a2b3c4d', disk: 90 },
        { name: 'db-backup-1', disk: 90 },
        ...busy(3).map((b, i) => ({ ...b, name: `runner-x1y2z3w4-auto-scale-170000000${i}-busy` })),
      ]),
    },
    kill: ['runner-x1y2z3w4-auto-scale-1700000000-1a2b3c4d'],
    spare: ['db-backup-1'],
    reasons: { 'db-backup-1': [/name does not start with runner-x1y2z3w4-auto-scale-/] },
  },
  {
    name: 'a docker-autoscaler instance group (import-toml) identifies only servers named <group>-<8 hex>',
    scenario: {
      fleets: [
        fleet(
          'ci',
          {},
          {
            unidentified: true,
            autoscaler: { namePrefixes: ['ci-fleet-'], instanceGroups: ['ci-fleet'] },
          },
        ),
      ],
      ticks: repeat(3, [
        { name: 'ci-fleet-1a2b3c4d', disk: 90 },
        { name: 'ci-fleet-manager', disk: 90 },
        { name: 'ci-fleet-1a2b3c4d5', disk: 90 },
        { name: 'ci-fleet-1A2B3C4D', disk: 90 },
        { name: 'other-0badcafe', disk: 90 },
        ...busy(3).map((b, i) => ({ ...b, name: `ci-fleet-0000000${i}` })),
      ]),
      // the project's label selector lists every server: it must not stand in for the naming
      identity: facts({
        hetzner: [
          {
            id: 'p',
            fleet: 'ci',
            token: { env: 'T' },
            labelSelector: 'instance-group=ci-fleet',
            namePrefix: 'ci-fleet-',
          },
        ],
      }),
    },
    kill: ['ci-fleet-1a2b3c4d'],
    spare: ['ci-fleet-manager', 'ci-fleet-1a2b3c4d5', 'ci-fleet-1A2B3C4D', 'other-0badcafe'],
    reasons: {
      'ci-fleet-manager': [
        /not an instance of group ci-fleet \(fleeting-plugin-hetzner names them/,
      ],
      'other-0badcafe': [/not an instance of group ci-fleet/],
    },
  },
  {
    name: 'the docker-autoscaler manager named like an instance is still never deleted (GitLab manager ip_address, gitlab-runner process)',
    scenario: {
      fleets: [
        fleet('ci', {}, { unidentified: true, autoscaler: { instanceGroups: ['ci-fleet'] } }),
      ],
      ticks: repeat(3, [
        { name: 'ci-fleet-00c0ffee', disk: 90, addresses: ['127.0.0.4'] },
        { name: 'ci-fleet-0000beef', disk: 90, runsGitlabRunner: true, addresses: ['127.0.4.9'] },
        ...busy(3).map((b, i) => ({
          ...b,
          name: `ci-fleet-1000000${i}`,
          addresses: [`127.0.4.${i + 1}`],
        })),
      ]),
      identity: facts({}, [runnerAt('127.0.0.4')]),
    },
    kill: [],
    spare: ['ci-fleet-00c0ffee', 'ci-fleet-0000beef'],
    reasons: {
      'ci-fleet-00c0ffee': [/runner manager \(manager of GitLab runner #7/],
      'ci-fleet-0000beef': [/a gitlab-runner process runs on it/],
    },
  },
  {
    name: 'an explicit selector still narrows a docker-autoscaler fleet: the group naming is needed as well',
    scenario: {
      fleets: [
        fleet(
          'ci',
          { selector: { labels: { role: 'ci' } } },
          { autoscaler: { instanceGroups: ['ci-fleet'] } },
        ),
      ],
      ticks: repeat(3, [
        { name: 'ci-fleet-1a2b3c4d', disk: 90 },
        { name: 'ci-db-1', disk: 90 },
        ...busy(3).map((b, i) => ({ ...b, name: `ci-fleet-0000000${i}` })),
      ]),
    },
    kill: ['ci-fleet-1a2b3c4d'],
    spare: ['ci-db-1'],
    reasons: { 'ci-db-1': [/not an instance of group ci-fleet/] },
  },
  {
    name: 'a Hetzner label selector identifies the listed servers',
    scenario: {
      fleets: [fleet('ci', {}, { unidentified: true })],
      ticks: repeat(3, [{ name: 'vm', disk: 90 }, ...busy(2)]),
      identity: facts({
        hetzner: [{ id: 'p', fleet: 'ci', token: { env: 'T' }, labelSelector: 'role=ci' }],
      }),
    },
    kill: ['vm'],
    spare: [],
  },
  {
    name: 'a label selector of negations only (env!=prod) identifies nothing',
    scenario: {
      fleets: [fleet('ci', {}, { unidentified: true })],
      ticks: repeat(3, [{ name: 'vm', disk: 90 }, ...busy(2)]),
      identity: facts({
        hetzner: [{ id: 'p', fleet: 'ci', token: { env: 'T' }, labelSelector: 'env!=prod,!db' }],
      }),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/no selector identifies autoscaled VMs/] },
  },
  {
    name: "another Hetzner project's label selector does not vouch for this server",
    scenario: {
      fleets: [fleet('ci', {}, { unidentified: true })],
      ticks: repeat(3, [{ name: 'vm', disk: 90, identitySource: 'hetzner:other' }, ...busy(2)]),
      identity: facts({
        hetzner: [
          { id: 'p', fleet: 'ci', token: { env: 'T' }, labelSelector: 'role=ci' },
          { id: 'other', fleet: 'ci', token: { env: 'T2' } },
        ],
      }),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/no selector identifies/] },
  },
  {
    name: "a VM listed by docker-machine on the manager and named like docker+machine's machines: machine-rm",
    scenario: {
      fleets: [fleet('ci', {}, { unidentified: true })],
      ticks: repeat(3, [
        {
          name: 'runner-abcdefgh-auto-scale-1700000000-1a2b3c4d',
          disk: 90,
          provider: 'docker-machine',
          providerId: null,
          identitySource: 'docker-machine:dm',
        },
        ...busy(2).map((b, i) => ({
          ...b,
          name: `runner-abcdefgh-auto-scale-170000000${i}-busy`,
          provider: 'docker-machine' as const,
          providerId: null,
          identitySource: 'docker-machine:dm',
        })),
      ]),
    },
    kill: ['runner-abcdefgh-auto-scale-1700000000-1a2b3c4d'],
    spare: [],
    check: ({ byName }) =>
      expect(byName.get('runner-abcdefgh-auto-scale-1700000000-1a2b3c4d')?.action).toBe(
        'machine-rm',
      ),
  },
  {
    name: 'a machine docker-machine lists under a name docker+machine never gives: blocked',
    scenario: {
      fleets: [fleet('ci', {}, { unidentified: true })],
      ticks: repeat(3, [
        {
          name: 'bastion',
          disk: 90,
          provider: 'docker-machine',
          providerId: null,
          identitySource: 'docker-machine:dm',
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['bastion'],
    reasons: { bastion: [/no selector identifies/] },
  },
  {
    name: 'an explicit selector that does not match wins over a matching name',
    scenario: {
      fleets: [
        fleet(
          'ci',
          { selector: { labels: { role: 'ci' } } },
          { autoscaler: { namePrefixes: ['runner-'] } },
        ),
      ],
      ticks: repeat(3, [{ name: 'runner-db', disk: 90, labels: { role: 'db' } }, ...busy(2)]),
    },
    kill: [],
    spare: ['runner-db'],
    reasons: { 'runner-db': [/not matched by the selector of fleet ci/] },
  },
  {
    name: 'a runner manager and an unidentified server are no fleet capacity: the minimum size keeps the only VM',
    scenario: {
      fleets: [fleet('ci', { minFleetSize: 1 })],
      ticks: repeat(3, [
        { name: 'vm', disk: 90 },
        { name: 'mgr', disk: 20, runsGitlabRunner: true },
        { name: 'other', disk: 20, labels: {} },
      ]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/minimum fleet size reached \(1 running, minimum 1\)/] },
  },

  // 4. A proposal is bound to one server.
  {
    name: "a server replaced under the same name does not inherit the old one's samples (no proposal until N new ones)",
    scenario: {
      fleets: [fleet()],
      ticks: [
        ...repeat(3, [{ name: 'vm', disk: 90, providerId: '100' }, ...busy(2)]),
        ...repeat(2, [{ name: 'vm', disk: 90, providerId: '200', createdAt: T0 }, ...busy(2)]),
      ],
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'the replacement gets its own proposal (another id) once its own samples are in',
    scenario: {
      fleets: [fleet()],
      ticks: [
        ...repeat(3, [{ name: 'vm', disk: 90, providerId: '100' }, ...busy(2)]),
        ...repeat(3, [{ name: 'vm', disk: 90, providerId: '200', createdAt: T0 }, ...busy(2)]),
      ],
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => {
      const old = runPolicy({
        fleets: [fleet()],
        ticks: repeat(3, [{ name: 'vm', disk: 90, providerId: '100' }, ...busy(2)]),
      }).byName.get('vm');
      const fresh = byName.get('vm');
      expect(fresh?.providerId).toBe('200');
      expect(fresh?.serverCreatedAt).toBe(T0);
      expect(old?.providerId).toBe('100');
      expect(fresh?.id).not.toBe(old?.id);
    },
  },

  // 7. Idle since from evidence, not only from what we watched.
  {
    name: 'fresh start: GitLab says the last job on the VM finished 50 min ago, so it has been idle 50 min (not 0)',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          createdAt: T0 - 3 * HOUR,
          idleEvidence: {
            lastJob: { jobId: 812, finishedAt: T0 - 50 * MIN },
            gitlabSince: T0 - 6 * HOUR,
          },
        },
        ...busy(2),
      ]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => {
      const p = byName.get('vm');
      expect(p?.rule).toBe('idle');
      expect(p?.evidence.idleSinceSource).toBe('gitlab-job');
      expect(p?.evidence.idleSinceJobId).toBe(812);
      expect(p?.evidence.idleSinceMs).toBe(50 * MIN + INTERVAL);
      expect(p?.summary).toMatch(/idle 50 min since GitLab job #812 finished/);
    },
  },
  {
    name: 'no GitLab job on the VM since it was created 40 min ago (within the history window): idle since created',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          createdAt: T0 - 40 * MIN,
          idleEvidence: { lastJob: null, gitlabSince: T0 - 6 * HOUR },
        },
        ...busy(2),
      ]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => expect(byName.get('vm')?.evidence.idleSinceSource).toBe('created'),
  },
  {
    name: 'GitLab history incomplete (finished jobs not all linked): only what was watched counts',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          createdAt: T0 - 3 * HOUR,
          idleEvidence: { lastJob: null, gitlabSince: null },
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'evidence never makes a busy VM idle: a job container now means not idle, whatever GitLab said before',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          jobs: [{ ...job(99), seenIn: ['machine'] }],
          gitlab: [],
          idleEvidence: {
            lastJob: { jobId: 812, finishedAt: T0 - 50 * MIN },
            gitlabSince: T0 - 6 * HOUR,
          },
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'a job finished after the watched idle run began (it ran between two readings): idle since that finish',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 0 })],
      ticks: repeat(3, [
        {
          name: 'vm',
          disk: 10,
          idleEvidence: {
            lastJob: { jobId: 5, finishedAt: T0 + INTERVAL + 10_000 },
            gitlabSince: T0 - 6 * HOUR,
          },
        },
        ...busy(2),
      ]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => {
      expect(byName.get('vm')?.evidence.idleSinceSource).toBe('gitlab-job');
      expect(byName.get('vm')?.evidence.idleSinceMs).toBe(INTERVAL - 10_000);
    },
  },
  {
    name: 'GitLab has no job on the VM, a job container on it stopped 50 min ago: idle 50 min since the container stopped',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          createdAt: T0 - 3 * HOUR,
          idleEvidence: { lastJob: null, gitlabSince: T0 - 6 * HOUR },
          exits: { lastExitAt: T0 - 50 * MIN, jobId: 4711 },
        },
        ...busy(2),
      ]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => {
      const p = byName.get('vm');
      expect(p?.rule).toBe('idle');
      expect(p?.evidence.idleSinceSource).toBe('container-exit');
      expect(p?.evidence.idleSinceJobId).toBe(4711);
      expect(p?.evidence.idleSinceMs).toBe(50 * MIN + INTERVAL);
      expect(p?.summary).toMatch(/idle 50 min since the container of job #4711 stopped/);
    },
  },
  {
    name: 'a container stopped 20 min ago, after the last GitLab job (50 min): the later one counts, below the idle rule',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          createdAt: T0 - 3 * HOUR,
          idleEvidence: {
            lastJob: { jobId: 812, finishedAt: T0 - 50 * MIN },
            gitlabSince: T0 - 6 * HOUR,
          },
          exits: { lastExitAt: T0 - 20 * MIN, jobId: null },
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'the last GitLab job finished after the last container stop: the GitLab job counts',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          createdAt: T0 - 3 * HOUR,
          idleEvidence: {
            lastJob: { jobId: 812, finishedAt: T0 - 40 * MIN },
            gitlabSince: T0 - 6 * HOUR,
          },
          exits: { lastExitAt: T0 - 2 * HOUR, jobId: 700 },
        },
        ...busy(2),
      ]),
    },
    kill: ['vm'],
    spare: [],
    check: ({ byName }) => {
      expect(byName.get('vm')?.evidence.idleSinceSource).toBe('gitlab-job');
      expect(byName.get('vm')?.evidence.idleSinceJobId).toBe(812);
    },
  },
  {
    name: 'a container that stopped long ago proves nothing on its own: GitLab history incomplete, only what was watched counts',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          createdAt: T0 - 3 * HOUR,
          idleEvidence: { lastJob: null, gitlabSince: null },
          exits: { lastExitAt: T0 - 2 * HOUR, jobId: 700 },
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'an old stop while a new job container runs: not idle, whatever the exit times',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          jobs: [{ ...job(99), seenIn: ['machine'] }],
          gitlab: [],
          createdAt: T0 - 3 * HOUR,
          idleEvidence: { lastJob: null, gitlabSince: T0 - 6 * HOUR },
          exits: { lastExitAt: T0 - 2 * HOUR, jobId: 700, active: 1 },
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'a job container created but not running yet (docker ps shows none): not idle',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          createdAt: T0 - 3 * HOUR,
          idleEvidence: { lastJob: null, gitlabSince: T0 - 6 * HOUR },
          exits: { lastExitAt: T0 - 2 * HOUR, jobId: 700, active: 1 },
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'container stops unreadable (the probe tried and failed): no reaching back on GitLab evidence either',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 30 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          createdAt: T0 - 3 * HOUR,
          idleEvidence: { lastJob: null, gitlabSince: T0 - 6 * HOUR },
          exits: null,
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'host clock ahead: a stop after now (as the probe placed it) reads idle 0 min, the idle rule waits',
    scenario: {
      fleets: [fleet('ci', { idleMinutes: 0 })],
      ticks: repeat(2, [
        {
          name: 'vm',
          disk: 10,
          createdAt: T0 - 3 * HOUR,
          idleEvidence: { lastJob: null, gitlabSince: T0 - 6 * HOUR },
          exits: { lastExitAt: T0 + 10 * MIN, jobId: 7 },
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },

  // 3. A running job GitLab cannot place makes the job state unknown.
  {
    name: 'a running job not linked to a machine yet: every VM of the runner is blocked, naming the job',
    scenario: {
      fleets: [fleet()],
      ticks: repeat(3, [
        {
          name: 'vm',
          disk: 90,
          gitlab: null,
          gitlabError: 'running job #4711 (runner #7) not linked to a machine yet',
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/GitLab job state unknown \(running job #4711 \(runner #7\) not linked/] },
  },

  // 6. The unreachable rule: never automatic; a person confirms with an acknowledgement.
  {
    name: 'unreachable, but GitLab links a running job to it: blocked by the job',
    scenario: {
      fleets: [fleet('ci', { unreachableMinutes: 10 })],
      ticks: repeat(25, [
        { name: 'vm', disk: null, jobs: null, gitlab: [job(88)], error: 'ssh: timeout' },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/non-expendable job #88/] },
  },
  {
    name: 'unreachable while GitLab has an unlinked running job: blocked (it could be this machine)',
    scenario: {
      fleets: [fleet('ci', { unreachableMinutes: 10 })],
      ticks: repeat(25, [
        {
          name: 'vm',
          disk: null,
          jobs: null,
          gitlab: null,
          gitlabError: 'running job #90 (runner #7) not linked to a machine yet',
          error: 'ssh: timeout',
        },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/GitLab job state unknown \(running job #90/] },
  },
  {
    name: 'unreachable for less than K minutes: no proposal',
    scenario: {
      fleets: [fleet('ci', { unreachableMinutes: 10 })],
      ticks: repeat(15, [
        { name: 'vm', disk: null, jobs: null, gitlab: [], error: 'ssh: timeout' },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    check: ({ byName }) => expect(byName.has('vm')).toBe(false),
  },
  {
    name: 'unreachable and not identified as an autoscaled VM: blocked',
    scenario: {
      fleets: [fleet('ci', { unreachableMinutes: 10 }, { unidentified: true })],
      ticks: repeat(25, [
        { name: 'vm', disk: null, jobs: null, gitlab: [], error: 'ssh: timeout' },
        ...busy(2),
      ]),
    },
    kill: [],
    spare: ['vm'],
    reasons: { vm: [/no selector identifies/] },
  },
];

describe('kill safety: policy table', () => {
  it.each(safetyCases)('$name', ({ scenario, kill, spare, reasons, check }) => {
    const run = runPolicy(scenario);
    for (const name of kill) {
      const proposal = run.byName.get(name);
      expect(proposal, `${name} must be proposed`).toBeDefined();
      expect(proposal?.blocked, `${name} must be executable`).toEqual([]);
    }
    for (const name of spare) {
      const proposal = run.byName.get(name);
      if (proposal) expect(proposal.blocked.length, `${name} must be blocked`).toBeGreaterThan(0);
    }
    for (const [name, patterns] of Object.entries(reasons ?? {})) {
      const blocked = run.byName.get(name)?.blocked.join('\n') ?? '';
      for (const pattern of patterns) expect(blocked).toMatch(pattern);
    }
    check?.(run);
  });

  it('tells positive label selectors from negations', () => {
    expect(isPositiveSelector('role=ci-runner')).toBe(true);
    expect(isPositiveSelector('role==ci')).toBe(true);
    expect(isPositiveSelector('env!=prod,role in (ci,build)')).toBe(true);
    expect(isPositiveSelector('env!=prod')).toBe(false);
    expect(isPositiveSelector('!db')).toBe(false);
    expect(isPositiveSelector('env notin (prod),!db')).toBe(false);
  });
});

describe('kill safety: executor', () => {
  const hour = (n: number) => T0 - n * HOUR;

  it('a server replaced under the same name (new id) between proposal and kill: refused, nothing deleted', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () => at({ name: 'vm', disk: 90, providerId: '999999' }, lastTick),
    });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('\n')).toMatch(
      /server replaced under the same name: id \d+ → 999999/,
    );
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('same id, other creation time (ids are not promised unique forever): refused', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () => at({ name: 'vm', disk: 90, createdAt: hour(0.1) }, lastTick),
    });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('\n')).toMatch(/server replaced under the same name: created/);
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('now listed by another Hetzner project: refused', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () => at({ name: 'vm', disk: 90, identitySource: 'hetzner:other' }, lastTick),
    });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('\n')).toMatch(/server now listed by hetzner:other, not hetzner:p/);
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('the delete goes to the Hetzner project that listed the server, never the first one', async () => {
    const twoProjects = {
      identitySource: 'hetzner:second',
      seenBy: ['hetzner:first', 'hetzner:second'],
    };
    const sources: (string | null)[] = [];
    const recorder = {
      run: async (context: Parameters<ActionRunner['run']>[0]) => {
        sources.push(context.inFlight.providerSource);
        return 'deleted';
      },
      recover: async () => ({ completed: true, detail: '' }),
    } satisfies ActionRunner;
    const x = executorFor(fullVm(twoProjects), { actions: { 'hcloud-delete': recorder } });
    expect((await x.confirm('vm')).outcome).toBe('ok');
    expect(sources).toEqual(['hetzner:second']);
  });

  it('delete protection switched on between proposal and kill: refused', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () => at({ name: 'vm', disk: 90, deleteProtected: true }, lastTick),
    });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('\n')).toMatch(/delete protection is on/);
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  it('a job handed to the runner but not linked yet at the re-check: refused, naming the job', async () => {
    const x = executorFor(fullVm(), {
      recheck: async () =>
        at(
          {
            name: 'vm',
            disk: 90,
            gitlab: null,
            gitlabError: 'running job #321 (runner #7) not linked to a machine yet',
          },
          lastTick,
        ),
    });
    const result = await x.confirm('vm');
    expect(result.outcome).toBe('refused');
    expect(result.reasons.join('\n')).toMatch(/#321/);
    expect(x.hcloud.deleteCalls).toEqual([]);
  });

  describe('unreachable rule', () => {
    const unreachable = (): Scenario => ({
      fleets: [fleet('ci', { unreachableMinutes: 10 })],
      ticks: repeat(25, [
        { name: 'vm', disk: null, jobs: null, gitlab: [], error: 'ssh: timeout' },
        ...busy(2),
      ]),
    });
    const still = async () =>
      at(
        { name: 'vm', disk: null, jobs: null, gitlab: [], error: 'ssh: timeout' },
        T0 + 25 * INTERVAL,
      );

    it('never automatic: refused for auto, nothing deleted', async () => {
      const x = executorFor(unreachable(), { recheck: still });
      const result = await x.confirm('vm', 'auto', { acknowledgeUnknownJobState: true });
      expect(result.outcome).toBe('refused');
      expect(result.reasons.join()).toMatch(/never executed automatically/);
      expect(x.hcloud.deleteCalls).toEqual([]);
    });

    it('a person without the acknowledgement: refused, and the confirmation is audited', async () => {
      const x = executorFor(unreachable(), { recheck: still });
      const result = await x.confirm('vm');
      expect(result.outcome).toBe('refused');
      expect(result.reasons.join()).toMatch(/job state on the machine is unknown/);
      expect(x.audit.types()).toEqual(['confirm', 'refusal']);
      expect(x.hcloud.deleteCalls).toEqual([]);
    });

    it('a person with the acknowledgement, GitLab showing no job: deleted', async () => {
      const x = executorFor(unreachable(), { recheck: still });
      const result = await x.confirm('vm', 'alice@ws1', { acknowledgeUnknownJobState: true });
      expect(result, JSON.stringify(result)).toMatchObject({ outcome: 'ok' });
      expect(x.hcloud.deleteCalls).toHaveLength(1);
      expect(x.audit.records.find((r) => r.type === 'confirm')?.detail).toMatch(
        /acknowledged: job state on the machine is unknown/,
      );
    });

    it('GitLab links a job to it at the re-check: refused even with the acknowledgement', async () => {
      const x = executorFor(unreachable(), {
        recheck: async () =>
          at(
            { name: 'vm', disk: null, jobs: null, gitlab: [job(61)], error: 'ssh: timeout' },
            T0 + 25 * INTERVAL,
          ),
      });
      const result = await x.confirm('vm', 'alice@ws1', { acknowledgeUnknownJobState: true });
      expect(result.outcome).toBe('refused');
      expect(result.reasons.join()).toMatch(/#61/);
      expect(x.hcloud.deleteCalls).toEqual([]);
    });

    it('the machine answers again at the re-check: refused', async () => {
      const x = executorFor(unreachable(), {
        recheck: async () => at({ name: 'vm', disk: 20 }, T0 + 25 * INTERVAL),
      });
      const result = await x.confirm('vm', 'alice@ws1', { acknowledgeUnknownJobState: true });
      expect(result.outcome).toBe('refused');
      expect(x.hcloud.deleteCalls).toEqual([]);
    });
  });
});
