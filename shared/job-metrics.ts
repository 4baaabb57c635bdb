import { z } from 'zod';
import { Timestamp } from './time';

/** Which job to show metrics for: its GitLab URL, or its id (with the instance when several know it). */
export const JobMetricsRequest = z.strictObject({
  /** A job URL (`https://gitlab.example.com/group/project/-/jobs/123`) or a job id (`123`). */
  job: z
    .string()
    .trim()
    .min(1, 'give a job URL or id')
    .max(2_048)
    .refine(
      (value) =>
        /^\d+$/.test(value) || /^https?:\/\/[^/]+\/.+\/-\/jobs\/\d+\/?(?:[?#].*)?$/.test(value),
      'a job id (digits) or a job URL like https://gitlab.example.com/group/project/-/jobs/123',
    ),
  /** Settings id of the GitLab instance, when a bare id could belong to several. */
  instance: z.string().min(1).max(64).optional(),
});
/** Which job to show metrics for. */
export type JobMetricsRequest = z.infer<typeof JobMetricsRequest>;

/** The figures shown for a job's machine. */
export const JobMetricId = z.enum([
  'cpu',
  'memory',
  'load',
  'disk',
  'diskRead',
  'diskWrite',
  'netRx',
  'netTx',
]);
/** One of the figures shown for a job's machine. */
export type JobMetricId = z.infer<typeof JobMetricId>;

/** Units of a series, for axes and CSV headers. */
export const JobMetricUnit = z.enum(['percent', 'bytes', 'bytes/s', 'load']);
/** Unit of a series. */
export type JobMetricUnit = z.infer<typeof JobMetricUnit>;

/** One time series, aligned with `JobMetrics.timestamps` (null where Prometheus had no sample). */
export const JobMetricSeries = z.object({
  metric: JobMetricId,
  /** What the series is, e.g. `CPU busy` or the mount point `/var/lib/docker` for disk. */
  label: z.string(),
  unit: JobMetricUnit,
  values: z.array(z.number().nullable()),
});
/** One time series. */
export type JobMetricSeries = z.infer<typeof JobMetricSeries>;

/** A section of the job trace (`section_start:`/`section_end:`), e.g. `step_script`. */
export const JobPhase = z.object({
  name: z.string(),
  startedAt: Timestamp,
  /** Null when the trace has no end marker (yet, or it was cut off). */
  finishedAt: Timestamp.nullable(),
});
/** A section of the job trace. */
export type JobPhase = z.infer<typeof JobPhase>;

/** The job the metrics belong to. */
export const JobMetricsJob = z.object({
  /** Settings id of the GitLab instance. */
  instance: z.string(),
  jobId: z.number().int().positive(),
  name: z.string().nullable(),
  projectPath: z.string().nullable(),
  jobUrl: z.string().nullable(),
  status: z.string(),
  startedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  /** The machine the trace names (`Running on … via <machine>`). */
  machine: z.string(),
});
/** The job the metrics belong to. */
export type JobMetricsJob = z.infer<typeof JobMetricsJob>;

/**
 * The machine's CPU, memory, load, disk and network during a job, from Prometheus
 * `query_range` over the job's window (± margin), or from the local store once saved.
 */
export const JobMetrics = z
  .object({
    job: JobMetricsJob,
    /** Fleet of the machine and id of the Prometheus settings entry the series came from. */
    fleet: z.string(),
    prometheus: z.string(),
    window: z.object({ startedAt: Timestamp, endedAt: Timestamp, stepSec: z.number().positive() }),
    /** Sample times, shared by every series. */
    timestamps: z.array(Timestamp),
    series: z.array(JobMetricSeries),
    phases: z.array(JobPhase),
    /** `prometheus`: read just now; `store`: saved earlier (Prometheus may have dropped it). */
    origin: z.enum(['prometheus', 'store']),
    /** When the metrics were saved locally; null while the job runs (not saved yet). */
    savedAt: Timestamp.nullable(),
    /** Limits of this answer, said plainly (a figure Prometheus had no series for, …). */
    warnings: z.array(z.string()),
  })
  .refine(
    (m) => m.series.every((s) => s.values.length === m.timestamps.length),
    'every series has one value per timestamp',
  );
/** The machine's metrics during a job. */
export type JobMetrics = z.infer<typeof JobMetrics>;
