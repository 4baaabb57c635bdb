import { z } from 'zod';
import { OrphanStatus } from './orphan';
import { Timestamp } from './time';

/**
 * A value as one source last saw it. `value: null` means *unknown* — never "empty" or
 * "idle": a machine whose jobs are unknown is not a machine without jobs.
 */
export const observed = <T extends z.ZodType>(value: T) =>
  z.object({
    /** The value, or null when no source has read it (or the last read failed). */
    value: value.nullable(),
    /** When the value was read; null when it never was. */
    observedAt: Timestamp.nullable(),
    /** Older than its source's interval × 3 (or never read). Stale values are shown as stale. */
    stale: z.boolean(),
    /** The last error of the source that owns this field, already free of secrets. */
    error: z.string().nullable(),
    /** Which source produced the value. */
    source: z.string().nullable(),
  });

/** A value with its observation time and staleness. */
export type Observed<T> = {
  value: T | null;
  observedAt: Timestamp | null;
  stale: boolean;
  error: string | null;
  source: string | null;
};

/**
 * Use of one mounted filesystem. `usedPct` follows `df`'s definition, used / (used +
 * available) rounded up, so blocks reserved for root do not count as used; the Prometheus
 * source computes the same figure (see REFERENCE.md, Disk used %).
 */
export const DiskUsage = z.object({
  /** Mount point, e.g. `/` or `/var/lib/docker`. */
  mount: z.string().min(1),
  sizeBytes: z.number().nonnegative(),
  usedBytes: z.number().nonnegative(),
  availBytes: z.number().nonnegative(),
  /** used / (used + avail) × 100, rounded up, like df's Use%. */
  usedPct: z.number().min(0).max(100),
  /** Inode figures; null where the filesystem does not report them. */
  inodesTotal: z.number().nonnegative().nullable(),
  inodesUsed: z.number().nonnegative().nullable(),
  inodesUsedPct: z.number().min(0).max(100).nullable(),
});
/** Use of one mounted filesystem. */
export type DiskUsage = z.infer<typeof DiskUsage>;

/**
 * A GitLab job running on a machine, as its job container's labels describe it, enriched
 * with what the GitLab source knows about the job once linked.
 */
export const RunningJob = z.object({
  jobId: z.number().int().positive(),
  projectId: z.number().int().nullable(),
  pipelineId: z.number().int().nullable(),
  runnerId: z.number().int().nullable(),
  /** Name of the job's container on the machine (or null when only GitLab knows the job). */
  containerName: z.string().nullable(),
  jobUrl: z.string().nullable(),
  ref: z.string().nullable(),
  /** Job name, project path and user, once the GitLab source has linked the job. */
  name: z.string().nullable(),
  projectPath: z.string().nullable(),
  user: z.string().nullable(),
  startedAt: Timestamp.nullable(),
  /** Where this job was seen: on the machine (docker ps), in GitLab, or both. */
  seenIn: z.array(z.enum(['machine', 'gitlab'])),
});
/** A GitLab job running on a machine. */
export type RunningJob = z.infer<typeof RunningJob>;

/** Load and memory of a machine, from `/proc` over SSH or from node_exporter. */
export const LoadInfo = z.object({
  load1: z.number().nonnegative(),
  load5: z.number().nonnegative(),
  load15: z.number().nonnegative(),
  cpus: z.number().int().positive().nullable(),
  memTotalBytes: z.number().nonnegative().nullable(),
  memAvailableBytes: z.number().nonnegative().nullable(),
});
/** Load and memory of a machine. */
export type LoadInfo = z.infer<typeof LoadInfo>;

/**
 * One source's own latest reading of a machine's disks and load (SSH probe, Prometheus).
 * `disks` and `load` of the Machine show the freshest of them; all are kept for details.
 */
export const MachineReading = z.object({
  /** Source id, e.g. `ssh:probe` or `prometheus:ci`. */
  source: z.string().min(1),
  /** Null when this source does not read disks of this machine. */
  disks: observed(z.array(DiskUsage)).nullable(),
  /** Null when this source does not read load of this machine. */
  load: observed(LoadInfo).nullable(),
});
/** One source's own latest reading of a machine. */
export type MachineReading = z.infer<typeof MachineReading>;

/**
 * What the job containers Docker still lists on a machine say about its last job (SSH
 * probe: `docker ps -a` of the newest job containers, `docker inspect` for exact finish
 * times). GitLab Runner removes a job's containers when it ends, so a stop proves the
 * machine was busy until then, never that nothing ran after it.
 */
export const ContainerExits = z.object({
  /**
   * When the last stopped job container stopped, on this app's clock (counted back from
   * the host's own clock, so host clock skew cancels out); null: none listed.
   */
  lastExitAt: Timestamp.nullable(),
  /** The job id label of that container, when it has one. */
  lastExitJobId: z.number().int().positive().nullable(),
  /** Job containers that have not stopped (running, created, paused, restarting). */
  active: z.number().int().nonnegative(),
  /** Stopped job containers listed (cache containers left out). */
  exited: z.number().int().nonnegative(),
});
/** What the job containers on a machine say about its last job. */
export type ContainerExits = z.infer<typeof ContainerExits>;

