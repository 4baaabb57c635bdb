import type { DiskUsage, Machine, RunningJob } from '../../../shared/machine';
import { FleetSettings, type ReaperSettings } from '../../../shared/settings';

/**
 * Fleet settings from a partial reaper config, parsed through the real schema (defaults
 * included). Unless the test gives its own selector or `unidentified: true`, the fleet
 * has the selector `role=ci` that the machines below carry, so its VMs are positively
 * identified as autoscaled (the rule every deletion needs).
 */
export function fleetSettings(
  id = 'ci',
  reaper: Partial<ReaperSettings> = {},
  extra: {
    kind?: 'autoscaled' | 'dedicated';
    watchedMounts?: string[];
    autoscaler?: { namePrefixes?: string[]; idleCount?: number; instanceGroups?: string[] };
    /** No selector at all: nothing identifies the fleet's VMs. */
    unidentified?: boolean;
  } = {},
): FleetSettings {
  const { unidentified, ...rest } = extra;
  const selector = reaper.selector ?? (unidentified ? undefined : { labels: { role: 'ci' } });
  return FleetSettings.parse({
    id,
    ...rest,
    reaper: { ...reaper, ...(selector ? { selector } : {}) },
  });
}

/** A job as GitLab and docker ps would report it. */
export function job(
  jobId: number,
  parts: { project?: string; name?: string; ref?: string } = {},
): RunningJob {
  return {
    jobId,
    projectId: 1,
    pipelineId: 1,
    runnerId: 1,
    containerName: `runner-abc-project-1-concurrent-0-${jobId}`,
    jobUrl: null,
    ref: parts.ref ?? 'main',
    name: parts.name ?? 'build',
    projectPath: parts.project ?? 'group/app',
    user: 'dev',
    startedAt: null,
    seenIn: ['machine', 'gitlab'],
  };
}

/** How a test describes a machine at one moment. */
export interface MachineSpec {
  name: string;
  fleet?: string;
  /** Used % of `/`; null = disk read failed (unknown). */
  disk?: number | null;
  mounts?: { mount: string; pct: number }[];
  diskStale?: boolean;
  /** Job containers (docker ps); null = unknown (probe failed). */
  jobs?: RunningJob[] | null;
  jobsStale?: boolean;
  /** Jobs GitLab links to the machine; null = GitLab unknown. */
  gitlab?: RunningJob[] | null;
  gitlabStale?: boolean;
  status?: Machine['status']['value'];
  statusStale?: boolean;
  providerStatus?: string | null;
  provider?: Machine['provider'];
  kind?: Machine['kind'];
  providerId?: string | null;
  createdAt?: number | null;
  labels?: Record<string, string>;
  addresses?: string[];
  /** Hetzner `protection.delete`; default false. */
  deleteProtected?: boolean | null;
  runsGitlabRunner?: boolean | null;
  /** The inventory source of the identity; default `hetzner:p`. */
  identitySource?: string;
  /** Sources that reported the machine; default the identity source and `ssh:ci`. */
  seenBy?: string[];
  /** Inventory sources whose latest listing includes it; default the identity source. */
  listedBy?: string[];
  /** Error text of failed readings. */
  error?: string;
  /** GitLab's error (e.g. an unlinked job); shown when `gitlab` is null. */
  gitlabError?: string;
  /** GitLab's idle evidence (last finished job on the machine, window start). */
  idleEvidence?: Machine['idleEvidence'];
  /**
   * What the probe read of stopped job containers (`docker inspect`); null: the read
   * failed; absent: nothing reads them (the field is absent from the machine).
   */
  exits?: { lastExitAt: number | null; jobId?: number | null; active?: number } | null;
}

function disk(mount: string, pct: number): DiskUsage {
  const size = 100_000_000_000;
  const used = Math.round((size * pct) / 100);
  return {
    mount,
    sizeBytes: size,
    usedBytes: used,
    availBytes: size - used,
    usedPct: pct,
    inodesTotal: null,
    inodesUsed: null,
    inodesUsedPct: null,
  };
}

let nextId = 1000;
const CREATED = Date.UTC(2026, 10, 23, 9, 0, 0);
const ids = new Map<string, string>();

/** A Machine as the fleet model would produce it, every reading observed at `at`. */
export function machine(spec: MachineSpec, at: number): Machine {
  const fleet = spec.fleet ?? 'ci';
  const key = `${fleet}/${spec.name}`;
  if (!ids.has(key)) ids.set(key, String(nextId++));
  const error = spec.error ?? null;
  const disks =
    spec.disk === null
      ? null
      : spec.mounts
        ? spec.mounts.map((m) => disk(m.mount, m.pct))
        : [disk('/', spec.disk ?? 20)];
  const jobs = spec.jobs === undefined ? [] : spec.jobs;
  const gitlab = spec.gitlab === undefined ? (jobs ?? []) : spec.gitlab;
  const status = spec.status ?? 'running';
  return {
    key,
    name: spec.name,
    fleet,
    kind: spec.kind ?? 'autoscaled',
    provider: spec.provider ?? 'hetzner',
    providerId: spec.providerId === undefined ? (ids.get(key) as string) : spec.providerId,
    serverType: 'cx22',
    // A server's creation time is fixed (an hour before the scenarios' T0), whenever it is read.
    createdAt: spec.createdAt === undefined ? CREATED : spec.createdAt,
    labels: spec.labels ?? { role: 'ci' },
    addresses: spec.addresses ?? ['127.0.0.1'],
    status: {
      value: status,
      observedAt: at,
      stale: spec.statusStale ?? false,
      error: null,
      source: spec.identitySource ?? 'hetzner:p',
    },
    providerStatus: spec.providerStatus === undefined ? status : spec.providerStatus,
    disks: {
      value: disks,
      observedAt: at,
      stale: spec.diskStale ?? false,
      error: disks === null ? error : null,
      source: 'ssh:ci',
    },
    jobs: {
      value: jobs,
      observedAt: at,
      stale: spec.jobsStale ?? false,
      error: jobs === null ? error : null,
      source: 'ssh:ci',
    },
    gitlabJobs: {
      value: gitlab,
      observedAt: gitlab === null ? null : at,
      stale: gitlab === null ? true : (spec.gitlabStale ?? false),
      error: gitlab === null ? (spec.gitlabError ?? null) : null,
      source: gitlab === null ? null : 'gitlab:main',
    },
    load: { value: null, observedAt: null, stale: true, error: null, source: null },
    deleteProtected: spec.deleteProtected === undefined ? false : spec.deleteProtected,
    runsGitlabRunner: spec.runsGitlabRunner === undefined ? false : spec.runsGitlabRunner,
    ...(spec.idleEvidence ? { idleEvidence: spec.idleEvidence } : {}),
    ...(spec.exits !== undefined
      ? {
          containerExits: {
            value:
              spec.exits === null
                ? null
                : {
                    lastExitAt: spec.exits.lastExitAt,
                    lastExitJobId: spec.exits.jobId ?? null,
                    active: spec.exits.active ?? 0,
                    exited: spec.exits.lastExitAt === null ? 0 : 1,
                  },
            observedAt: at,
            stale: false,
            error: spec.exits === null ? 'container exits: exit status 1 (boom)' : null,
            source: 'ssh:ci',
          },
        }
      : {}),
    seenBy: spec.seenBy ?? [spec.identitySource ?? 'hetzner:p', 'ssh:ci'],
    listedBy: spec.listedBy ?? [spec.identitySource ?? 'hetzner:p'],
    firstSeenAt: at - 3_600_000,
    lastSeenAt: at,
  };
}
