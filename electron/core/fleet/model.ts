import type {
  ContainerExits,
  Machine,
  MachineReading,
  MachineRemoval,
  Observed,
  RunningJob,
} from '../../../shared/machine';
import type { CollectResult, MachineIdentity, MachineObservation } from '../sources/source';
import { checkReading } from './reading-check';

interface Field<T> {
  value: T | null;
  observedAt: number | null;
  source: string | null;
  error: string | null;
}

interface Entry {
  key: string;
  name: string;
  fleet: string;
  identity: Field<MachineIdentity>;
  disks: Field<Machine['disks']['value'] & object>;
  jobs: Field<RunningJob[]>;
  load: Field<Machine['load']['value'] & object>;
  /** When its job containers last stopped; `source: null` while no source reads them. */
  containerExits: Field<ContainerExits>;
  /** Each source's own disk and load reading; `disks` and `load` are picked from them. */
  readings: Map<string, Reading>;
  /** A gitlab-runner process was seen (sticky: a manager stays a manager); null = never checked. */
  runsGitlabRunner: boolean | null;
  /**
   * Some source reported the machine as dedicated (an `sshHosts` entry). Sticky: whatever
   * a provider's listing says later, a configured build host is never a deletable VM.
   */
  dedicated: boolean;
  /** Which inventory sources listed this machine last time, for "gone" detection. */
  listedBy: Set<string>;
  seenBy: Set<string>;
  firstSeenAt: number;
  lastSeenAt: number;
  goneAt: number | null;
}

interface Reading {
  disks?: Field<Machine['disks']['value'] & object>;
  load?: Field<Machine['load']['value'] & object>;
}

/** `localeCompare`'s order without building a collator per comparison. */
const byKey = new Intl.Collator();

const emptyField = <T>(): Field<T> => ({
  value: null,
  observedAt: null,
  source: null,
  error: null,
});

/** How long a machine the provider no longer lists stays visible as `gone`. */
export const GONE_RETENTION_MS = 15 * 60_000;
/**
 * Whether a reading taken at `at` is stale at `now`. A reading from the future means the
 * clock was set back: its age is unknown, so it is stale, or it would pass for fresh for
 * as long as the jump was, long after its source stopped answering.
 */
function isOld(now: number, at: number, intervalMs: number): boolean {
  return now < at || now - at > intervalMs * STALE_FACTOR;
}

/** A removal no source shows any more is forgotten after this long (sources may lag a restart). */
export const REMOVAL_RETENTION_MS = 24 * 3_600_000;
/** A value older than its source's interval times this is stale (ARCHITECTURE.md). */
export const STALE_FACTOR = 3;

export function machineKey(fleet: string, name: string): string {
  return `${fleet}/${name}`;
}

/**
 * The fleet model: merges what every source observed into one Machine per real machine,
 * keyed by fleet and name, keeping each field's observation time and source. Pure data
 * in, data out; the engine owns the clock and the sources.
 */
export class FleetModel {
  /**
   * @param onRejected told about each reading that failed the contract's schema (the
   *   field is unknown instead), once per machine, source and problem, so the host can log it.
   */
  constructor(private readonly onRejected: (message: string) => void = () => undefined) {}

  private readonly entries = new Map<string, Entry>();
  /** Rejections already logged (see `reject`). */
  private readonly reported = new Set<string>();
  /** GitLab's running jobs per machine name, per GitLab source. */
  private readonly gitlabJobs = new Map<
    string,
    {
      at: number;
      byMachine: Map<string, RunningJob[]>;
      unlinked: { jobId: number; runnerId: number }[];
      partial: string | null;
      finished: CollectResult['finishedJobs'] | null;
    }
  >();
  private readonly intervals = new Map<string, number>();
  /** Machines this app deleted, by key (from the audit log). */
  private readonly removals = new Map<string, MachineRemoval>();
  /** Bumped by every mutating method: the engine keeps one build per revision and `now`. */
  private revision = 0;
  /** Changes whenever what `machines(now)` answers may have changed (not with `now`). */
  get changeCount(): number {
    return this.revision;
  }

