import { z } from 'zod';
import { Timestamp } from './time';

/** GitLab runner status, as GitLab reports it. */
export const RunnerStatus = z.enum(['online', 'offline', 'stale', 'never_contacted', 'unknown']);
/** GitLab runner status. */
export type RunnerStatus = z.infer<typeof RunnerStatus>;

/** One runner manager (a process with a system_id that serves the runner). */
export const RunnerManager = z.object({
  id: z.number().int(),
  systemId: z.string(),
  version: z.string().nullable(),
  platform: z.string().nullable(),
  architecture: z.string().nullable(),
  ipAddress: z.string().nullable(),
  contactedAt: Timestamp.nullable(),
  status: RunnerStatus,
});
/** One runner manager. */
export type RunnerManager = z.infer<typeof RunnerManager>;

/** A GitLab runner on one instance. */
export const Runner = z.object({
  /** Stable key: `<instance id>/<runner id>`. */
  key: z.string(),
  instance: z.string(),
  id: z.number().int(),
  description: z.string().nullable(),
  status: RunnerStatus,
  paused: z.boolean().nullable(),
  runnerType: z.enum(['instance_type', 'group_type', 'project_type']).nullable(),
  version: z.string().nullable(),
  tags: z.array(z.string()),
  contactedAt: Timestamp.nullable(),
  managers: z.array(RunnerManager),
  /** Why this runner counts as stale, or null when it does not. */
  staleReason: z.string().nullable(),
  runningJobs: z.number().int().nonnegative().nullable(),
});
/** A GitLab runner. */
export type Runner = z.infer<typeof Runner>;

/** What pruning does to a stale runner: delete it, or pause it so it takes no jobs. */
export const PruneAction = z.enum(['delete', 'pause']);
/** What pruning does to a stale runner. */
export type PruneAction = z.infer<typeof PruneAction>;

/** A runner selected for pruning, with why it counts as stale. */
export const PruneCandidate = z.object({
  key: z.string(),
  instance: z.string(),
  id: z.number().int(),
  description: z.string().nullable(),
  status: RunnerStatus,
  contactedAt: Timestamp.nullable(),
  /** Why it is stale, e.g. "no contact for 12 days (limit 7 days)". */
  reason: z.string(),
});
/** A runner selected for pruning. */
export type PruneCandidate = z.infer<typeof PruneCandidate>;

/** Request of `rw:runners:prune-preview`: stale runners, optionally of one instance. */
export const PrunePreviewRequest = z.strictObject({
  instance: z.string().min(1).optional(),
});
/** Request of `rw:runners:prune-preview`. */
export type PrunePreviewRequest = z.infer<typeof PrunePreviewRequest>;

/** The dry-run list: what pruning would touch, and what stops it on some instances. */
export const PrunePreview = z.object({
  candidates: z.array(PruneCandidate),
  /** Per instance that cannot prune, why (e.g. "token lacks manage_runner"). */
  blocked: z.array(z.object({ instance: z.string(), reason: z.string() })),
});
/** The dry-run list. */
export type PrunePreview = z.infer<typeof PrunePreview>;

/**
 * Bounds of one `rw:runners:prune` request: keys per request (larger sets go in several
 * requests, as `runners prune` does) and the pause between batches, so one request can
 * neither bury the audit log nor hold the prune lock for long.
 */
export const PRUNE_LIMITS = { maxKeys: 1_000, maxPauseMs: 60_000 } as const;

/**
 * A runner key `<instance>/<id>`: an instance id as the settings allow it and a GitLab
 * runner id that is a positive safe integer (a 400-digit id is refused here, before
 * anything runs, not when the answer fails its schema).
 */
export const RunnerKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}\/[1-9]\d{0,15}$/i, 'runner keys look like <instance>/<id>')
  .refine(
    (key) => Number.isSafeInteger(Number(key.slice(key.indexOf('/') + 1))),
    'runner id is larger than any GitLab id',
  );

/** Request of `rw:runners:prune`: the keys chosen from a preview, and how to proceed. */
export const PruneRequest = z.strictObject({
  /** Runner keys (`<instance>/<id>`) from the preview; each is re-checked before it is touched. */
  keys: z.array(RunnerKey).min(1).max(PRUNE_LIMITS.maxKeys),
  action: PruneAction.default('delete'),
  /** Runners handled per batch. */
  batchSize: z.number().int().min(1).max(100).default(10),
  /** Pause between batches, in milliseconds (the rate limit may ask for longer). */
  pauseMs: z.number().int().min(0).max(PRUNE_LIMITS.maxPauseMs).default(2_000),
  /** List what would be done, touch nothing. */
  dryRun: z.boolean().default(false),
});
/** Request of `rw:runners:prune`. */
export type PruneRequest = z.infer<typeof PruneRequest>;
/** Request of `rw:runners:prune` as callers write it (before defaults). */
export type PruneRequestInput = z.input<typeof PruneRequest>;

/** What happened to one runner. */
export const PruneOutcome = z.object({
  key: z.string(),
  instance: z.string(),
  id: z.number().int(),
  description: z.string().nullable(),
  result: z.enum(['deleted', 'paused', 'would-delete', 'would-pause', 'skipped', 'failed']),
  /** Why: the stale reason, why it was skipped, or the error (free of secrets). */
  reason: z.string(),
});
/** What happened to one runner. */
export type PruneOutcome = z.infer<typeof PruneOutcome>;

/** The result of a prune run: one outcome per requested key, in order. */
export const PruneReport = z.object({
  action: PruneAction,
  dryRun: z.boolean(),
  results: z.array(PruneOutcome),
  batches: z.number().int().nonnegative(),
});
/** The result of a prune run. */
export type PruneReport = z.infer<typeof PruneReport>;

/**
 * A job of a runner's recent history for the timeline: running or finished, with the
 * machine its trace names (`via <machine>`) once linked. Times in ms since the epoch.
 */
export const RunnerJob = z.object({
  /** `<instance id>/<job id>`. */
  key: z.string(),
  instance: z.string(),
  jobId: z.number().int().positive(),
  runnerId: z.number().int(),
  status: z.string(),
  name: z.string().nullable(),
  projectId: z.number().int().nullable(),
  projectPath: z.string().nullable(),
  pipelineId: z.number().int().nullable(),
  ref: z.string().nullable(),
  user: z.string().nullable(),
  jobUrl: z.string().nullable(),
  createdAt: Timestamp.nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  /** Machine from the trace head; null until linked (or when the trace names none). */
  machine: z.string().nullable(),
  /** Seconds from creation until a runner picked the job up (GitLab `queued_duration`). */
  queuedSec: z.number().nonnegative().nullable().optional(),
  /** The job's own tags (GitLab `tag_list`), which chose the runners that may run it. */
  tags: z.array(z.string()).optional(),
});
/** A job of a runner's recent history. */
export type RunnerJob = z.infer<typeof RunnerJob>;