/** Normalised life-cycle state; the provider's own word is kept in `providerStatus`. */
export const MachineState = z.enum([
  'running',
  'starting',
  'stopping',
  'off',
  'deleting',
  'gone',
  'error',
  'unknown',
]);
/** Normalised life-cycle state of a machine. */
export type MachineState = z.infer<typeof MachineState>;

/** Where a machine comes from. */
export const MachineProvider = z.enum(['hetzner', 'docker-machine', 'ssh']);
/** Where a machine comes from. */
export type MachineProvider = z.infer<typeof MachineProvider>;

/**
 * A machine this app deleted (Hetzner delete or `docker-machine rm` that succeeded), as
 * the audit log records it. Kept on the machine until every source stops listing it, so
 * the leftovers of a kill (a provider still listing it for a while, docker-machine listing
 * it as `error`) read as what they are; such a machine is not probed any more.
 */
export const MachineRemoval = z.object({
  /** `user@host` of the person who confirmed, or `auto`. */
  by: z.string(),
  /** When the action succeeded. */
  at: Timestamp,
  action: z.enum(['hcloud-delete', 'machine-rm']),
  proposalId: z.string().nullable(),
});
/** A machine this app deleted. */
export type MachineRemoval = z.infer<typeof MachineRemoval>;

/**
 * Anything that runs jobs: an autoscaled VM or a dedicated runner host. One Machine per
 * real machine, whatever sources saw it; every observed field carries its time.
 */
export const Machine = z.object({
  /** Stable key: `<fleet>/<name>`. */
  key: z.string().min(1),
  name: z.string().min(1),
  /** Id of the fleet (from settings) this machine belongs to. */
  fleet: z.string().min(1),
  /** Autoscaled VMs may be deleted by the reaper; dedicated hosts only get cleanups. */
  kind: z.enum(['autoscaled', 'dedicated']),
  provider: MachineProvider,
  /** Provider's id (Hetzner server id), null for hosts known only by SSH alias. */
  providerId: z.string().nullable(),
  serverType: z.string().nullable(),
  /** Provider's location (Hetzner `datacenter.location.name`, e.g. `fsn1`): prices differ by it. */
  location: z.string().nullable().optional(),
  createdAt: Timestamp.nullable(),
  labels: z.record(z.string(), z.string()),
  /** Addresses the collectors may dial, best first. */
  addresses: z.array(z.string()),
  status: observed(MachineState),
  /** The provider's own status word, e.g. Hetzner `initializing`. */
  providerStatus: z.string().nullable(),
  disks: observed(z.array(DiskUsage)),
  /** Job containers running on the machine (docker ps), enriched from GitLab once linked. */
  jobs: observed(z.array(RunningJob)),
  /**
   * Running jobs GitLab links to this machine (trace `via <machine>`); null while no GitLab
   * source has a fresh reading. Together with `jobs` this is the machine's job state.
   */
  gitlabJobs: observed(z.array(RunningJob)),
  load: observed(LoadInfo),
  /**
   * Each source's own disk and load reading when more than one reads them (SSH and
   * Prometheus): `disks` and `load` above are the freshest reading that has a value.
   */
  readings: z.array(MachineReading).optional(),
  /**
   * Hetzner's `protection.delete` for the server; null when the provider does not say
   * (docker-machine, SSH). A protected server, or one whose protection is unknown, is
   * never deleted by the reaper.
   */
  deleteProtected: z.boolean().nullable().optional(),
  /**
   * The probe found a `gitlab-runner` process on the machine: it is a runner manager (or
   * a dedicated host), never an autoscaled VM to delete. Once seen it is remembered for
   * as long as the machine is known. Null: not probed yet or the check failed.
   */
  runsGitlabRunner: z.boolean().nullable().optional(),
  /**
   * What says since when the machine has been idle, besides watching it: the last GitLab
   * job linked to it that finished, within the window GitLab's history covers. Absent or
   * `gitlabSince: null`: no such evidence (no GitLab reading, or finished jobs of the
   * window not all linked to their machines yet).
   */
  idleEvidence: z
    .object({
      /** The last finished GitLab job that ran on the machine; null: none in the window. */
      lastJob: z.object({ jobId: z.number().int(), finishedAt: Timestamp }).nullable(),
      /** Start of the window GitLab's job history covers for every runner; null: incomplete. */
      gitlabSince: Timestamp.nullable(),
    })
    .optional(),
  /**
   * When the job containers on the machine last stopped (SSH probe). Absent: no source
   * reads them (Prometheus-only, not probed); `value: null`: the read failed.
   */
  containerExits: observed(ContainerExits).optional(),
  /** Ids of the sources that reported this machine. */
  seenBy: z.array(z.string()),
  /**
   * Inventory sources (Hetzner projects, docker-machine managers) whose latest listing
   * includes the machine; `seenBy` also keeps the ones that listed it once.
   */
  listedBy: z.array(z.string()).optional(),
  /**
   * Set when the provider lists the server but no runner manager that could own it does
   * (see OrphanStatus); absent when a manager lists it, a job runs on it, or no manager
   * listing covers its fleet.
   */
  orphan: OrphanStatus.optional(),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  /** Set once this app deleted the machine, until every source drops it (see MachineRemoval). */
  removed: MachineRemoval.optional(),
});
/** Anything that runs jobs. */
export type Machine = z.infer<typeof Machine>;