  /** Tells the model a source's interval, which decides when its values turn stale. */
  registerSource(sourceId: string, intervalMs: number): void {
    this.revision += 1;
    this.intervals.set(sourceId, intervalMs);
  }

  /** Applies one successful collection. */
  apply(sourceId: string, result: CollectResult, at: number): void {
    this.revision += 1;
    const listed = new Set<string>();
    for (const observation of result.machines) {
      listed.add(this.observe(sourceId, observation, at));
    }
    for (const fleet of result.inventoryOf ?? []) {
      for (const entry of this.entries.values()) {
        if (entry.fleet !== fleet || listed.has(entry.key) || !entry.listedBy.has(sourceId))
          continue;
        entry.listedBy.delete(sourceId);
        if (entry.listedBy.size === 0) this.markGone(entry, sourceId, at);
      }
    }
    if (result.jobsByMachine) {
      const byMachine = new Map<string, RunningJob[]>();
      for (const [name, jobs] of result.jobsByMachine) {
        const checked = checkReading('jobs', jobs);
        if (checked.ok) byMachine.set(name, jobs);
        else this.reject(`running jobs of ${name}`, sourceId, checked.problem);
      }
      this.gitlabJobs.set(sourceId, {
        at,
        byMachine,
        unlinked: result.unlinkedJobs ?? [],
        partial: result.partialRunners ?? null,
        finished: result.finishedJobs ?? null,
      });
    }
  }

  /**
   * Records that a source failed: its fields keep their last values (which turn stale on
   * their own) and carry the error, so the UI says why they are old.
   */
  fail(sourceId: string, message: string): void {
    this.revision += 1;
    for (const entry of this.entries.values()) {
      for (const field of [
        entry.identity,
        entry.disks,
        entry.jobs,
        entry.load,
        entry.containerExits,
      ]) {
        if (field.source === sourceId) field.error = message;
      }
      const reading = entry.readings.get(sourceId);
      if (reading?.disks) reading.disks.error = message;
      if (reading?.load) reading.load.error = message;
    }
  }

  /**
   * Records that this app deleted a machine. It stays marked until no inventory source
   * lists it any more, then it is dropped at once (not kept as `gone`: its fate is known).
   * A machine created after the deletion under the same name is another machine.
   */
  markRemoved(key: string, removal: MachineRemoval): void {
    this.revision += 1;
    this.removals.set(key, removal);
  }

  /** Drops machines gone for longer than the retention, and deleted ones no source lists. */
  prune(now: number): string[] {
    const removed: string[] = [];
    for (const [key, entry] of this.entries) {
      const deleted = this.removalOf(entry) !== null && entry.listedBy.size === 0;
      if (deleted || (entry.goneAt !== null && now - entry.goneAt > GONE_RETENTION_MS)) {
        this.entries.delete(key);
        removed.push(key);
        if (deleted) this.removals.delete(key);
      }
    }
    if (removed.length > 0) this.revision += 1;
    for (const [key, removal] of this.removals) {
      if (!this.entries.has(key) && now - removal.at > REMOVAL_RETENTION_MS)
        this.removals.delete(key);
    }
    return removed;
  }

  private removalOf(entry: Entry): MachineRemoval | null {
    const removal = this.removals.get(entry.key);
    if (!removal) return null;
    const createdAt = entry.identity.value?.createdAt ?? null;
    return createdAt !== null && createdAt > removal.at ? null : removal;
  }

  /** The machines as the contract describes them, staleness computed for `now`, by key. */
  machines(now: number): Machine[] {
    const out: Machine[] = [];
    for (const entry of this.entries.values()) out.push(this.toMachine(entry, now));
    out.sort((a, b) => byKey.compare(a.key, b.key));
    return out;
  }

