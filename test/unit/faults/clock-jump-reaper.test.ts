import { describe, expect, it } from 'vitest';
import { KillLedger } from '../../../electron/core/reaper/ledger';
import { fleetSettings } from '../reaper/fixtures';
import { INTERVAL, repeat, runPolicy, T0 } from '../reaper/harness';

/*
 * The wall clock jumps (NTP correction, suspend/resume, a user fixing the time) under the
 * reaper. What must hold:
 * - Forward: a jump adds no sample. A disk sample is one collection (a reading with its
 *   own observation time), so "N consecutive samples" still takes N real cycles; an idle
 *   run broken by a gap longer than the history's max gap (5 min) starts over, so the
 *   opt-in idle rule cannot fire on time nobody watched.
 * - Backward: samples stay in order (a reading older than the last one starts the
 *   machine's runs over) and the hourly budget still counts kills from the "future".
 * Why a disk run may span a forward gap: every one of its samples is a real reading over
 * the threshold, and a kill still needs fresh job state and the executor's re-check.
 */
const HOUR = 3_600_000;
const MIN = 60_000;
const full = { name: 'vm', disk: 95 };
const idle = { name: 'vm', disk: 20 };

describe('clock jumps under the reaper', () => {
  it('forward: republished snapshots after a jump add no disk sample; N samples take N real cycles', () => {
    const fleets = [fleetSettings('ci', { diskThresholdPct: 80, samples: 3, minFleetSize: 0 })];
    // one real reading, then the clock jumps 2 h and the same reading is published 5 times
    // (no collection in between: the observation time stays T0)
    const jumped = T0 + 2 * HOUR;
    const stuck = runPolicy({
      fleets,
      ticks: repeat(6, [full]),
      times: [T0, T0, T0, T0, T0, T0],
      evalAt: jumped,
    });
    expect(stuck.history.of('ci/vm')?.diskOver?.count).toBe(1);
    expect(stuck.history.of('ci/vm')?.disk).toHaveLength(1);
    expect(stuck.byName.get('vm')).toBeUndefined();

    // two real cycles after the jump: the second makes three samples
    const times = [T0, jumped + INTERVAL, jumped + 2 * INTERVAL];
    const once = runPolicy({ fleets, ticks: repeat(2, [full]), times: times.slice(0, 2) });
    expect(once.history.of('ci/vm')?.diskOver?.count).toBe(2);
    expect(once.byName.get('vm')).toBeUndefined();
    const twice = runPolicy({ fleets, ticks: repeat(3, [full]), times });
    expect(twice.history.of('ci/vm')?.diskOver?.count).toBe(3);
    expect(twice.byName.get('vm')).toMatchObject({ rule: 'disk', blocked: [] });
  });

  it('forward: the opt-in idle rule does not count the jump as idle time', () => {
    const fleets = [
      fleetSettings('ci', { idleMinutes: 10, minFleetSize: 0 }, { autoscaler: { idleCount: 0 } }),
    ];
    const jumped = T0 + 2 * HOUR;
    const times = [T0, T0 + INTERVAL, jumped, jumped + INTERVAL];
    const after = runPolicy({ fleets, ticks: repeat(4, [idle]), times });
    // the run starts again at the first reading after the gap
    expect(after.history.of('ci/vm')?.idleSince).toBe(jumped);
    expect(after.byName.get('vm')).toBeUndefined();

    // watched idle for 10 real minutes after the jump: now the rule fires
    const watched = Array.from({ length: 21 }, (_, i) => jumped + i * INTERVAL);
    const later = runPolicy({
      fleets,
      ticks: repeat(2 + watched.length, [idle]),
      times: [T0, T0 + INTERVAL, ...watched],
    });
    expect(later.history.of('ci/vm')?.idleSince).toBe(jumped);
    expect(later.byName.get('vm')).toMatchObject({ rule: 'idle', blocked: [] });
  });

  it('backward: samples stay in order and the runs start over, so no rule fires early', () => {
    const fleets = [
      fleetSettings(
        'ci',
        { diskThresholdPct: 80, samples: 3, idleMinutes: 1, minFleetSize: 0 },
        { autoscaler: { idleCount: 0 } },
      ),
    ];
    const back = T0 - HOUR;
    // two readings over the threshold, then the clock is set back an hour: the third
    // reading must not complete the run of three
    const full3 = runPolicy({
      fleets,
      ticks: repeat(3, [full]),
      times: [T0, T0 + INTERVAL, back],
    });
    const history = full3.history.of('ci/vm')!;
    expect(history.diskOver).toEqual({ count: 1, since: back });
    expect(history.disk.map((s) => s.at)).toEqual([back]);
    expect(full3.byName.get('vm')).toBeUndefined();

    // idle: three minutes watched, then back an hour: the idle run starts at the new reading
    const idleRun = Array.from({ length: 7 }, (_, i) => T0 + i * INTERVAL);
    const idle3 = runPolicy({
      fleets,
      ticks: repeat(idleRun.length + 1, [idle]),
      times: [...idleRun, back],
    });
    expect(idle3.history.of('ci/vm')?.idleSince).toBe(back);
    expect(idle3.byName.get('vm')).toBeUndefined();
  });

  it('backward after a restart: kills stored with a wall time in the "future" still count', () => {
    // A restart loses the monotonic times: only the stored wall times are left.
    const stored = Array.from({ length: 4 }, (_, i) => ({
      fleet: 'ci',
      machineKey: `ci/vm-${i}`,
      at: T0 + i * MIN,
    }));
    const ledger = new KillLedger(stored, () => 0);
    expect(ledger.inLastHour(T0 - 3 * HOUR).get('ci')).toBe(4);
    ledger.prune(T0 - 3 * HOUR);
    expect(ledger.inLastHour(T0 - 3 * HOUR).get('ci')).toBe(4);
    // and a kill made after the jump counts by both clocks
    ledger.record('ci', 'ci/vm-9', T0 - 3 * HOUR);
    expect(ledger.inLastHour(T0 - 3 * HOUR).get('ci')).toBe(5);
  });
});
