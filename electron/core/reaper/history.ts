import type { Machine, RunningJob } from '../../../shared/machine';
import type { FleetSettings } from '../../../shared/settings';

/** Highest use over the fleet's watched mounts at one reading; `pct: null` = unknown. */
export interface DiskSample {
  at: number;
  pct: number | null;
  mount: string | null;
}

/** Job state at one reading: known only when both the machine and GitLab were read fresh. */
export interface JobSample {
  at: number;
  known: boolean;
  ids: number[];
}

/** Whether the machine answered its probe at one reading. */
export interface ReachSample {
  at: number;
  reachable: boolean;
}

/** What the policy reads about one machine's past. */
export interface MachineHistory {
  readonly disk: readonly DiskSample[];
  readonly jobs: readonly JobSample[];
  readonly reach: readonly ReachSample[];
  /** Consecutive disk samples at or over the fleet threshold, newest backwards, and the first one's time. */
  readonly diskOver: { count: number; since: number } | null;
  /** Start of the current run of known, job-free samples without gaps; null when not idle. */
  readonly idleSince: number | null;
  /** Start of the current run of failed probes without gaps; null when reachable or unknown. */
  readonly unreachableSince: number | null;
}

/** Read access to the history, which is all the pure policy gets. */
export interface HistoryView {
  of(machineKey: string): MachineHistory | undefined;
}

/** Tuning of the history. */
export interface HistoryOptions {
  /** Samples kept per machine and kind. */
  capacity?: number;
  /**
   * A gap between two samples longer than this breaks an idle or unreachable run: nobody
   * looked in between, so nobody knows the machine stayed idle. Also catches the wall
   * clock jumping forward.
   */
  maxGapMs?: number;
}

interface Entry {
  /** The server the samples are of (provider id and creation time). */
  server: string;
  disk: DiskSample[];
  jobs: JobSample[];
  reach: ReachSample[];
  lastDiskAt: number | null;
  lastJobsKey: string | null;
  lastReachAt: number | null;
  diskOver: { count: number; since: number } | null;
  idleSince: number | null;
  idleLastAt: number | null;
  unreachableSince: number | null;
  unreachableLastAt: number | null;
}

/**
 * Ring buffers of disk, job-state and reachability samples per machine, fed from each
 * snapshot. A reading counts as a new sample only when its observation time differs from
 * the last one, so a snapshot republished without a new collection adds nothing. Runs
 * ("N samples over", "idle since", "unreachable since") are kept incrementally so they do
 * not shift when old samples fall out of the buffer. A reading older than the previous
 * one (wall clock went back) clears the machine's runs: order is lost, start over.
 */
export class History implements HistoryView {
  private readonly entries = new Map<string, Entry>();
  private readonly capacity: number;
  private readonly maxGapMs: number;

  constructor(options: HistoryOptions = {}) {
    this.capacity = options.capacity ?? 128;
    this.maxGapMs = options.maxGapMs ?? 5 * 60_000;
  }

  of(machineKey: string): MachineHistory | undefined {
    return this.entries.get(machineKey);
  }

  /** Feeds one snapshot's machines; machines absent from it are forgotten. */
  ingest(machines: readonly Machine[], fleets: readonly FleetSettings[]): void {
    const byId = new Map(fleets.map((fleet) => [fleet.id, fleet]));
    const present = new Set<string>();
    for (const machine of machines) {
      present.add(machine.key);
      this.observe(machine, byId.get(machine.fleet));
    }
    for (const key of [...this.entries.keys()]) if (!present.has(key)) this.entries.delete(key);
  }

  /** Feeds one machine (the executor's fresh re-check goes through here too). */
  observe(machine: Machine, fleet: FleetSettings | undefined): void {
    let entry = this.entries.get(machine.key);
    // A server replaced under the same name (new id or creation time) is another machine:
    // the old one's samples must not make the new one look full or idle.
    const server = `${machine.providerId ?? ''}@${machine.createdAt ?? ''}`;
    if (entry && entry.server !== server) entry = undefined;
    if (!entry) {
      entry = {
        server,
        disk: [],
        jobs: [],
        reach: [],
        lastDiskAt: null,
        lastJobsKey: null,
        lastReachAt: null,
        diskOver: null,
        idleSince: null,
        idleLastAt: null,
        unreachableSince: null,
        unreachableLastAt: null,
      };
      this.entries.set(machine.key, entry);
    }
    this.observeDisk(entry, machine, fleet);
    this.observeJobs(entry, machine);
    this.observeReach(entry, machine);
  }

