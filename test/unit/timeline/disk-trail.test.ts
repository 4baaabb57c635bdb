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

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/** One reading a minute for `minutes` minutes, the use of minute m given by `pct(m)`. */
function fill(
  trail: DiskTrail,
  minutes: number,
  pct: (m: number) => number | null,
  name = 'vm',
): void {
  for (let m = 0; m < minutes; m++) {
    const at = T0 + m * MIN + 1_000;
    trail.observe([machine({ name, disk: pct(m) }, at)], at);
  }
}

/** The former trail (plain arrays, spliced), with the ring's 0.01 % rounding: what the ring must answer. */
class ReferenceTrail {
  private readonly tracks = new Map<
    string,
    { at: number[]; pct: number[]; lastObservedAt: number | null; lastPct: number }
  >();

  constructor(
    private readonly bucketMs: number,
    private readonly keepMs: number,
  ) {}

  observe(key: string, observedAt: number, pct: number | null, now: number): void {
    let track = this.tracks.get(key);
    if (track?.lastObservedAt !== observedAt) {
      if (!track) {
        track = { at: [], pct: [], lastObservedAt: null, lastPct: Number.NaN };
        this.tracks.set(key, track);
      }
      this.record(track, observedAt, pct === null ? Number.NaN : Math.round(pct * 100) / 100);
    }
    this.prune(now);
  }

  refresh(keys: string[], observedAt: number, now: number): void {
    for (const key of keys) {
      const track = this.tracks.get(key);
      if (track && track.lastObservedAt !== observedAt)
        this.record(track, observedAt, track.lastPct);
    }
    this.prune(now);
  }

  samples(key: string, from: number, to: number): { at: number; pct: number | null }[] {
    const track = this.tracks.get(key);
    if (!track) return [];
    return track.at
      .map((at, i) => ({ at, pct: Number.isNaN(track.pct[i]) ? null : (track.pct[i] ?? null) }))
      .filter(({ at }) => at + this.bucketMs > from && at <= to);
  }

  since(): number | null {
    const firsts = [...this.tracks.values()].map((t) => t.at[0] ?? Infinity);
    return firsts.length === 0 ? null : Math.min(...firsts);
  }

  private prune(now: number): void {
    for (const [key, track] of this.tracks) {
      while (track.at.length > 0 && (track.at[0] ?? 0) + this.bucketMs <= now - this.keepMs) {
        track.at.shift();
        track.pct.shift();
      }
      if (track.at.length === 0) this.tracks.delete(key);
    }
  }

  private record(
    track: { at: number[]; pct: number[]; lastObservedAt: number | null; lastPct: number },
    observedAt: number,
    value: number,
  ): void {
    track.lastObservedAt = observedAt;
    track.lastPct = value;
    const bucket = observedAt - (observedAt % this.bucketMs);
    const last = track.at.length - 1;
    const lastAt = track.at[last];
    if (lastAt === bucket) {
      const previous = track.pct[last] ?? Number.NaN;
      track.pct[last] = Number.isNaN(previous)
        ? value
        : Number.isNaN(value)
          ? previous
          : Math.max(previous, value);
    } else if (lastAt === undefined || bucket > lastAt) {
      track.at.push(bucket);
      track.pct.push(value);
    } else {
      track.at = [bucket];
      track.pct = [value];
    }
  }
}

