import { describe, expect, it } from 'vitest';
import { DiskTrail } from '../../../electron/core/timeline/disk-trail';
import { fleetSettings, machine } from '../reaper/fixtures';

const T0 = 1_750_000_020_000 - (1_750_000_020_000 % 60_000);
const fleets = [fleetSettings('ci', {}, { watchedMounts: ['/', '/var/lib/docker'] })];

describe('DiskTrail', () => {
  it('keeps the highest watched use per minute, once per reading', () => {
    const trail = new DiskTrail(fleets);
    trail.observe([machine({ name: 'vm', disk: 40 }, T0 + 1_000)], T0 + 1_000);
    trail.observe([machine({ name: 'vm', disk: 40 }, T0 + 1_000)], T0 + 2_000); // same reading again
    trail.observe([machine({ name: 'vm', disk: 55 }, T0 + 30_000)], T0 + 30_000);
    trail.observe([machine({ name: 'vm', disk: 50 }, T0 + 45_000)], T0 + 45_000);
    trail.observe(
      [
        machine(
          {
            name: 'vm',
            mounts: [
              { mount: '/', pct: 20 },
              { mount: '/var/lib/docker', pct: 81 },
              { mount: '/boot', pct: 99 },
            ],
          },
          T0 + 70_000,
        ),
      ],
      T0 + 70_000,
    );
    expect(trail.samples('ci/vm', T0, T0 + 120_000)).toEqual([
      { at: T0, pct: 55 },
      { at: T0 + 60_000, pct: 81 },
    ]);
    expect(trail.since()).toBe(T0);
  });

  it('records an unread disk as unknown, never as 0, and a known reading in the same minute wins', () => {
    const trail = new DiskTrail(fleets);
    trail.observe([machine({ name: 'vm', disk: null }, T0 + 1_000)], T0 + 1_000);
    expect(trail.samples('ci/vm', T0, T0 + 60_000)).toEqual([{ at: T0, pct: null }]);
    trail.observe([machine({ name: 'vm', disk: 33 }, T0 + 2_000)], T0 + 2_000);
    expect(trail.samples('ci/vm', T0, T0 + 60_000)).toEqual([{ at: T0, pct: 33 }]);
  });

  it('returns only the samples overlapping the window and forgets what is older than it keeps', () => {
    const trail = new DiskTrail(fleets, { keepMs: 10 * 60_000 });
    for (let m = 0; m < 20; m++) {
      const at = T0 + m * 60_000;
      trail.observe([machine({ name: 'vm', disk: m }, at)], at);
    }
    const kept = trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER);
    // Newest reading at minute 19, ten minutes kept: minute 9's bucket still overlaps.
    expect(kept[0]?.at).toBe(T0 + 9 * 60_000);
    expect(kept).toHaveLength(11);
    expect(
      trail.samples('ci/vm', T0 + 12 * 60_000 + 1, T0 + 14 * 60_000).map((s) => s.pct),
    ).toEqual([12, 13, 14]);
  });

  it('starts a machine over when the clock went back', () => {
    const trail = new DiskTrail(fleets);
    trail.observe([machine({ name: 'vm', disk: 10 }, T0 + 5 * 60_000)], T0 + 5 * 60_000);
    trail.observe([machine({ name: 'vm', disk: 20 }, T0)], T0);
    expect(trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER)).toEqual([{ at: T0, pct: 20 }]);
  });

  it('counts a refreshed re-read at its new time with the last use, unknown staying unknown', () => {
    const trail = new DiskTrail(fleets);
    trail.observe(
      [
        machine({ name: 'vm', disk: 40 }, T0 + 1_000),
        machine({ name: 'u', disk: null }, T0 + 1_000),
      ],
      T0 + 1_000,
    );
    trail.observeRefresh(['ci/vm', 'ci/u', 'ci/never-seen'], T0 + 61_000, T0 + 61_000);
    trail.observeRefresh(['ci/vm'], T0 + 61_000, T0 + 62_000); // the same re-read again
    trail.observeRefresh(['ci/vm'], null, T0 + 62_000);
    expect(trail.samples('ci/vm', T0, T0 + 120_000)).toEqual([
      { at: T0, pct: 40 },
      { at: T0 + 60_000, pct: 40 },
    ]);
    expect(trail.samples('ci/u', T0, T0 + 120_000)).toEqual([
      { at: T0, pct: null },
      { at: T0 + 60_000, pct: null },
    ]);
    expect(trail.samples('ci/never-seen', T0, T0 + 120_000)).toEqual([]);
  });
});
