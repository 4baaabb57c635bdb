import type {
  ContainerExits,
  DiskUsage,
  LoadInfo,
  Machine,
  MachineState,
  RunningJob,
} from '../../../shared/machine';
import type { ApiError } from '../../../shared/errors';
import type { Runner } from '../../../shared/runner';
import type { FleetCounters } from '../../../shared/runner-metrics';
import type { SourceKind } from '../../../shared/source';

/**
 * What an inventory source (Hetzner, docker-machine, static host list) knows about a
 * machine's identity. Present on observations from inventory sources only.
 */
export interface MachineIdentity {
  kind: Machine['kind'];
  provider: Machine['provider'];
  providerId: string | null;
  serverType: string | null;
  /** Provider's location, where it says (prices differ by location). */
  location?: string | null;
  createdAt: number | null;
  labels: Record<string, string>;
  addresses: string[];
  providerStatus: string | null;
  state: MachineState;
  /** Hetzner's `protection.delete`; absent or null where the provider does not say. */
  deleteProtected?: boolean | null;
}

/**
 * One source's reading of one machine. For `disks`, `jobs` and `load`: `undefined` means
 * "this source does not read that field"; `null` means "tried, unknown" (with `error`).
 * Unknown is never turned into empty.
 */
export interface MachineObservation {
  fleet: string;
  name: string;
  identity?: MachineIdentity;
  disks?: DiskUsage[] | null;
  jobs?: RunningJob[] | null;
  load?: LoadInfo | null;
  /** Whether a `gitlab-runner` process runs there (the probe's check); null = check failed. */
  runsGitlabRunner?: boolean | null;
  /** When its job containers last stopped (the probe); null = tried, unknown. */
  containerExits?: ContainerExits | null;
  /** Why a field is null; already free of secrets. */
  error?: string;
  /**
   * When the reading was taken (ms), if not at collection time: Prometheus reports the
   * scrape time of its samples. Decides which source's reading is the freshest.
   */
  observedAt?: number;
}

/** What one collection returns. */
export interface CollectResult {
  machines: MachineObservation[];
  /**
   * Fleets whose complete inventory this result is: a machine of such a fleet that this
   * source reported before and not now is gone.
   */
  inventoryOf?: string[];
  /** Runners, for GitLab sources: the full list of this source's runners. */
  runners?: Runner[];
  /** GitLab Runner counters, for runner metrics sources: this source's complete list. */
  counters?: FleetCounters[];
  /** Running jobs known to GitLab, keyed by machine name (from trace `via <machine>`). */
  jobsByMachine?: Map<string, RunningJob[]>;
  /**
   * Running jobs GitLab could not link to a machine yet (trace without `via <machine>`,
   * trace missing or refused). Any such job could be running on any machine: while one is
   * listed, GitLab's job state of every machine is unknown. Given with `jobsByMachine`.
   */
  unlinkedJobs?: { jobId: number; runnerId: number }[];
  /**
   * Set when the token sees only some runners (not an administrator): jobs of the others
   * are invisible, so GitLab's "no job here" is not a reading. Says why, for the evidence.
   */
  partialRunners?: string;
  /**
   * Finished jobs of the timeline window by machine (the last one each), for "idle since"
   * evidence, and the window's start; `complete: false` while some finished job of the
   * window is not linked to its machine yet (then there is no evidence).
   */
  finishedJobs?: {
    since: number;
    complete: boolean;
    lastByMachine: Map<string, { jobId: number; finishedAt: number }>;
  };
  /** Limits the source worked under this time ("token lacks manage_runner: …"). */
  warnings?: string[];
  /** The server asked to wait at least this long before the next call (Retry-After, rate limit). */
  retryAfterMs?: number;
  /**
   * The collection ran but reached nothing (a probe whose every host was unreachable):
   * its readings (all unknown) are applied, and the source is `failing` with this error.
   */
  failure?: ApiError;
}

/** Read-only view of the fleet a source may use, e.g. the probe reads the machines' addresses. */
export interface CollectContext {
  now(): number;
  machines(): readonly Machine[];
}

/**
 * A collector. The engine runs `collect` on `intervalMs` with `timeoutMs`, backs off on
 * failure, and marks the source's fields stale when it fails. `collect` must honour the
 * signal after every await. Inventory sources run before probe sources in a cycle.
 */
export interface Source {
  readonly id: string;
  readonly kind: SourceKind;
  /** For the UI; never a token. */
  readonly label: string;
  readonly phase: 'inventory' | 'probe';
  readonly intervalMs: number;
  readonly timeoutMs: number;
  collect(signal: AbortSignal, context: CollectContext): Promise<CollectResult>;
  dispose?(): void | Promise<void>;
}