/** A small seeded generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('DiskTrail ring', () => {
  it('wraps around after more than a day: exactly the last 24 h, oldest first, each minute its own use', () => {
    const trail = new DiskTrail(fleets);
    const use = (m: number): number => ((m * 37) % 10_000) / 100; // 0.00 … 99.99, two decimals
    fill(trail, 3 * 1_440, use);
    const kept = trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER);
    // Newest reading in minute 4,319: the 1,441 buckets from minute 2,879 overlap its last 24 h.
    expect(kept).toHaveLength(1_441);
    expect(kept.map((s) => s.at)).toEqual(
      Array.from({ length: 1_441 }, (_, i) => T0 + (2_879 + i) * MIN),
    );
    expect(kept.map((s) => s.pct)).toEqual(Array.from({ length: 1_441 }, (_, i) => use(2_879 + i)));
    expect(trail.since()).toBe(T0 + 2_879 * MIN);
    // A window in the middle of the wrapped ring: overlap semantics as before.
    expect(trail.samples('ci/vm', T0 + 3_000 * MIN + 1, T0 + 3_002 * MIN).map((s) => s.at)).toEqual(
      [T0 + 3_000 * MIN, T0 + 3_001 * MIN, T0 + 3_002 * MIN],
    );
  });

  it('grows past its first 16 buckets by doubling, keeping every bucket in order', () => {
    const trail = new DiskTrail(fleets);
    fill(trail, 5, (m) => m);
    expect(trail.capacityOf('ci/vm')).toBe(16); // five minutes do not pay for a day
    fill(trail, 40, (m) => m);
    expect(trail.capacityOf('ci/vm')).toBe(64);
    expect(trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER).map((s) => s.pct)).toEqual(
      Array.from({ length: 40 }, (_, m) => m),
    );
  });

  it('grows correctly when the ring has wrapped (its oldest bucket is not at index 0)', () => {
    const trail = new DiskTrail(fleets, { keepMs: 30 * MIN });
    const at = (m: number): number => T0 + m * MIN + 1_000;
    const read = (m: number): void =>
      trail.observe([machine({ name: 'vm', disk: m }, at(m))], at(m));
    for (let m = 0; m < 12; m++) read(m); // indices 0–11 of 16
    read(38); // index 12; the prune drops minutes 0–7, the ring now starts at index 8
    // Minutes 8–11 drop as 39–42 come in (42 wraps to index 0); 38–53 fill all 16 from
    // index 12, so minute 54 grows the ring while its oldest bucket is at index 12.
    for (let m = 39; m <= 56; m++) read(m);
    expect(trail.capacityOf('ci/vm')).toBe(31); // 16 doubled, capped at ceil(30) + 1
    expect(trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER).map((s) => s.pct)).toEqual(
      Array.from({ length: 19 }, (_, i) => 38 + i),
    );
  });

  it('bounds a machine’s memory: after 3 days of minute readings the ring holds at most 1,441 buckets', () => {
    const trail = new DiskTrail(fleets);
    fill(trail, 3 * 1_440, (m) => m % 100);
    expect(trail.capacityOf('ci/vm')).toBe(1_441);
    expect(trail.capacityOf('ci/never-seen')).toBe(0);
  });

  it('drops a track that a prune empties, and starts a fresh small one when the machine comes back', () => {
    const trail = new DiskTrail(fleets);
    fill(trail, 100, (m) => m % 100);
    expect(trail.capacityOf('ci/vm')).toBe(128);
    trail.observe([], T0 + 100 * MIN + DAY);
    expect(trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(trail.capacityOf('ci/vm')).toBe(0);
    expect(trail.since()).toBeNull();
    const back = T0 + 2 * DAY;
    trail.observe([machine({ name: 'vm', disk: 12 }, back)], back);
    expect(trail.capacityOf('ci/vm')).toBe(16);
    expect(trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER)).toEqual([
      { at: back - (back % MIN), pct: 12 },
    ]);
  });

  it('keeps use to 0.01 %: 63.456 → 63.46, 63.454 → 63.45, the highest of a minute after rounding', () => {
    const trail = new DiskTrail(fleets);
    trail.observe([machine({ name: 'vm', disk: 63.456 }, T0 + 1_000)], T0 + 1_000);
    trail.observe([machine({ name: 'vm', disk: 63.454 }, T0 + MIN + 1_000)], T0 + MIN + 1_000);
    trail.observe([machine({ name: 'vm', disk: 63.451 }, T0 + MIN + 2_000)], T0 + MIN + 2_000);
    trail.observe([machine({ name: 'vm', disk: 0 }, T0 + 2 * MIN)], T0 + 2 * MIN);
    trail.observe([machine({ name: 'vm', disk: 100 }, T0 + 3 * MIN)], T0 + 3 * MIN);
    expect(trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER).map((s) => s.pct)).toEqual([
      63.46, 63.45, 0, 100,
    ]);
  });

  it('keeps unknown as unknown (null), never 0, through growth and wrap-around; a known 0 stays 0', () => {
    const trail = new DiskTrail(fleets);
    const use = (m: number): number | null => (m % 7 === 3 ? null : m % 5 === 0 ? 0 : 42);
    fill(trail, 1_440 + 300, use);
    const kept = trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER);
    expect(kept).toHaveLength(1_441);
    kept.forEach((sample, i) => expect(sample.pct).toBe(use(299 + i)));
    expect(kept.some((s) => s.pct === null)).toBe(true);
    expect(kept.some((s) => s.pct === 0)).toBe(true);
  });

  it('rebases bucket offsets before they pass 2³² buckets, and starts over when even the oldest is that far back', () => {
    const trail = new DiskTrail(fleets, { bucketMs: 1, keepMs: 10 });
    const far = 2 ** 32;
    const read = (at: number, disk: number, now = at): void =>
      trail.observe([machine({ name: 'vm', disk }, at)], now);
    read(T0, 1);
    read(T0 + far - 5, 2); // bucket T0 is pruned; the kept one is 2³² − 5 buckets after the base
    read(T0 + far + 2, 3); // offset 2³² + 2 would overflow: counted from the oldest instead
    expect(trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER)).toEqual([
      { at: T0 + far - 5, pct: 2 },
      { at: T0 + far + 2, pct: 3 },
    ]);
    // A reading 2³² buckets past the oldest kept one (read ahead of `now`): the trail starts over.
    read(T0 + 3 * far, 4, T0 + far + 2);
    expect(trail.samples('ci/vm', 0, Number.MAX_SAFE_INTEGER)).toEqual([
      { at: T0 + 3 * far, pct: 4 },
    ]);
  });

  it('answers as the former trail did over random readings, re-reads, repeats and clock jumps', () => {
    for (const [seed, bucketMs, keepMs] of [
      [1, 7, 100],
      [2, 1, 33],
      [3, 60_000, 40 * 60_000],
      [4, 13, 13],
      [5, 5, 0],
    ] as const) {
      const next = random(seed);
      const trail = new DiskTrail(fleets, { bucketMs, keepMs });
      const reference = new ReferenceTrail(bucketMs, keepMs);
      const names = ['a', 'b', 'c'];
      let clock = T0;
      for (let step = 0; step < 3_000; step++) {
        const roll = next();
        clock +=
          roll < 0.01 ? -Math.floor(next() * 5 * bucketMs) : Math.floor(next() * 2 * bucketMs);
        const now = clock + Math.floor(next() * bucketMs);
        if (roll < 0.15) {
          const keys = names.filter(() => next() < 0.6).map((n) => `ci/${n}`);
          trail.observeRefresh(keys, clock, now);
          reference.refresh(keys, clock, now);
        } else {
          const name = names[Math.floor(next() * names.length)] ?? 'a';
          const disk = next() < 0.2 ? null : Math.floor(next() * 100_000) / 1_000;
          trail.observe([machine({ name, disk }, clock)], now);
          reference.observe(`ci/${name}`, clock, disk, now);
        }
        if (step % 50 === 0 || step === 2_999) {
          for (const name of names) {
            const from = clock - Math.floor(next() * 2 * keepMs);
            const to = from + Math.floor(next() * keepMs);
            expect(trail.samples(`ci/${name}`, from, to), `seed ${seed} step ${step}`).toEqual(
              reference.samples(`ci/${name}`, from, to),
            );
            expect(trail.samples(`ci/${name}`, 0, Number.MAX_SAFE_INTEGER)).toEqual(
              reference.samples(`ci/${name}`, 0, Number.MAX_SAFE_INTEGER),
            );
            expect(trail.capacityOf(`ci/${name}`)).toBeLessThanOrEqual(
              Math.ceil(keepMs / bucketMs) + 1,
            );
          }
          expect(trail.since()).toBe(reference.since());
        }
      }
    }
  });

  it('refuses a bucket width or keep time it cannot hold exactly, with a clear error', () => {
    for (const bucketMs of [0, -60_000, 1.5, Number.NaN, Infinity])
      expect(() => new DiskTrail(fleets, { bucketMs })).toThrow(
        /bucketMs must be a positive whole number of ms/,
      );
    for (const keepMs of [-1, Number.NaN, Infinity])
      expect(() => new DiskTrail(fleets, { keepMs })).toThrow(
        /keepMs must be a finite number of ms, 0 or more/,
      );
    expect(() => new DiskTrail(fleets, { bucketMs: 1, keepMs: 365 * DAY })).toThrow(
      /at most 16777216 buckets a machine/,
    );
  });
});
