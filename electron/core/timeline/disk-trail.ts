import type { Machine } from '../../../shared/machine';
import type { FleetSettings } from '../../../shared/settings';
import type { TimelineDiskSample } from '../../../shared/timeline';
import { maxWatchedUse } from '../reaper/history';

/** Tuning of the trail. */
export interface DiskTrailOptions {
  /** Width of one bucket in ms (a positive integer): readings within it are merged into their highest use. */
  bucketMs?: number;
  /** How far back samples are kept, in ms. */
  keepMs?: number;
}

/** Stored use of a bucket whose every reading was unknown. */
const UNKNOWN = 0xffff;
/** Highest stored use: 655.34 %, far above what `df` reports (0–100). */
const MAX_CODE = 0xfffe;
/** Buckets a new track has room for before its first doubling (a quarter of an hour of minutes). */
const INITIAL_CAPACITY = 16;
/** Bucket offsets are Uint32: a track is rebased (or restarted) before one would overflow. */
const MAX_OFFSET = 0xffff_ffff;
/** The most buckets a track may hold; more is a misconfiguration (16.7 M buckets, 100 MB a machine). */
const MAX_BUCKETS = 2 ** 24;

/** Use in hundredths of a percent, the unknown (NaN) as UNKNOWN. */
function encode(pct: number): number {
  if (Number.isNaN(pct)) return UNKNOWN;
  return Math.min(MAX_CODE, Math.max(0, Math.round(pct * 100)));
}

/**
 * One machine's buckets, oldest first, in a ring over one ArrayBuffer: `offsets` (Uint32)
 * holds each bucket's start as whole buckets after `base`, `codes` (Uint16) its use.
 */
interface Track {
  offsets: Uint32Array;
  codes: Uint16Array;
  /** Start of the bucket whose offset is 0. */
  base: number;
  /** Physical index of the oldest bucket, and how many buckets are kept. */
  head: number;
  length: number;
  lastObservedAt: number | null;
  /** The last reading's stored use (UNKNOWN included), for a re-read that found it unchanged. */
  lastCode: number;
}

function allocate(capacity: number): Pick<Track, 'offsets' | 'codes'> {
  // 4 bytes of offset + 2 of use a bucket; the Uint16 view starts at a multiple of 4.
  const buffer = new ArrayBuffer(capacity * 6);
  return {
    offsets: new Uint32Array(buffer, 0, capacity),
    codes: new Uint16Array(buffer, capacity * 4, capacity),
  };
}

/**
 * Disk use per machine for the timeline's heat strip, kept for a day. The reaper's history
 * holds only the last samples it needs for its rule; this keeps the highest use over the
 * fleet's watched mounts per minute. A reading counts once (by its observation time), so
 * republished snapshots add nothing.
 *
 * Each machine's buckets live in a ring over typed arrays, 6 bytes a bucket: its start as a
 * Uint32 count of buckets after the track's base (exact: `bucketMs` is a whole number of ms,
 * so every start is a multiple of it; a track is rebased before an offset would pass 2³²,
 * and restarted if even its oldest bucket is that far back — 49 days at 1 ms buckets, 8,000
 * years at minutes), and its use as a Uint16 in hundredths of a percent (63.456 → 63.46;
 * 0xFFFF = unknown, which stays unknown). 0.01 % is finer than the heat strip can show, and
 * the highest use in a bucket is the same whether taken before or after rounding. A ring
 * starts with room for 16 buckets and doubles as it fills, up to ceil(keepMs / bucketMs) + 1
 * (1,441 at the defaults: 8.6 KB a machine); when full, a new bucket overwrites the oldest,
 * which a prune would drop anyway unless readings come from past `now`. Pruning advances the
 * ring's start.
 *
 * Measured (1,000 machines × 1,440 minute readings, growth of heapUsed + arrayBuffers after
 * `global.gc()`, Node 20): 31.7–32.1 MB with the former two JS arrays of doubles a machine
 * (16 bytes a bucket plus growth slack); 10.2 MB now, 8.65 MB of it the rings and 1.5 MB
 * the tracks' objects and views. After 3 days it stays at 10.1 MB.
 */
