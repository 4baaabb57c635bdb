import { useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { AppInfo } from '../../shared/api';
import type { FleetSnapshot } from '../../shared/fleet';
import { applyFleetEvent } from './fleet-cache';
import { queryKeys } from './queryKeys';
import type { StreamStatus, TransportError } from './transport';
import { useTransport } from './TransportProvider';

/** The fleet as the views read it: the cached snapshot and the state of the push stream. */
export interface FleetState {
  query: UseQueryResult<FleetSnapshot, TransportError>;
  stream: StreamStatus;
  /** The last event dropped for failing its schema, if any (shown, never applied). */
  dropped: TransportError | null;
}

/**
 * Reads the fleet snapshot once, then keeps it current from push events: a delta is applied
 * to the cached snapshot with setQueryData; a `snapshot` event replaces it; a version gap
 * refetches. No polling (see createQueryClient).
 */
export function useFleet(): FleetState {
  const transport = useTransport();
  const client = useQueryClient();
  const [stream, setStream] = useState<StreamStatus>({ state: 'connecting' });
  const [dropped, setDropped] = useState<TransportError | null>(null);
  const query = useQuery<FleetSnapshot, TransportError>({
    queryKey: queryKeys.fleetSnapshot(),
    queryFn: () => transport.invoke('rw:fleet:snapshot', {}),
  });

  useEffect(() => {
    const key = queryKeys.fleetSnapshot();
    return transport.subscribe({
      onEvent(event) {
        const outcome = applyFleetEvent(client.getQueryData<FleetSnapshot>(key), event);
        if (outcome.kind === 'replaced' || outcome.kind === 'applied') {
          client.setQueryData(key, outcome.snapshot);
        } else if (outcome.kind === 'gap' && client.isFetching({ queryKey: key }) === 0) {
          // The fetch in flight (if any) brings a newer snapshot; otherwise ask for one.
          void client.invalidateQueries({ queryKey: key });
        }
      },
      onStatus: setStream,
      onDropped: setDropped,
    });
  }, [transport, client]);

  return { query, stream, dropped };
}

/** Version, host kind, demo flag and host warnings. */
export function useAppInfo(): UseQueryResult<AppInfo, TransportError> {
  const transport = useTransport();
  return useQuery<AppInfo, TransportError>({
    queryKey: queryKeys.appInfo(),
    queryFn: () => transport.invoke('rw:app:info', {}),
    // Warnings change while the host runs (it takes over the state directory from another
    // process, or its state file becomes readable again); no push event carries them.
    refetchInterval: 15_000,
  });
}
