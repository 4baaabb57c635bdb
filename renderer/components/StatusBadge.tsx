import type { MachineState } from '../../shared/machine';

/** The machine's life-cycle state as a coloured badge; null reads "unknown", never "ok". */
export function StatusBadge(props: {
  state: MachineState | null;
  providerStatus: string | null;
  stale: boolean;
}) {
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
