import { useQuery } from '@tanstack/react-query';
import type { JobMetrics } from '../../shared/job-metrics';
import { queryKeys } from './queryKeys';
import type { TransportError } from './transport';
import { useTransport } from './TransportProvider';

/** How often the metrics of a running job are read again (a saved job never changes). */
export const RUNNING_JOB_REFRESH_MS = 30_000;

/**
 * A job's machine metrics (`rw:jobs:metrics`). Saved metrics are final, so they are never
 * refetched; a running job's window grows, so it is read again every 30 s while shown.
 * Not retried: "not found" and "Prometheus down" are answers to show, not to hammer.
 */
export function useJobMetrics(job: string, instance: string | null) {
  const transport = useTransport();
  return useQuery<JobMetrics, TransportError>({
    queryKey: queryKeys.jobMetrics(job, instance),
    queryFn: () => transport.invoke('rw:jobs:metrics', { job, ...(instance ? { instance } : {}) }),
    retry: false,
    staleTime: (query) => (query.state.data?.savedAt != null ? Infinity : RUNNING_JOB_REFRESH_MS),
    refetchInterval: (query) =>
      query.state.data && query.state.data.savedAt === null ? RUNNING_JOB_REFRESH_MS : false,
  });
}