  private observe(sourceId: string, observation: MachineObservation, at: number): string {
    const key = machineKey(observation.fleet, observation.name);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        key,
        name: observation.name,
        fleet: observation.fleet,
        identity: emptyField(),
        disks: emptyField(),
        jobs: emptyField(),
        load: emptyField(),
        containerExits: emptyField(),
        readings: new Map(),
        runsGitlabRunner: null,
        dedicated: false,
        listedBy: new Set(),
        seenBy: new Set(),
        firstSeenAt: at,
        lastSeenAt: at,
        goneAt: null,
      };
      this.entries.set(key, entry);
    }
    entry.seenBy.add(sourceId);
    entry.lastSeenAt = at;
    const error = observation.error ?? null;
    const identityCheck = observation.identity
      ? checkReading('identity', observation.identity)
      : null;
    if (identityCheck && !identityCheck.ok) this.reject(key, sourceId, identityCheck.problem);
    if (observation.identity && identityCheck?.ok) {
      if (observation.identity.kind === 'dedicated') entry.dedicated = true;
      entry.identity = mergeIdentity(
        entry.identity,
        entry.listedBy,
        sourceId,
        observation.identity,
        at,
      );
      entry.listedBy.add(sourceId);
      entry.goneAt = entry.identity.value?.state === 'gone' ? (entry.goneAt ?? at) : null;
    }
    const readAt = observation.observedAt ?? at;
    if (observation.disks !== undefined || observation.load !== undefined) {
      const reading = entry.readings.get(sourceId) ?? {};
      entry.readings.set(sourceId, reading);
      if (observation.disks !== undefined) {
        reading.disks = this.field(key, sourceId, 'disks', observation.disks, readAt, error);
        entry.disks = freshest(entry.readings, 'disks');
      }
      if (observation.load !== undefined) {
        reading.load = this.field(key, sourceId, 'load', observation.load, readAt, error);
        entry.load = freshest(entry.readings, 'load');
      }
    }
    if (observation.jobs !== undefined) {
      entry.jobs = this.field(key, sourceId, 'jobs', observation.jobs, at, error);
    }
    if (observation.containerExits !== undefined) {
      entry.containerExits = this.field(
        key,
        sourceId,
        'containerExits',
        observation.containerExits,
        at,
        error,
      );
    }
    if (observation.runsGitlabRunner === true) entry.runsGitlabRunner = true;
    else if (observation.runsGitlabRunner === false && entry.runsGitlabRunner !== true)
      entry.runsGitlabRunner = false;
    return key;
  }

  /** A reading as a field: unknown, with the reason, when it fails the contract's schema. */
  private field<T>(
    key: string,
    sourceId: string,
    name: 'disks' | 'jobs' | 'load' | 'containerExits',
    value: T | null,
    at: number,
    error: string | null,
  ): Field<T> {
    if (value === null) return { value: null, observedAt: at, source: sourceId, error };
    const checked = checkReading(name, value);
    if (checked.ok) return { value, observedAt: at, source: sourceId, error };
    this.reject(key, sourceId, checked.problem);
    const reason = `reading rejected: ${checked.problem}`;
    return {
      value: null,
      observedAt: at,
      source: sourceId,
      error: error ? `${error}; ${reason}` : reason,
    };
  }

  private reject(key: string, sourceId: string, problem: string): void {
    // Once per machine, source and problem: a broken host must not flood the log each cycle.
    const id = `${key}\n${sourceId}\n${problem}`;
    if (this.reported.has(id)) return;
    if (this.reported.size >= 1_000) this.reported.clear();
    this.reported.add(id);
    this.onRejected(`${key}: reading from ${sourceId} rejected (${problem}); the field is unknown`);
  }

  private markGone(entry: Entry, sourceId: string, at: number): void {
    const previous = entry.identity.value;
    if (!previous) return;
    entry.identity = {
      value: { ...previous, state: 'gone', providerStatus: 'gone' },
      observedAt: at,
      source: sourceId,
      error: null,
    };
    entry.goneAt ??= at;
  }

  private toObserved<T>(field: Field<T>, now: number): Observed<T> {
    const interval = field.source ? this.intervals.get(field.source) : undefined;
    const stale =
      field.observedAt === null || interval === undefined || isOld(now, field.observedAt, interval);
    return {
      value: field.value,
      observedAt: field.observedAt,
      stale,
      error: field.error,
      source: field.source,
    };
  }

  private gitlabJobsFor(name: string, now: number): Observed<RunningJob[]> {
    // Fresh only when every GitLab source that reported is fresh: one instance down means
    // a job of that instance could be running here unseen.
    let newest: number | null = null;
    let oldestAt: number | null = null;
    let stale = this.gitlabJobs.size === 0;
    let source: string | null = null;
    const jobs: RunningJob[] = [];
    const unknown: string[] = [];
    for (const [sourceId, reading] of this.gitlabJobs) {
      const interval = this.intervals.get(sourceId) ?? 0;
      if (isOld(now, reading.at, interval)) stale = true;
      oldestAt = oldestAt === null ? reading.at : Math.min(oldestAt, reading.at);
      if (newest === null || reading.at > newest) {
        newest = reading.at;
        source = sourceId;
      }
      jobs.push(...(reading.byMachine.get(name) ?? []));
      // A running job not linked to a machine yet may run on this one: GitLab cannot say
      // "no job here" until the trace names its machine.
      if (reading.unlinked.length > 0) {
        const ids = reading.unlinked.map((j) => `#${j.jobId} (runner #${j.runnerId})`);
        unknown.push(
          `running job${ids.length === 1 ? '' : 's'} ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''} not linked to a machine yet`,
        );
      }
      if (reading.partial !== null) unknown.push(reading.partial);
    }
    return {
      value: this.gitlabJobs.size === 0 || unknown.length > 0 ? null : jobs,
      observedAt: oldestAt,
      stale,
      error: unknown.length > 0 ? unknown.join('; ') : null,
      source,
    };
  }

  /**
   * Idle evidence from every GitLab source: the latest finished job linked to the machine,
   * and the window all of them cover (the latest start); none when one is incomplete.
   */
  private idleEvidenceFor(name: string): NonNullable<Machine['idleEvidence']> | undefined {
    if (this.gitlabJobs.size === 0) return undefined;
    let since: number | null = null;
    let lastJob: { jobId: number; finishedAt: number } | null = null;
    for (const reading of this.gitlabJobs.values()) {
      const finished = reading.finished;
      if (!finished || !finished.complete) return { lastJob: null, gitlabSince: null };
      since = since === null ? finished.since : Math.max(since, finished.since);
      const last = finished.lastByMachine.get(name);
      if (last && (!lastJob || last.finishedAt > lastJob.finishedAt)) lastJob = last;
    }
    return { lastJob, gitlabSince: since };
  }

  private toMachine(entry: Entry, now: number): Machine {
    const identity = entry.identity.value;
    const gitlabJobs = this.gitlabJobsFor(entry.name, now);
    const jobs = this.toObserved(entry.jobs, now);
    if (jobs.value && gitlabJobs.value) jobs.value = enrichJobs(jobs.value, gitlabJobs.value);
    const removal = this.removalOf(entry);
    return {
      key: entry.key,
      name: entry.name,
      fleet: entry.fleet,
      kind: entry.dedicated ? 'dedicated' : (identity?.kind ?? 'autoscaled'),
      provider: identity?.provider ?? 'ssh',
      providerId: identity?.providerId ?? null,
      serverType: identity?.serverType ?? null,
      location: identity?.location ?? null,
      createdAt: identity?.createdAt ?? null,
      labels: identity?.labels ?? {},
      addresses: identity?.addresses ?? [],
      status: { ...this.toObserved(entry.identity, now), value: identity?.state ?? null },
      providerStatus: identity?.providerStatus ?? null,
      disks: this.toObserved(entry.disks, now),
      jobs,
      gitlabJobs,
      load: this.toObserved(entry.load, now),
      readings: [...entry.readings]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([source, reading]): MachineReading => ({
          source,
          disks: reading.disks ? this.toObserved(reading.disks, now) : null,
          load: reading.load ? this.toObserved(reading.load, now) : null,
        })),
      deleteProtected: identity?.deleteProtected ?? null,
      runsGitlabRunner: entry.runsGitlabRunner,
      ...(entry.containerExits.source !== null
        ? { containerExits: this.toObserved(entry.containerExits, now) }
        : {}),
      ...(() => {
        const evidence = this.idleEvidenceFor(entry.name);
        return evidence ? { idleEvidence: evidence } : {};
      })(),
      seenBy: [...entry.seenBy].sort(),
      listedBy: [...entry.listedBy].sort(),
      firstSeenAt: entry.firstSeenAt,
      lastSeenAt: entry.lastSeenAt,
      ...(removal ? { removed: removal } : {}),
    };
  }
}

