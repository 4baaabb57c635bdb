import type { ReactNode } from 'react';
import type { FleetSnapshot } from '../../shared/fleet';
import { OPEN_WITH_TOKEN_MESSAGE } from '../api/transport';
import type { FleetState } from '../api/useFleet';
import { StateMessage } from './StateMessage';

/**
 * Loading, sign-in and error states of the views that read the fleet snapshot (proposals,
 * runners), said the same way as the Fleet view says them; renders `children` once there
 * is a snapshot.
 */
export function SnapshotGate(props: {
  fleet: FleetState;
  what: string;
  children: (snapshot: FleetSnapshot) => ReactNode;
}) {
  const { query, stream } = props.fleet;
  if (query.data !== undefined) return <>{props.children(query.data)}</>;
  const streamError = stream.state === 'down' ? stream.error : null;
  const error = query.error ?? (streamError?.code === 'unauthenticated' ? streamError : null);
  if (error?.code === 'unauthenticated') {
    return (
      <StateMessage kind="auth" title="Sign-in needed">
        <p>{OPEN_WITH_TOKEN_MESSAGE}</p>
      </StateMessage>
    );
  }
  if (error) {
    return (
      <StateMessage kind="error" title="Cannot reach Runner Watch">
        <p>Cannot reach Runner Watch: {error.message}</p>
        <p>
          Check that <code>runner-watch serve</code> (or the desktop app) is still running, then{' '}
          <button type="button" onClick={() => void query.refetch()}>
            retry
          </button>
          .
        </p>
      </StateMessage>
    );
  }
  return (
    <StateMessage kind="loading" title={`Loading ${props.what}…`}>
      <p>Asking Runner Watch for the current fleet.</p>
      {query.failureReason ? (
        <p className="muted" data-testid="still-trying">
          Still trying: {query.failureReason.message}
        </p>
      ) : null}
    </StateMessage>
  );
}
