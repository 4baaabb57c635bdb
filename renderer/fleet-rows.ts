import type { DiskUsage, Machine, MachineState, Observed, RunningJob } from '../shared/machine';
import { NOT_PROBED_JOBS_UNKNOWN, type FleetPolicy } from '../shared/fleet';
import type { SourceHealth } from '../shared/source';

/** A fleet's disk levels: warn (tray, header) and kill (the disk rule's threshold). */
export interface DiskLevels {
  warnPct: number;
  killPct: number;
}

/** A value older than its source's interval × this is stale (ARCHITECTURE.md; core uses 3 too). */
const STALE_FACTOR = 3;

/** How current a machine's readings are. */
export type Freshness =
  | { state: 'never'; errors: string[] }
  | { state: 'fresh' | 'stale'; observedAt: number; staleFields: string[]; errors: string[] };

/** One Fleet row, derived from a Machine for display, sorting and filtering. */
export interface MachineRow {
  machine: Machine;
  key: string;
  name: string;
  state: MachineState | null;
  /** Disks; null when unknown (never "no disks"). */
  disks: DiskUsage[] | null;
  /** Highest used % over the mounts; null when unknown. */
  maxDiskPct: number | null;
  /** Running jobs from the machine and from GitLab, merged by job id; null when unknown. */
  jobs: RunningJob[] | null;
  /**
   * Why the machine's job containers are unknown when the reason is the settings (its
   * fleet's `probe: "none"`), not a failed read; null otherwise.
   */
  jobsUnknownWhy: string | null;
  load1: number | null;
  cpus: number | null;
  freshness: Freshness;
  /** The fleet's levels from the host; null from hosts that do not report them. */
  levels: DiskLevels | null;
  /** Lower-case text the filter box searches. */
  haystack: string;
}

/** Sortable columns. */
export type SortKey = 'name' | 'disk' | 'jobs';
/** Sort column and direction. */
export interface Sort {
  key: SortKey;
  descending: boolean;
}

/**
 * Staleness as of `now`: the engine marks fields stale when it publishes, but between
 * pushes time passes, so the row re-checks against the source's interval too.
 */
export function isStale(
  field: Observed<unknown>,
  intervals: ReadonlyMap<string, number>,
  now: number,
): boolean {
  if (field.stale) return true;
  if (field.observedAt === null) return true;
  const interval = field.source ? intervals.get(field.source) : undefined;
  return interval !== undefined && now - field.observedAt > interval * STALE_FACTOR;
}

/** Derives the rows of the Fleet view. */
export function toRows(
  machines: Machine[],
  sources: SourceHealth[],
  now: number,
  fleets: readonly FleetPolicy[] = [],
): MachineRow[] {
  const intervals = new Map(sources.map((source) => [source.id, source.intervalMs]));
  const levels = new Map(fleets.map((f) => [f.id, { warnPct: f.warnPct, killPct: f.killPct }]));
  const unprobed = new Set(fleets.filter((f) => f.probe === 'none').map((f) => f.id));
  return machines.map((machine) =>
    toRow(machine, intervals, now, levels.get(machine.fleet) ?? null, unprobed.has(machine.fleet)),
  );
}

function toRow(
  machine: Machine,
  intervals: ReadonlyMap<string, number>,
  now: number,
  levels: DiskLevels | null,
  unprobed: boolean,
): MachineRow {
  const disks = machine.disks.value;
  const jobs = mergeJobs(machine.jobs.value, machine.gitlabJobs.value);
  const load = machine.load.value;
  const jobsUnknownWhy = unprobed && machine.jobs.value === null ? NOT_PROBED_JOBS_UNKNOWN : null;
  return {
    machine,
    key: machine.key,
    name: machine.name,
    state: machine.status.value,
    disks,
    maxDiskPct: disks && disks.length > 0 ? Math.max(...disks.map((d) => d.usedPct)) : null,
    jobs,
    jobsUnknownWhy,
    load1: load ? load.load1 : null,
    cpus: load ? load.cpus : null,
    freshness: freshnessOf(machine, intervals, now),
    levels,
    haystack: [
      machine.name,
      machine.fleet,
      machine.provider,
      machine.kind,
      machine.status.value ?? 'unknown',
      machine.serverType ?? '',
      ...Object.values(machine.labels),
      ...(jobs ?? []).flatMap((job) => [
        String(job.jobId),
        job.projectPath ?? '',
        job.name ?? '',
        job.ref ?? '',
      ]),
    ]
      .join(' ')
      .toLowerCase(),
  };
}

/**
 * Containers seen on the machine plus jobs GitLab links to it that no container shows.
 * When the machine's containers are unknown, GitLab's list is only a lower bound: its jobs
 * are shown, but an empty list stays unknown — never "idle".
 */
function mergeJobs(
  onMachine: RunningJob[] | null,
  fromGitlab: RunningJob[] | null,
): RunningJob[] | null {
  if (onMachine === null && (fromGitlab === null || fromGitlab.length === 0)) return null;
  const out = [...(onMachine ?? [])];
  const ids = new Set(out.map((job) => job.jobId));
  for (const job of fromGitlab ?? []) if (!ids.has(job.jobId)) out.push(job);
  return out;
}

const WATCHED: ReadonlyArray<readonly [string, (m: Machine) => Observed<unknown>]> = [
  ['status', (m) => m.status],
  ['disks', (m) => m.disks],
  ['jobs', (m) => m.jobs],
  ['load', (m) => m.load],
];

/**
 * The age of the oldest reading the row shows (a fresh status must not hide an old disk
 * figure), stale when any read field is stale, with every field's error.
 */
function freshnessOf(
  machine: Machine,
  intervals: ReadonlyMap<string, number>,
  now: number,
): Freshness {
  const errors = new Set<string>();
  const staleFields: string[] = [];
  let oldest: number | null = null;
  for (const [name, pick] of WATCHED) {
    const field = pick(machine);
    if (field.error) errors.add(field.error);
    if (field.observedAt === null) continue;
    oldest = oldest === null ? field.observedAt : Math.min(oldest, field.observedAt);
    if (isStale(field, intervals, now)) staleFields.push(name);
  }
  if (oldest === null) return { state: 'never', errors: [...errors] };
  return {
    state: staleFields.length > 0 ? 'stale' : 'fresh',
    observedAt: oldest,
    staleFields,
    errors: [...errors],
  };
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Sorts rows; unknown values (null) go last in either direction, ties by name. */
export function sortRows(rows: MachineRow[], sort: Sort): MachineRow[] {
  const value = (row: MachineRow): number | null =>
    sort.key === 'disk' ? row.maxDiskPct : sort.key === 'jobs' ? (row.jobs?.length ?? null) : null;
  const sign = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    if (sort.key !== 'name') {
      const va = value(a);
      const vb = value(b);
      if (va === null && vb !== null) return 1;
      if (vb === null && va !== null) return -1;
      if (va !== null && vb !== null && va !== vb) return sign * (va - vb);
      return collator.compare(a.name, b.name);
    }
    return sign * collator.compare(a.name, b.name);
  });
}

/** Keeps rows whose text contains every word of the filter (case-insensitive). */
export function filterRows(rows: MachineRow[], filter: string): MachineRow[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows;
  return rows.filter((row) => words.every((word) => row.haystack.includes(word)));
}