/**
 * The reading a field shows when several sources read it (SSH and Prometheus): the
 * freshest one that has a value; when none has, the freshest (with its error). A value
 * is a real observation at its time — a later failed read elsewhere does not erase it,
 * and it turns stale on its own.
 */
function freshest<K extends keyof Reading>(
  readings: Map<string, Reading>,
  field: K,
): NonNullable<Reading[K]> {
  let best: NonNullable<Reading[K]> | null = null;
  for (const reading of readings.values()) {
    const candidate = reading[field];
    if (!candidate) continue;
    if (best === null) {
      best = candidate;
      continue;
    }
    const hasValue = candidate.value !== null;
    const bestHasValue = best.value !== null;
    if (hasValue !== bestHasValue) {
      if (hasValue) best = candidate;
      continue;
    }
    if ((candidate.observedAt ?? 0) > (best.observedAt ?? 0)) best = candidate;
  }
  return best ?? (emptyField() as NonNullable<Reading[K]>);
}

/** Provider APIs know most about a machine, a runner manager's list less, an SSH alias least. */
const PROVIDER_RANK: Record<MachineIdentity['provider'], number> = {
  hetzner: 2,
  'docker-machine': 1,
  ssh: 0,
};

/**
 * One identity from several inventory sources (Hetzner and docker-machine list the same
 * VM): the richer source keeps it while it still lists the machine, the other only fills
 * its gaps; otherwise the newest reading wins, keeping what another source knew.
 */