export class DiskTrail {
  readonly bucketMs: number;
  private readonly keepMs: number;
  /** Most buckets one track holds: every bucket that can overlap the last keepMs. */
  private readonly maxBuckets: number;
  private readonly tracks = new Map<string, Track>();
  private readonly fleets: Map<string, FleetSettings>;

  constructor(fleets: readonly FleetSettings[], options: DiskTrailOptions = {}) {
    this.fleets = new Map(fleets.map((fleet) => [fleet.id, fleet]));
    this.bucketMs = options.bucketMs ?? 60_000;
    this.keepMs = options.keepMs ?? 24 * 3_600_000;
    if (!Number.isSafeInteger(this.bucketMs) || this.bucketMs <= 0)
      throw new RangeError(
        `DiskTrail: bucketMs must be a positive whole number of ms, got ${this.bucketMs}`,
      );
    if (!Number.isFinite(this.keepMs) || this.keepMs < 0)
      throw new RangeError(
        `DiskTrail: keepMs must be a finite number of ms, 0 or more, got ${this.keepMs}`,
      );
    this.maxBuckets = Math.ceil(this.keepMs / this.bucketMs) + 1;
    if (this.maxBuckets > MAX_BUCKETS)
      throw new RangeError(
        `DiskTrail: keepMs / bucketMs allows at most ${MAX_BUCKETS} buckets a machine, got ${this.maxBuckets}`,
      );
  }

  /** Feeds machines of a snapshot or delta; `now` bounds what is kept. */
  observe(machines: readonly Machine[], now: number): void {
    for (const machine of machines) this.observeOne(machine);
    this.prune(now);
  }

  /**
   * Feeds a delta's re-reads: these machines' disks were read again at `observedAt` and
   * found as before (see MachineRefresh), so their last use counts for that time too.
   */
  observeRefresh(machineKeys: readonly string[], observedAt: number | null, now: number): void {
    if (observedAt !== null) {
      for (const key of machineKeys) {
        const track = this.tracks.get(key);
        if (track && track.lastObservedAt !== observedAt)
          this.record(track, observedAt, track.lastCode);
      }
    }
    this.prune(now);
  }

  /** Buckets the machine's ring has room for (0 when it has none), for tests of its bound. */
  capacityOf(machineKey: string): number {
    return this.tracks.get(machineKey)?.offsets.length ?? 0;
  }

  private prune(now: number): void {
    const cutoff = now - this.keepMs;
    for (const [key, track] of this.tracks) {
      const capacity = track.offsets.length;
      while (track.length > 0 && this.startAt(track, track.head) + this.bucketMs <= cutoff) {
        track.head = track.head + 1 === capacity ? 0 : track.head + 1;
        track.length--;
      }
      if (track.length === 0) this.tracks.delete(key);
    }
  }

  /** Samples of a machine overlapping [from, to], oldest first. */
  samples(machineKey: string, from: number, to: number): TimelineDiskSample[] {
    const track = this.tracks.get(machineKey);
    if (!track) return [];
    const out: TimelineDiskSample[] = [];
    const capacity = track.offsets.length;
    for (let i = 0, p = track.head; i < track.length; i++, p = p + 1 === capacity ? 0 : p + 1) {
      const at = this.startAt(track, p);
      if (at > to) break; // oldest first: every later bucket starts later still
      if (at + this.bucketMs <= from) continue;
      const code = track.codes[p] ?? UNKNOWN;
      out.push({ at, pct: code === UNKNOWN ? null : code / 100 });
    }
    return out;
  }

  /** Earliest bucket kept over all machines; null when nothing was read yet. */
  since(): number | null {
    let earliest: number | null = null;
    for (const track of this.tracks.values()) {
      if (track.length === 0) continue;
      const first = this.startAt(track, track.head);
      if (earliest === null || first < earliest) earliest = first;
    }
    return earliest;
  }

