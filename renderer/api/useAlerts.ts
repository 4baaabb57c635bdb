import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  AckAlertRequest,
  AlertsView,
  EndAlertQuietRequest,
  MuteAlertsRequest,
} from '../../shared/alerts';
import { useRefetchOnFleetChange } from './follow-fleet';
import { queryKeys } from './queryKeys';
import type { TransportError } from './transport';
import { useTransport } from './TransportProvider';
import { useFleet } from './useFleet';

const ALERTS_REFRESH_MIN_MS = 3_000;

/** Keeps the alerts following the fleet; called once, by the panel strip that shows them. */
export function useAlertsFollowFleet(): void {
  const { query } = useFleet();
  useRefetchOnFleetChange(queryKeys.alerts(), query.data?.version, ALERTS_REFRESH_MIN_MS);
}

/** Raised alerts with their acknowledgements and mutes (`rw:alerts:list`). */
export function useAlerts() {
  const transport = useTransport();
  return useQuery<AlertsView, TransportError>({
    queryKey: queryKeys.alerts(),
    queryFn: () => transport.invoke('rw:alerts:list', {}),
    placeholderData: (previous) => previous,
    // Acknowledgements expire on the host's clock, and another host may have changed
    // them: a view opened again shows the current state.
    refetchOnMount: 'always',
  });
}

/** Every change answers with the new alerts view, which replaces the cached one. */
function useAlertChange<R>(run: (request: R) => Promise<AlertsView>) {
  const client = useQueryClient();
  return useMutation<AlertsView, TransportError, R>({
    mutationFn: run,
    onSuccess: (view) => client.setQueryData(queryKeys.alerts(), view),
  });
}

/** "I'm on it" for an alert, until `minutes` from now (`rw:alerts:ack`). */
export function useAckAlert() {
  const transport = useTransport();
  return useAlertChange((request: AckAlertRequest) => transport.invoke('rw:alerts:ack', request));
}

/** Mutes a machine or a fleet for a while (`rw:alerts:mute`). */
export function useMuteAlerts() {
  const transport = useTransport();
  return useAlertChange((request: MuteAlertsRequest) =>
    transport.invoke('rw:alerts:mute', request),
  );
}

/** Ends an acknowledgement or a mute early (`rw:alerts:end`). */
export function useEndAlertQuiet() {
  const transport = useTransport();
  return useAlertChange((request: EndAlertQuietRequest) =>
    transport.invoke('rw:alerts:end', request),
  );
}
