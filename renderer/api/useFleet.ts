import { useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import {
  createContext,
  createElement,
  useContext,
  useEffect,
  useState,
  type ReactNode,
} from 'react';
import type { AppInfo } from '../../shared/api';
import type { FleetPolicy, FleetSnapshot } from '../../shared/fleet';
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

interface StreamState {
  stream: StreamStatus;
  dropped: TransportError | null;
}

const StreamContext = createContext<StreamState | null>(null);

/**
 * Subscribes to fleet events and keeps the cached snapshot current: a delta is applied with
 * setQueryData; a `snapshot` event replaces it; a version gap refetches. No polling.
 */
function useFleetSubscription(enabled = true): StreamState {
  const transport = useTransport();
  const client = useQueryClient();
  const [stream, setStream] = useState<StreamStatus>({ state: 'connecting' });
  const [dropped, setDropped] = useState<TransportError | null>(null);
  useEffect(() => {
    if (!enabled) return;
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
  }, [transport, client, enabled]);
  return { stream, dropped };
}

/**
 * One event subscription for the whole app (header summary, banner and the view share
 * it), so the serve host holds one stream per window, not one per component.
 */
export function FleetStreamProvider(props: { children: ReactNode }) {
  const state = useFleetSubscription();
  return createElement(StreamContext.Provider, { value: state }, props.children);
}

function useSnapshotQuery(): UseQueryResult<FleetSnapshot, TransportError> {
  const transport = useTransport();
  return useQuery<FleetSnapshot, TransportError>({
    queryKey: queryKeys.fleetSnapshot(),
    queryFn: () => transport.invoke('rw:fleet:snapshot', {}),
    // applyFleetEvent already keeps what a delta left alone by reference; TanStack's deep
    // comparison of every upserted machine with its old copy would add ~25 ms per delta
    // for 1,000 machines (bench/renderer-timeline.ts) and share nothing the views use.
    structuralSharing: false,
  });
}

/**
 * Reads the fleet snapshot once, then keeps it current from push events. Inside a
 * FleetStreamProvider it uses the app's one subscription; alone (a view rendered by
 * itself) it subscribes on its own.
 */
export function useFleet(): FleetState {
  const shared = useContext(StreamContext);
  const query = useSnapshotQuery();
  const own = useFleetSubscription(shared === null);
  const state = shared ?? own;
  return { query, stream: state.stream, dropped: state.dropped };
}

/**
 * True while the host answers: the event stream is live (or still connecting for the
 * first time). Commands are disabled otherwise, since their result could not be shown.
 */
export function useConnected(): boolean {
  const shared = useContext(StreamContext);
  return shared === null || shared.stream.state !== 'down';
}

/** A fleet's policy from the cached snapshot (no fetch of its own); null when unknown. */
export function useFleetPolicy(fleet: string): FleetPolicy | null {
  const client = useQueryClient();
  const snapshot = client.getQueryData<FleetSnapshot>(queryKeys.fleetSnapshot());
  return snapshot?.fleets?.find((policy) => policy.id === fleet) ?? null;
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