  private observeOne(machine: Machine): void {
    const observedAt = machine.disks.observedAt;
    if (observedAt === null) return;
    let track = this.tracks.get(machine.key);
    if (track?.lastObservedAt === observedAt) return;
    if (!track) {
      track = {
        ...allocate(Math.min(INITIAL_CAPACITY, this.maxBuckets)),
        base: 0,
        head: 0,
        length: 0,
        lastObservedAt: null,
        lastCode: UNKNOWN,
      };
      this.tracks.set(machine.key, track);
    }
    const mounts = this.fleets.get(machine.fleet)?.watchedMounts ?? ['/', '/var/lib/docker'];
    const { pct } = maxWatchedUse(machine, mounts);
    this.record(track, observedAt, encode(pct ?? Number.NaN));
  }

  /** Start of the bucket at physical index `p`. */
  private startAt(track: Track, p: number): number {
    return track.base + (track.offsets[p] ?? 0) * this.bucketMs;
  }

  private record(track: Track, observedAt: number, code: number): void {
    track.lastObservedAt = observedAt;
    track.lastCode = code;
    const bucket = observedAt - (observedAt % this.bucketMs);
    if (track.length === 0) {
      this.restart(track, bucket, code);
      return;
    }
    const capacity = track.offsets.length;
    const lastP = (track.head + track.length - 1) % capacity;
    const lastAt = this.startAt(track, lastP);
    if (bucket === lastAt) {
      const previous = track.codes[lastP] ?? UNKNOWN;
      // The highest use in the minute; a known reading beats an unknown one.
      if (previous === UNKNOWN || (code !== UNKNOWN && code > previous)) track.codes[lastP] = code;
    } else if (bucket > lastAt) {
      this.append(track, bucket, code);
    } else {
      // The wall clock went back: order is lost, start the machine's trail over.
      this.restart(track, bucket, code);
    }
  }

  private restart(track: Track, bucket: number, code: number): void {
    track.base = bucket;
    track.head = 0;
    track.length = 1;
    track.offsets[0] = 0;
    track.codes[0] = code;
  }

  /** Adds a bucket after the newest one. */
  private append(track: Track, bucket: number, code: number): void {
    let offset = Math.round((bucket - track.base) / this.bucketMs);
    if (offset > MAX_OFFSET) {
      // Count from the oldest kept bucket instead; if even that is too far back, start over.
      const shift = track.offsets[track.head] ?? 0;
      if (offset - shift > MAX_OFFSET) {
        this.restart(track, bucket, code);
        return;
      }
      const capacity = track.offsets.length;
      for (let i = 0, p = track.head; i < track.length; i++, p = p + 1 === capacity ? 0 : p + 1)
        track.offsets[p] = (track.offsets[p] ?? 0) - shift;
      track.base += shift * this.bucketMs;
      offset -= shift;
    }
    if (track.length === track.offsets.length) {
      if (track.length < this.maxBuckets) this.grow(track);
      else {
        // Full at the most a day needs: the oldest bucket ends before the last keepMs.
        track.head = track.head + 1 === this.maxBuckets ? 0 : track.head + 1;
        track.length--;
      }
    }
    const p = (track.head + track.length) % track.offsets.length;
    track.offsets[p] = offset;
    track.codes[p] = code;
    track.length++;
  }

  /** Doubles the ring's room (never past maxBuckets), oldest bucket first at index 0. */
  private grow(track: Track): void {
    const capacity = track.offsets.length;
    const next = allocate(Math.min(capacity * 2, this.maxBuckets));
    const tail = capacity - track.head; // buckets from head to the end of the old arrays
    next.offsets.set(track.offsets.subarray(track.head), 0);
    next.offsets.set(track.offsets.subarray(0, track.head), tail);
    next.codes.set(track.codes.subarray(track.head), 0);
    next.codes.set(track.codes.subarray(0, track.head), tail);
    track.offsets = next.offsets;
    track.codes = next.codes;
    track.head = 0;
  }
}
