import type { MachineRemoval, MachineState } from '../../shared/machine';
import { formatTime } from '../format';
import { removalText } from '../removal-text';

/** The machine's life-cycle state as a coloured badge; null reads "unknown", never "ok". */
export function StatusBadge(props: {
  state: MachineState | null;
  providerStatus: string | null;
  stale: boolean;
  /** Deleted by this app: that is the state, whatever a lagging source still reports. */
  removed?: MachineRemoval | undefined;
}) {
  if (props.removed) {
    return (
      <span
        className="badge badge-removed"
        title={`${props.removed.action} succeeded ${formatTime(props.removed.at)}; still listed by a source (${props.providerStatus ?? 'no status'}), not probed any more`}
        data-testid="status"
      >
        {removalText(props.removed)}
      </span>
    );
  }
  const state = props.state ?? 'unknown';
  const title = [
    props.providerStatus ? `provider says: ${props.providerStatus}` : null,
    props.stale ? 'stale: the provider has not confirmed this recently' : null,
  ]
    .filter(Boolean)
    .join('; ');
  return (
    <span
      className={`badge badge-${state}${props.stale ? ' is-stale' : ''}`}
      title={title || undefined}
      data-testid="status"
    >
      {state}
    </span>
  );
}
