import { z } from 'zod';
import { Timestamp } from './time';
import { MachineState } from './machine';

/** Longest window one timeline request may cover (the GitLab source keeps at most 7 days). */
export const TIMELINE_MAX_SPAN_MS = 7 * 24 * 3_600_000;
/** Shortest window: below a minute nothing on the Gantt is readable. */
export const TIMELINE_MIN_SPAN_MS = 60_000;

/** Request of `rw:timeline:get`: every job, disk sample and mark overlapping [from, to]. */
export const TimelineRequest = z
  .strictObject({ from: Timestamp, to: Timestamp })
  .refine((w) => w.to > w.from, { message: 'the window must end after it starts', path: ['to'] })
  .refine((w) => w.to - w.from >= TIMELINE_MIN_SPAN_MS, {
    message: 'the window must be at least one minute long',
    path: ['to'],
  })
  .refine((w) => w.to - w.from <= TIMELINE_MAX_SPAN_MS, {
    message: 'the window may be at most 7 days long',
    path: ['to'],
  });
/** Request of `rw:timeline:get`. */
export type TimelineRequest = z.infer<typeof TimelineRequest>;

/**
 * Status of a job as the timeline draws it. GitLab's own word is kept in `gitlabStatus`;
 * this groups the words that look alike (skipped, manual, created… are `other`).
 */
export const TimelineJobStatus = z.enum(['success', 'failed', 'running', 'canceled', 'other']);
/** Status group of a job on the timeline. */
export type TimelineJobStatus = z.infer<typeof TimelineJobStatus>;

/** One job on the timeline: one bar from `startedAt` to `finishedAt` (or now, while running). */
export const TimelineJob = z.object({
  /** `<instance id>/<job id>`; what `rw:timeline:open-job` takes. */
  key: z.string().min(1),
  instance: z.string().min(1),
  jobId: z.number().int().positive(),
  name: z.string().nullable(),
  status: TimelineJobStatus,
  /** GitLab's status word, e.g. `success`, `failed`, `skipped`. */
  gitlabStatus: z.string(),
  projectPath: z.string().nullable(),
  pipelineId: z.number().int().nullable(),
  ref: z.string().nullable(),
  user: z.string().nullable(),
  startedAt: Timestamp,
  /** Null while the job runs. */
  finishedAt: Timestamp.nullable(),
  /** The job's page in GitLab as GitLab reported it; opened only through the host. */
  webUrl: z.string().nullable(),
  /** How the job was placed on its row: the trace's `via <machine>`, a container label, or not at all. */
  placedBy: z.enum(['trace', 'container', 'none']),
});
/** One job on the timeline. */
export type TimelineJob = z.infer<typeof TimelineJob>;

/** Highest use over the fleet's watched mounts at one reading; `pct: null` = could not be read. */
export const TimelineDiskSample = z.object({
  at: Timestamp,
  pct: z.number().min(0).max(100).nullable(),
});
/** One disk reading of a row. */
export type TimelineDiskSample = z.infer<typeof TimelineDiskSample>;

/** What a mark on a row says happened (from the audit log and the current proposals). */
export const TimelineMarkKind = z.enum([
  /** The reaper proposes this machine now (pending, waiting for a person or a guard). */
  'proposed',
  /** A kill (delete server / docker-machine rm) finished. */
  'killed',
  /** A cleanup on a dedicated host finished. */
  'cleaned',
  /** An action was tried and failed. */
  'failed',
  /** A guard or the re-check refused an action. */
  'refused',
  /** Dry-run mode: what would have been done. */
  'dry-run',
]);
/** What a mark on a row says happened. */
export type TimelineMarkKind = z.infer<typeof TimelineMarkKind>;

/** A kill, proposal or refusal on a row, at the time it happened. */
export const TimelineMark = z.object({
  at: Timestamp,
  kind: TimelineMarkKind,
  proposalId: z.string().nullable(),
  /** One line for the tooltip: the rule, the result, the first reason. */
  text: z.string(),
});
/** A kill, proposal or refusal on a row. */
export type TimelineMark = z.infer<typeof TimelineMark>;

