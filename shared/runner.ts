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
