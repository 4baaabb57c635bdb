import { z } from 'zod';
import { Timestamp } from './time';

/**
 * Pick-up wait (GitLab `queued_duration`: created → picked up by a runner) of one runner or
 * tag over a time window. Jobs still waiting are not in a runner's job list, so a stuck
 * fleet shows as waits that grow, and as runners with no job started lately.
 */
export const QueueWait = z.object({
  /** `runner` rows are keyed `<instance>/<runner id>`; `tag` rows by the tag name. */
  scope: z.enum(['runner', 'tag']),
  key: z.string(),
  /** Runner description or the tag itself. */
  label: z.string(),
  /** Jobs started within the window. */
  jobs: z.number().int().nonnegative(),
  /** Seconds; null when no job started in the window. */
  p50Sec: z.number().nonnegative().nullable(),
  p95Sec: z.number().nonnegative().nullable(),
  maxSec: z.number().nonnegative().nullable(),
  /** p50 of the window before this one, for the trend; null when it had no job. */
  previousP50Sec: z.number().nonnegative().nullable(),
  /** Why the wait looks wrong ("p95 wait 14 min, up from 1 min"): the fleet is too small or stuck. */
  warning: z.string().nullable(),
});
/** Pick-up wait of one runner or tag. */
export type QueueWait = z.infer<typeof QueueWait>;

/** Queue health over the last window, per runner and per tag. */
export const QueueHealth = z.object({
  generatedAt: Timestamp,
  windowHours: z.number().positive(),
  rows: z.array(QueueWait),
});
/** Queue health per runner and per tag. */
export type QueueHealth = z.infer<typeof QueueHealth>;

/** Request of the queue-health channel. */
export const QueueHealthRequest = z.strictObject({
  windowHours: z.number().positive().max(24).default(1),
});
/** Request of the queue-health channel. */
export type QueueHealthRequest = z.infer<typeof QueueHealthRequest>;
