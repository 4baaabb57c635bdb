import type { Machine } from '../../../shared/machine';
import type { FleetSettings } from '../../../shared/settings';
import type { TimelineDiskSample } from '../../../shared/timeline';
import { maxWatchedUse } from '../reaper/history';

/** Tuning of the trail. */
export interface DiskTrailOptions {
  /** Width of one bucket: readings within it are merged into their highest use. */
  bucketMs?: number;
  /** How far back samples are kept. */
  keepMs?: number;
}

interface Track {
  /** Bucket starts and the highest use in each (NaN = every reading unknown). */
  at: number[];
  pct: number[];
  lastObservedAt: number | null;
  /** The last reading's use (NaN = unknown), for a re-read that found it unchanged. */
  lastPct: number;
}

/**
 * Disk use per machine for the timeline's heat strip, kept for a day. The reaper's history
 * holds only the last samples it needs for its rule; this keeps the highest use over the
 * fleet's watched mounts per minute, so 1,000 machines × 24 h stay at 1.4 M numbers. A
 * reading counts once (by its observation time), so republished snapshots add nothing.
 */
export class DiskTrail {
  readonly bucketMs: number;
  private readonly keepMs: number;
  private readonly tracks = new Map<string, Track>();
  private readonly fleets: Map<string, FleetSettings>;

  constructor(fleets: readonly FleetSettings[], options: DiskTrailOptions = {}) {
    this.fleets = new Map(fleets.map((fleet) => [fleet.id, fleet]));
    this.bucketMs = options.bucketMs ?? 60_000;
    this.keepMs = options.keepMs ?? 24 * 3_600_000;
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
          this.record(track, observedAt, track.lastPct);
      }
    }
    this.prune(now);
  }

  private prune(now: number): void {
    const cutoff = now - this.keepMs;
    for (const [key, track] of this.tracks) {
      let drop = 0;
      while (drop < track.at.length && (track.at[drop] ?? 0) + this.bucketMs <= cutoff) drop++;
      if (drop > 0) {
        track.at.splice(0, drop);
        track.pct.splice(0, drop);
      }
      if (track.at.length === 0) this.tracks.delete(key);
    }
  }

  /** Samples of a machine overlapping [from, to], oldest first. */
  samples(machineKey: string, from: number, to: number): TimelineDiskSample[] {
    const track = this.tracks.get(machineKey);
    if (!track) return [];
    const out: TimelineDiskSample[] = [];
    for (let i = 0; i < track.at.length; i++) {
      const at = track.at[i] ?? 0;
      if (at + this.bucketMs <= from || at > to) continue;
      const pct = track.pct[i] ?? Number.NaN;
      out.push({ at, pct: Number.isNaN(pct) ? null : pct });
    }
    return out;
  }

  /** Earliest bucket kept over all machines; null when nothing was read yet. */
  since(): number | null {
    let earliest: number | null = null;
    for (const track of this.tracks.values()) {
      const first = track.at[0];
      if (first !== undefined && (earliest === null || first < earliest)) earliest = first;
    }
    return earliest;
  }

  private observeOne(machine: Machine): void {
    const observedAt = machine.disks.observedAt;
    if (observedAt === null) return;
    let track = this.tracks.get(machine.key);
    if (track?.lastObservedAt === observedAt) return;
    if (!track) {
      track = { at: [], pct: [], lastObservedAt: null, lastPct: Number.NaN };
      this.tracks.set(machine.key, track);
    }
    const mounts = this.fleets.get(machine.fleet)?.watchedMounts ?? ['/', '/var/lib/docker'];
    const { pct } = maxWatchedUse(machine, mounts);
    this.record(track, observedAt, pct ?? Number.NaN);
  }

  private record(track: Track, observedAt: number, value: number): void {
    track.lastObservedAt = observedAt;
    track.lastPct = value;
    const bucket = observedAt - (observedAt % this.bucketMs);
    const last = track.at.length - 1;
    const lastAt = track.at[last];
    if (lastAt === bucket) {
      const previous = track.pct[last] ?? Number.NaN;
      // The highest use in the minute; a known reading beats an unknown one.
      track.pct[last] = Number.isNaN(previous)
        ? value
        : Number.isNaN(value)
          ? previous
          : Math.max(previous, value);
    } else if (lastAt === undefined || bucket > lastAt) {
      track.at.push(bucket);
      track.pct.push(value);
    } else {
      // The wall clock went back: order is lost, start the machine's trail over.
      track.at = [bucket];
      track.pct = [value];
    }
  }
}
