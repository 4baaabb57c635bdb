import { useQuery } from '@tanstack/react-query';
import type { QueueHealth } from '../../shared/queue';
import { useRefetchOnFleetChange } from './follow-fleet';
import { queryKeys } from './queryKeys';
import type { TransportError } from './transport';
import { useTransport } from './TransportProvider';
import { useFleet } from './useFleet';

const QUEUE_REFRESH_MIN_MS = 10_000;

/** Pick-up waits per runner and tag over the last hours (`rw:queue:health`). */
export function useQueueHealth(windowHours = 1) {
  const transport = useTransport();
  const { query } = useFleet();
  useRefetchOnFleetChange(queryKeys.queue(windowHours), query.data?.version, QUEUE_REFRESH_MIN_MS);
  return useQuery<QueueHealth, TransportError>({
    queryKey: queryKeys.queue(windowHours),
    queryFn: () => transport.invoke('rw:queue:health', { windowHours }),
    placeholderData: (previous) => previous,
  });
}
