import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../shared/machine';
import type { Proposal } from '../../../shared/proposal';
import { HcloudDeleteAction } from '../../../electron/core/reaper/actions/hcloud-delete';
import { Executor } from '../../../electron/core/reaper/executor';
import { History } from '../../../electron/core/reaper/history';
import { KillLedger } from '../../../electron/core/reaper/ledger';
import { evaluate } from '../../../electron/core/reaper/policy';
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
      { numRuns: Number(process.env.RW_PROPERTY_RUNS ?? 300) },
    );
    // The property is only worth something if kills do happen in the generated worlds.
    expect(totalKills).toBeGreaterThan(20);
  });
});