/**
 * One row of the Gantt: a machine the fleet knows, a machine only jobs or the audit log
 * still name (`gone`), or the `unplaced` row of jobs no machine could be found for.
 */
export const TimelineRow = z.object({
  /** Machine key (`<fleet>/<name>`), `gone:<name>`, or `unplaced`. */
  key: z.string().min(1),
  kind: z.enum(['machine', 'gone', 'unplaced']),
  name: z.string().min(1),
  fleet: z.string().nullable(),
  /** The machine's state now; null for gone and unplaced rows. */
  state: MachineState.nullable(),
  /** Sorted by `startedAt`. */
  jobs: z.array(TimelineJob),
  /** Sorted by `at`. */
  disk: z.array(TimelineDiskSample),
  /** Sorted by `at`. */
  marks: z.array(TimelineMark),
});
/** One row of the Gantt. */
export type TimelineRow = z.infer<typeof TimelineRow>;

/** Whether job metrics (Prometheus) can be shown for a fleet's jobs, and if not, why. */
export const JobMetricsAvailability = z.object({
  available: z.boolean(),
  /** Why not, in words a person can act on; null when available. */
  reason: z.string().nullable(),
});
/** Whether job metrics can be shown for a fleet's jobs. */
export type JobMetricsAvailability = z.infer<typeof JobMetricsAvailability>;

/** What a row's disk strip and job panel need to know about its fleet. */
export const TimelineFleet = z.object({
  id: z.string().min(1),
  name: z.string().nullable(),
  /** Disk use at which the tray warns. */
  warnPct: z.number(),
  /** The reaper's disk threshold. */
  thresholdPct: z.number(),
  jobMetrics: JobMetricsAvailability,
});
/** What the timeline needs to know about a fleet. */
export type TimelineFleet = z.infer<typeof TimelineFleet>;

/** Response of `rw:timeline:get`. */
export const Timeline = z.object({
  from: Timestamp,
  to: Timestamp,
  generatedAt: Timestamp,
  /** Machines by fleet and name, then gone machines, then `unplaced` (only when it has jobs). */
  rows: z.array(TimelineRow),
  fleets: z.array(TimelineFleet),
  /**
   * Earliest time for which job history is kept (GitLab instances keep `timelineHours`);
   * before it the Gantt is empty because nothing was collected, not because nothing ran.
   * Null when no GitLab instance is configured.
   */
  jobsSince: Timestamp.nullable(),
  /** Earliest disk sample kept; null when none was read yet. */
  diskSince: Timestamp.nullable(),
  /** Each disk sample covers [at, at + diskBucketMs): the highest use read in it. */
  diskBucketMs: z.number().int().positive(),
  /** What makes this timeline incomplete (no GitLab instance, failing sources). */
  warnings: z.array(z.string()),
});
/** Response of `rw:timeline:get`. */
export type Timeline = z.infer<typeof Timeline>;

/** Request of `rw:timeline:open-job`: the job's key from the timeline. */
export const OpenJobRequest = z.strictObject({
  jobKey: z
    .string()
    .max(200)
    .regex(/^[^/\s]+\/\d+$/, 'job keys look like <instance>/<job id>'),
});
/** Request of `rw:timeline:open-job`. */
export type OpenJobRequest = z.infer<typeof OpenJobRequest>;

/**
 * Response of `rw:timeline:open-job`: the job's URL after the host checked it belongs to
 * the configured GitLab instance (http or https). `opened` is true when the host opened
 * it itself (the desktop app's browser); otherwise the renderer opens exactly this URL.
 */
export const OpenJobResult = z.object({
  url: z.url({ protocol: /^https?$/ }),
  opened: z.boolean(),
});
/** Response of `rw:timeline:open-job`. */
export type OpenJobResult = z.infer<typeof OpenJobResult>;
