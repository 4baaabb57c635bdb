import type { TimelineJob, TimelineMarkKind } from '../../shared/timeline';
import { formatSpan } from '../format';

/** A job's duration so far: finished − started, or now − started while it runs. */
export function jobDuration(job: TimelineJob, now: number): number {
  return Math.max(0, (job.finishedAt ?? now) - job.startedAt);
}

/** "build #123" — the job's name and id, the way GitLab lists jobs. */
export function jobTitle(job: TimelineJob): string {
  return `${job.name ?? 'job'} #${job.jobId}`;
}

/** Duration in words, "running for …" while it runs. */
export function durationText(job: TimelineJob, now: number): string {
  const span = formatSpan(jobDuration(job, now));
  return job.finishedAt === null ? `${span} so far` : span;
}

/** Words for the status groups and marks (legend, tooltip, table). */
export const STATUS_LABEL: Record<TimelineJob['status'], string> = {
  success: 'passed',
  failed: 'failed',
  running: 'running',
  canceled: 'canceled',
  other: 'skipped, manual or other',
};

export const MARK_LABEL: Record<TimelineMarkKind, string> = {
  proposed: 'proposed for removal',
  killed: 'killed',
  cleaned: 'cleaned up',
  failed: 'action failed',
  refused: 'refused by a guard',
  'dry-run': 'dry run',
};

/** "10:15" for ticks under a day apart; with the day when the axis spans midnight. */
export function tickLabel(t: number, step: number): string {
  const date = new Date(t);
  const hh = String(date.getHours()).padStart(2, '0');
  const mm = String(date.getMinutes()).padStart(2, '0');
  if (step >= 3_600_000 && date.getHours() === 0 && date.getMinutes() === 0) {
    return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  }
  return `${hh}:${mm}`;
}

/**
 * One formatter for every call: `toLocaleTimeString` with options builds a new
 * Intl.DateTimeFormat each time, and the canvas label and the row table call this on
 * every frame of a pan or zoom. The fields are toLocaleTimeString's defaults.
 */
const CLOCK = new Intl.DateTimeFormat(undefined, {
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hour12: false,
});

/** A short local time for tooltips and the table: "14:03:12". */
export function clockTime(t: number): string {
  return CLOCK.format(t);
}