function mergeIdentity(
  current: Field<MachineIdentity>,
  listedBy: Set<string>,
  sourceId: string,
  next: MachineIdentity,
  at: number,
): Field<MachineIdentity> {
  const prev = current.value;
  const other = prev !== null && current.source !== null && current.source !== sourceId;
  if (
    other &&
    listedBy.has(current.source!) &&
    PROVIDER_RANK[prev.provider] > PROVIDER_RANK[next.provider]
  ) {
    return { ...current, value: fillIdentity(prev, next) };
  }
  return {
    value: other ? fillIdentity(next, prev) : next,
    observedAt: at,
    source: sourceId,
    error: null,
  };
}

function fillIdentity(primary: MachineIdentity, other: MachineIdentity): MachineIdentity {
  return {
    ...primary,
    deleteProtected: primary.deleteProtected ?? other.deleteProtected ?? null,
    providerId: primary.providerId ?? other.providerId,
    serverType: primary.serverType ?? other.serverType,
    location: primary.location ?? other.location ?? null,
    createdAt: primary.createdAt ?? other.createdAt,
    labels: { ...other.labels, ...primary.labels },
    addresses: primary.addresses.length > 0 ? primary.addresses : other.addresses,
  };
}

/** Adds GitLab's job details (name, project, user) to the containers seen on the machine. */
function enrichJobs(containers: RunningJob[], fromGitlab: RunningJob[]): RunningJob[] {
  const byId = new Map(fromGitlab.map((job) => [job.jobId, job]));
  return containers.map((job) => {
    const known = byId.get(job.jobId);
    if (!known) return job;
    return {
      ...job,
      name: job.name ?? known.name,
      projectPath: job.projectPath ?? known.projectPath,
      user: job.user ?? known.user,
      ref: job.ref ?? known.ref,
      jobUrl: job.jobUrl ?? known.jobUrl,
      startedAt: job.startedAt ?? known.startedAt,
      seenIn: ['machine', 'gitlab'],
    };
  });
}
