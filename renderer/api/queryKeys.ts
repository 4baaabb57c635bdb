/**
 * Every TanStack Query key of the renderer, from one factory, so an event handler that
 * updates the fleet and a view that reads it cannot disagree about the key.
 */
export const queryKeys = {
  all: ['rw'] as const,
  appInfo: () => [...queryKeys.all, 'app', 'info'] as const,
  fleet: () => [...queryKeys.all, 'fleet'] as const,
  fleetSnapshot: () => [...queryKeys.fleet(), 'snapshot'] as const,
  /** Fresh evidence of one proposal, read when the confirm dialog opens. */
  recheck: (proposalId: string) => [...queryKeys.all, 'reaper', 'recheck', proposalId] as const,
  /** Fleet modes the user switched in this session (the server's answer to set-mode). */
  reaperModes: () => [...queryKeys.all, 'reaper', 'modes'] as const,
  /** A job's machine metrics, by the job reference the panel was opened with. */
  jobMetrics: (job: string, instance: string | null) =>
    [...queryKeys.all, 'jobs', 'metrics', job, instance] as const,
  audit: () => [...queryKeys.all, 'audit'] as const,
  /** The settings document of the Settings view. */
  settings: () => [...queryKeys.all, 'settings'] as const,
  auditList: (limit: number) => [...queryKeys.audit(), 'list', limit] as const,
  /** Fleet and job cost over the last `sinceHours`. */
  cost: (sinceHours: number) => [...queryKeys.all, 'cost', sinceHours] as const,
  /** Pick-up waits over the last `windowHours`. */
  queue: (windowHours: number) => [...queryKeys.all, 'queue', windowHours] as const,
  /** Raised alerts with their acknowledgements and mutes. */
  alerts: () => [...queryKeys.all, 'alerts'] as const,
  /** The fleet timeline of the last `spanMs` (the window is fixed when the query runs). */
  timeline: (spanMs: number) => [...queryKeys.all, 'timeline', spanMs] as const,
};
