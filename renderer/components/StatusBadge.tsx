import type { MachineRow } from '../fleet-rows';
import type { MachineRemoval, MachineState } from '../../shared/machine';
import { useAppInfo } from '../api/useFleet';
import { formatTime } from '../format';
import { removalText, removedBy } from '../removal-text';

/** The machine's life-cycle state as a coloured badge; null reads "unknown", never "ok". */
export function StatusBadge(props: {
  state: MachineState | null;
  providerStatus: string | null;
  stale: boolean;
  /** Deleted by this app: that is the state, whatever a lagging source still reports. */
  removed?: MachineRemoval | undefined;
}) {
  if (props.removed)
    return <RemovedBadge removal={props.removed} providerStatus={props.providerStatus} />;
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

/**
 * A machine this app deleted: "deleted", and who and when on the line below (the sentence
 * in full in the tooltip), instead of whatever state a lagging source still reports.
 */
function RemovedBadge(props: { removal: MachineRemoval; providerStatus: string | null }) {
  const viewer = useAppInfo().data?.user;
  const text = removalText(props.removal, viewer);
  return (
    <>
      <span
        className="badge badge-removed"
        title={`${text} (${props.removal.action}, ${formatTime(props.removal.at)}); a source still lists it (${props.providerStatus ?? 'no status'}); not probed any more`}
        aria-label={text}
        data-testid="status"
      >
        deleted
      </span>
      <span className="sub" data-testid="removed-by">
        {removedBy(props.removal, viewer)}
      </span>
    </>
  );
}

/** What a machine is doing, from its jobs: busy, idle, unknown, or unreachable when the probe failed. */
export function activityOf(row: MachineRow): 'busy' | 'idle' | 'unknown' | 'unreachable' {
  if (row.state === 'gone') return 'unknown';
  if (row.jobs !== null && row.jobs.length > 0) return 'busy';
  // The probe could not reach the machine: its jobs are unknown, and it says why.
  if (row.machine.jobs.error && row.machine.jobs.value === null) return 'unreachable';
  if (row.jobs === null || row.machine.jobs.stale) return 'unknown';
  return 'idle';
}

/** busy / idle / unknown / unreachable; unknown is never shown as idle. */
export function ActivityBadge(props: { row: MachineRow }) {
  const activity = activityOf(props.row);
  if (props.row.state === 'gone') return null;
  return (
    <span
      className={`badge badge-a-${activity}`}
      data-testid="activity"
      title={
        activity === 'unreachable'
          ? (props.row.machine.jobs.error ?? undefined)
          : activity === 'unknown'
            ? (props.row.jobsUnknownWhy ?? undefined)
            : undefined
      }
    >
      {activity}
    </span>
  );
}
