/**
 * The GitLab simulator's state: plain data that tests, the scenario adapter and the
 * server share. The server reads it on every request, so changing it is how a test moves
 * the world (a runner comes back online, a job starts, a trace appears).
 */

/** A user of one instance. `isAdmin` decides `/runners/all` and whether `is_admin` is sent. */
export interface SimUser {
  id: number;
  username: string;
  isAdmin: boolean;
}

/** A personal access token. The token string is what clients send. */
export interface SimToken {
  token: string;
  id: number;
  name: string;
  userId: number;
  /** e.g. `api`, `read_api`, `manage_runner`. */
  scopes: string[];
  active?: boolean;
  revoked?: boolean;
  expiresAt?: string | null;
}

/** A runner manager (one `gitlab-runner` process with a system id). */
export interface SimManager {
  id: number;
  systemId: string;
  version: string;
  revision: string;
  platform: string;
  architecture: string;
  ipAddress: string;
  createdAt: number;
  /** Milliseconds since the epoch; null when never contacted. */
  contactedAt: number | null;
}

/** A runner. Its status is derived from `contactedAt` unless `statusOverride` is set. */
export interface SimRunner {
  id: number;
  description: string;
  paused: boolean;
  isShared: boolean;
  runnerType: 'instance_type' | 'group_type' | 'project_type';
  tagList: string[];
  version: string;
  revision: string;
  platform: string;
  architecture: string;
  createdAt: number;
  contactedAt: number | null;
  managers: SimManager[];
  /** Users (besides admins) who see this runner in `GET /runners`. */
  ownerUserIds: number[];
  statusOverride?: 'online' | 'offline' | 'stale' | 'never_contacted';
}

/** Job states the simulator knows (a subset of GitLab's). */
export type SimJobStatus = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

/** A CI job that ran or runs on a runner. */
export interface SimJob {
  id: number;
  runnerId: number;
  systemId: string | null;
  projectId: number;
  projectPath: string;
  pipelineId: number;
  name: string;
  stage: string;
  ref: string;
  status: SimJobStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  username: string;
  /**
   * The machine the job runs on, printed in the trace as `via <machine>`; for a shell
   * executor (`executor: 'shell'`) the trace says `Running on <machine>...`.
   */
  machine: string | null;
  executor: 'docker+machine' | 'docker-autoscaler' | 'docker' | 'shell';
  /** The build container's hostname printed before `via`; derived from the ids when absent. */
  container?: string;
  /**
   * docker-autoscaler: the fleeting instance id the trace dials (`Dialing instance <id>...`;
   * Hetzner plugin: `<server name>:<server id>`). Absent: no instance lines.
   */
  instanceId?: string;
  /**
   * docker-autoscaler: the runner manager's hostname, which the trace prints after `via`
   * (the autoscaler sets no build hostname, so GitLab Runner prints its own).
   */
  managerHostname?: string;
  /**
   * The trace text. `undefined`: generated from the fields above; `null`: no trace yet
   * (GitLab answers an empty body).
   */
  trace?: string | null;
}

/** Deliberate misbehaviour, switched by tests. */
export interface SimFaults {
  /** Connections are reset: the instance is down. */
  down: boolean;
  /** After this many more requests the instance goes down (a failure in the middle of a cycle). */
  downAfterRequests: number | null;
  /** The next N requests (matching `pathIncludes` and `method` when set) answer this 5xx status. */
  errors: { status: number; remaining: number; pathIncludes?: string; method?: string } | null;
  /** Every answer is delayed this long. */
  slowMs: number;
  /** The next N requests answer 429 with this Retry-After (seconds), whatever the budget. */
  tooMany: { remaining: number; retryAfterSec: number } | null;
}

/** One simulated GitLab instance. */
export interface SimInstanceState {
  users: SimUser[];
  tokens: SimToken[];
  runners: SimRunner[];
  jobs: SimJob[];
  /**
   * `current`: GitLab 17.x. `old`: an older version — no managers endpoint (404), no
   * `status` field on runners, stale after 3 months instead of 7 days.
   */
  version: 'current' | 'old';
  /** Sets above this size get no `X-Total`/`X-Total-Pages` (GitLab omits them on large sets). */
  totalsLimit: number;
  /** Requests per window per token before 429; null: unlimited (headers still sent). */
  rateLimit: { limit: number; windowSec: number } | null;
  /** Some versions refuse `GET /runners/:id` to tokens without `manage_runner`. */
  runnerGetNeedsManageRunner: boolean;
  faults: SimFaults;
}

/** A fresh instance state with sensible defaults; fields given override them. */
export function simInstance(partial: Partial<SimInstanceState> = {}): SimInstanceState {
  return {
    users: [],
    tokens: [],
    runners: [],
    jobs: [],
    version: 'current',
    totalsLimit: 10_000,
    rateLimit: null,
    runnerGetNeedsManageRunner: false,
    ...partial,
    faults: {
      down: false,
      downAfterRequests: null,
      errors: null,
      slowMs: 0,
      tooMany: null,
      ...partial.faults,
    },
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** GitLab's status rule for a runner at `now` (REFERENCE.md: online ≈ 2 h, stale 7 d / 3 months). */
export function runnerStatus(
  runner: SimRunner,
  now: number,
  version: SimInstanceState['version'],
): 'online' | 'offline' | 'stale' | 'never_contacted' {
  if (runner.statusOverride) return runner.statusOverride;
  const staleAfter = version === 'old' ? 90 * DAY : 7 * DAY;
  if (runner.contactedAt === null) {
    return now - runner.createdAt > staleAfter ? 'stale' : 'never_contacted';
  }
  const since = now - runner.contactedAt;
  if (since <= 2 * HOUR) return 'online';
  return since > staleAfter ? 'stale' : 'offline';
}

/** Manager status by the same rule. */
export function managerStatus(
  manager: SimManager,
  now: number,
): 'online' | 'offline' | 'stale' | 'never_contacted' {
  if (manager.contactedAt === null) return 'never_contacted';
  const since = now - manager.contactedAt;
  if (since <= 2 * HOUR) return 'online';
  return since > 7 * DAY ? 'stale' : 'offline';
}
