import { z } from 'zod';
import { Timestamp } from './time';

/**
 * A GitLab Runner's own counters (its `listen_address` metrics endpoint), per fleet:
 * running jobs and autoscaled machines by state, as the runner itself sees them.
 */
export const FleetCounters = z.object({
  /** Source id, e.g. `runner-metrics:manager-1`. */
  source: z.string(),
  fleet: z.string(),
  /** For the UI: the endpoint's host (never a credential). */
  label: z.string(),
  observedAt: Timestamp,
  /** Sum of `gitlab_runner_jobs`; null when the endpoint does not export it. */
  jobs: z.number().nonnegative().nullable(),
  /** `gitlab_runner_concurrent`; null when absent. */
  concurrent: z.number().nonnegative().nullable(),
  /** `gitlab_runner_autoscaling_machine_states` summed by `state`; null when absent. */
  machines: z.record(z.string(), z.number().nonnegative()).nullable(),
});
/** A GitLab Runner's own counters. */
export type FleetCounters = z.infer<typeof FleetCounters>;
