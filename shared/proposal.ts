import { z } from 'zod';
import { Timestamp } from './time';
import { Machine } from './machine';
import { OrphanStatus } from './orphan';

/** The reaper rule that produced a proposal. */
export const ReaperRule = z.enum(['disk', 'idle', 'max-age', 'unreachable', 'orphan']);
/** The reaper rule that produced a proposal. */
export type ReaperRule = z.infer<typeof ReaperRule>;

/** What executing a proposal does. */
export const ReaperAction = z.enum(['hcloud-delete', 'machine-rm', 'cleanup']);
/** What executing a proposal does. */
export type ReaperAction = z.infer<typeof ReaperAction>;

/**
 * How the reaper acts on a fleet: `off` proposes nothing executable, `notify` (default)
 * proposes and a person confirms, `auto` executes within every guard, `dry-run` records
 * what it would do.
 */
export const ReaperMode = z.enum(['off', 'notify', 'auto', 'dry-run']);
/** How the reaper acts on a fleet. */
export type ReaperMode = z.infer<typeof ReaperMode>;

/** The facts a proposal rests on, shown in the confirm dialog and written to the audit log. */
export const Evidence = z.object({
  /** Highest disk use over watched mounts, and on which mount. */
  diskPct: z.number().nullable(),
  diskMount: z.string().nullable(),
  /** Consecutive samples at or over the threshold. */
  samplesOver: z.number().int().nonnegative(),
  /** How long the machine has been idle so far, in ms; null when busy or unknown. */
  idleSinceMs: z.number().nullable(),
  /**
   * Where the idle time comes from: `watched` (idle in every reading since), `gitlab-job`
   * (the last GitLab job that ran on it finished then), `created` (no job on it since the
   * server was created), `gitlab-window` (no job on it within GitLab's job history),
   * `container-exit` (a job container on it stopped then: `docker ps -a` / `docker inspect`).
   */
  idleSinceSource: z
    .enum(['watched', 'gitlab-job', 'created', 'gitlab-window', 'container-exit'])
    .nullable()
    .optional(),
  /**
   * The job whose end the idle time counts from: the GitLab job (`gitlab-job`), or the job
   * id label of the container that stopped (`container-exit`), when it has one.
   */
  idleSinceJobId: z.number().int().nullable().optional(),
  runningContainers: z.number().int().nonnegative().nullable(),
  runningJobIds: z.array(z.number().int()),
  ageMs: z.number().nullable(),
  observedAt: Timestamp.nullable(),
  /** The fleet's disk threshold when the proposal was made. */
  thresholdPct: z.number().optional(),
  /** Running jobs that match an expendable pattern (they do not block). */
  expendableJobIds: z.array(z.number().int()).optional(),
  /** Since when the machine could not be probed while its provider said running. */
  unreachableSince: Timestamp.nullable().optional(),
  /** The provider's status word at evaluation time. */
  providerStatus: z.string().nullable().optional(),
  /** For the orphan rule: which managers do not list it, since when no job ran, its cost. */
  orphan: OrphanStatus.optional(),
});
/** The facts a proposal rests on. */
export type Evidence = z.infer<typeof Evidence>;

/** A reaper proposal: kill (or clean) a machine, with the rule, evidence and blockers. */
export const Proposal = z.object({
  id: z.string(),
  machineKey: z.string(),
  machineName: z.string(),
  fleet: z.string(),
  rule: ReaperRule,
  action: ReaperAction,
  evidence: Evidence,
  /** Every reason the proposal may not be executed now; empty when it may. */
  blocked: z.array(z.string()),
  state: z.enum(['pending', 'confirmed', 'executing', 'done', 'refused', 'failed', 'dry-run']),
  createdAt: Timestamp,
  /** A one-line human summary, e.g. "Kill runner-… (disk 78 %, idle 12 min)". */
  summary: z.string(),
  /** The fleet's reaper mode when the proposal was evaluated. */
  mode: ReaperMode.optional(),
  /** What the last attempt said (refusal reasons, error), for the confirm dialog. */
  lastResult: z.string().nullable().optional(),
  /**
   * The server the proposal is about: the provider's id, its creation time and the
   * inventory source (Hetzner project) that listed it. The re-check refuses when any of
   * them differs — a server replaced under the same name is another server.
   */
  providerId: z.string().nullable().optional(),
  serverCreatedAt: Timestamp.nullable().optional(),
  providerSource: z.string().nullable().optional(),
  /**
   * What a person must acknowledge to confirm (`unknown-job-state`: the machine cannot be
   * probed, so whether a job runs on it is unknown; GitLab shows none). Such a proposal is
   * never executed automatically.
   */
  acknowledge: z.enum(['unknown-job-state']).nullable().optional(),
});
/** A reaper proposal. */
export type Proposal = z.infer<typeof Proposal>;

/** Request naming one proposal (`rw:reaper:recheck`, `rw:reaper:confirm`). */
export const ProposalRef = z.strictObject({ proposalId: z.string().min(1).max(200) });
/** Request naming one proposal. */
export type ProposalRef = z.infer<typeof ProposalRef>;

/**
 * Request of `rw:reaper:confirm`: the proposal, and for a proposal that asks for it
 * (`acknowledge: 'unknown-job-state'`) the person's explicit acknowledgement that the job
 * state on the machine is unknown.
 */
export const ConfirmRequest = z.strictObject({
  proposalId: z.string().min(1).max(200),
  acknowledgeUnknownJobState: z.boolean().optional(),
});
/** Request of `rw:reaper:confirm`. */
export type ConfirmRequest = z.infer<typeof ConfirmRequest>;

/** Fresh evidence for the confirm dialog: the machine re-read now and its proposal after that. */
export const RecheckResult = z.object({
  machine: Machine,
  /** The machine's proposal after the fresh reading; null when no rule fires any more. */
  proposal: Proposal.nullable(),
  /** True when the fresh proposal is the one asked about and nothing blocks it. */
  executable: z.boolean(),
});
/** Fresh evidence for the confirm dialog. */
export type RecheckResult = z.infer<typeof RecheckResult>;

/** How a confirmed proposal ended. Refusals and failures are results, with every reason. */
export const ExecutionResult = z.object({
  proposalId: z.string(),
  outcome: z.enum(['ok', 'failed', 'refused', 'dry-run', 'interrupted']),
  reasons: z.array(z.string()),
  detail: z.string().nullable(),
});
/** How a confirmed proposal ended. */
export type ExecutionResult = z.infer<typeof ExecutionResult>;

/** Request of `rw:reaper:set-mode`. */
export const SetModeRequest = z.strictObject({
  fleet: z.string().min(1).max(64),
  mode: ReaperMode,
});
/** Request of `rw:reaper:set-mode`. */
export type SetModeRequest = z.infer<typeof SetModeRequest>;
