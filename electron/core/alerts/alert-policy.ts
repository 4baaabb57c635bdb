import type { AlertAck, AlertMute, AlertSeverity, AlertState } from '../../../shared/alerts';

/** What the policy needs of an alert a notification rule raised. */
export interface RaisedAlert {
  /** Stable across evaluations: `disk:<machineKey>`, `source:<id>`, `kill:<proposalId>`… */
  key: string;
  severity: AlertSeverity;
  fleet: string | null;
  machineKey: string | null;
}

/** Why an alert is not shown now. */
export type Quieted =
  { reason: 'acknowledged'; ack: AlertAck } | { reason: 'muted'; mute: AlertMute };

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

/** Drops acknowledgements and mutes whose time is up. */
export function withoutExpired(state: AlertState, now: number): AlertState {
  return {
    acks: state.acks.filter((a) => a.until > now),
    mutes: state.mutes.filter((m) => m.until > now),
  };
}

/**
 * Drops the acknowledgements of alerts that are no longer raised: "I'm on it" covers one
 * occurrence, so a problem that clears and comes back notifies again.
 */
export function withoutCleared(state: AlertState, raisedKeys: ReadonlySet<string>): AlertState {
  const acks = state.acks.filter((a) => raisedKeys.has(a.alertKey));
  return acks.length === state.acks.length ? state : { ...state, acks };
}

function covers(mute: AlertMute, alert: RaisedAlert): boolean {
  if (alert.fleet === null || mute.scope.fleet !== alert.fleet) return false;
  return mute.scope.machineKey === undefined || mute.scope.machineKey === alert.machineKey;
}

/**
 * Whether an alert is quiet now, and why. An acknowledgement holds for the severity it
 * was given at or below: an alert that gets worse speaks again. A mute silences its
 * machine or fleet, except critical alerts unless the mute says so — the rare important
 * one is not lost to a mute meant for routine warnings.
 */
export function quietedBy(alert: RaisedAlert, state: AlertState, now: number): Quieted | null {
  const ack = state.acks.find((a) => a.alertKey === alert.key && a.until > now);
  if (ack && RANK[alert.severity] <= RANK[ack.severity]) return { reason: 'acknowledged', ack };
  const mute = state.mutes.find(
    (m) =>
      m.until > now && covers(m, alert) && (alert.severity !== 'critical' || m.includeCritical),
  );
  return mute ? { reason: 'muted', mute } : null;
}

/** Splits raised alerts into the ones to show and the ones kept quiet (with why). */
export function partitionAlerts<A extends RaisedAlert>(
  alerts: readonly A[],
  state: AlertState,
  now: number,
): { show: A[]; quiet: { alert: A; by: Quieted }[] } {
  const show: A[] = [];
  const quiet: { alert: A; by: Quieted }[] = [];
  for (const alert of alerts) {
    const by = quietedBy(alert, state, now);
    if (by) quiet.push({ alert, by });
    else show.push(alert);
  }
  return { show, quiet };
}