  private push<T>(buffer: T[], sample: T): void {
    buffer.push(sample);
    if (buffer.length > this.capacity) buffer.splice(0, buffer.length - this.capacity);
  }

  private observeDisk(entry: Entry, machine: Machine, fleet: FleetSettings | undefined): void {
    const at = machine.disks.observedAt;
    if (at === null || at === entry.lastDiskAt) return;
    if (entry.lastDiskAt !== null && at < entry.lastDiskAt) {
      entry.disk = [];
      entry.diskOver = null;
    }
    entry.lastDiskAt = at;
    const { pct, mount } = maxWatchedUse(machine, fleet?.watchedMounts ?? ['/', '/var/lib/docker']);
    this.push(entry.disk, { at, pct, mount });
    const threshold = fleet?.reaper.diskThresholdPct ?? Number.POSITIVE_INFINITY;
    if (pct !== null && pct >= threshold) {
      entry.diskOver = entry.diskOver
        ? { count: entry.diskOver.count + 1, since: entry.diskOver.since }
        : { count: 1, since: at };
    } else {
      entry.diskOver = null;
    }
  }

  private observeJobs(entry: Entry, machine: Machine): void {
    const { jobs, gitlabJobs } = machine;
    if (jobs.observedAt === null && gitlabJobs.observedAt === null) return;
    const key = `${jobs.observedAt}:${gitlabJobs.observedAt}`;
    if (key === entry.lastJobsKey) return;
    entry.lastJobsKey = key;
    // The later of the two readings: an idle run then starts no earlier than both agree.
    const at = Math.max(jobs.observedAt ?? 0, gitlabJobs.observedAt ?? 0);
    const known =
      jobs.value !== null && !jobs.stale && gitlabJobs.value !== null && !gitlabJobs.stale;
    const ids = known ? jobIds([...(jobs.value ?? []), ...(gitlabJobs.value ?? [])]) : [];
    const last = entry.jobs[entry.jobs.length - 1];
    if (last && at < last.at) {
      entry.jobs = [];
      entry.idleSince = null;
      entry.idleLastAt = null;
    }
    this.push(entry.jobs, { at, known, ids });
    if (known && ids.length === 0) {
      const continues =
        entry.idleSince !== null &&
        entry.idleLastAt !== null &&
        at - entry.idleLastAt <= this.maxGapMs;
      entry.idleSince = continues ? entry.idleSince : at;
      entry.idleLastAt = at;
    } else {
      entry.idleSince = null;
      entry.idleLastAt = null;
    }
  }

  private observeReach(entry: Entry, machine: Machine): void {
    // The probe owns disks and job containers: both unknown after a read = unreachable.
    const at = Math.max(machine.jobs.observedAt ?? -1, machine.disks.observedAt ?? -1);
    if (at < 0 || at === entry.lastReachAt) return;
    if (entry.lastReachAt !== null && at < entry.lastReachAt) {
      entry.reach = [];
      entry.unreachableSince = null;
      entry.unreachableLastAt = null;
    }
    entry.lastReachAt = at;
    const reachable = machine.jobs.value !== null || machine.disks.value !== null;
    this.push(entry.reach, { at, reachable });
    if (!reachable) {
      const continues =
        entry.unreachableSince !== null &&
        entry.unreachableLastAt !== null &&
        at - entry.unreachableLastAt <= this.maxGapMs;
      entry.unreachableSince = continues ? entry.unreachableSince : at;
      entry.unreachableLastAt = at;
    } else {
      entry.unreachableSince = null;
      entry.unreachableLastAt = null;
    }
  }
}

/** Highest used % over the watched mounts present; unknown when none is present or unread. */
export function maxWatchedUse(
  machine: Machine,
  watchedMounts: readonly string[],
): { pct: number | null; mount: string | null } {
  const disks = machine.disks.value;
  if (disks === null) return { pct: null, mount: null };
  let best: { pct: number | null; mount: string | null } = { pct: null, mount: null };
  for (const disk of disks) {
    if (!watchedMounts.includes(disk.mount)) continue;
    if (best.pct === null || disk.usedPct > best.pct)
      best = { pct: disk.usedPct, mount: disk.mount };
  }
  return best;
}

/** Distinct job ids, sorted. */
export function jobIds(jobs: readonly RunningJob[]): number[] {
  return [...new Set(jobs.map((job) => job.jobId))].sort((a, b) => a - b);
}
