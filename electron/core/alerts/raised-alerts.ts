import type { RaisedAlertInfo } from '../../../shared/alerts';
import type { FleetSnapshot } from '../../../shared/fleet';
import type { FleetSettings } from '../../../shared/settings';
import { worstDiskPct } from '../tray/tray-state';
import type { AlertState } from '../../../shared/alerts';
import { quietedBy, type RaisedAlert } from './alert-policy';

/** An alert with its text, before the quiet state is applied. */
export type RaisedAlertWithTitle = RaisedAlert & { title: string };

/**
 * The problems of a snapshot, each under a stable key: a disk over its fleet's warn level
 * (warning) or at the kill threshold (critical), a pending proposal (info), a failing
 * source (warning). The same snapshot always gives the same keys, so acknowledgements
 * hold from one cycle to the next.
 */
export function raisedAlerts(
  snapshot: FleetSnapshot,
  fleets: readonly FleetSettings[],
): RaisedAlertWithTitle[] {
  const byId = new Map(fleets.map((f) => [f.id, f]));
  const alerts: RaisedAlertWithTitle[] = [];
  for (const machine of snapshot.machines) {
    const fleet = byId.get(machine.fleet);
    if (!fleet || machine.status.value === 'gone') continue;
    const pct = worstDiskPct(machine, fleet.watchedMounts);
    if (pct === null || pct < fleet.warnPct) continue;
    const critical = pct >= fleet.reaper.diskThresholdPct;
    alerts.push({
      key: `disk:${machine.key}`,
      severity: critical ? 'critical' : 'warning',
      fleet: fleet.id,
      machineKey: machine.key,
      title: `Disk ${pct} % on ${machine.name}${critical ? ' (at the kill threshold)' : ''}`,
    });
  }
  for (const proposal of snapshot.proposals) {
    alerts.push({
      key: `proposal:${proposal.machineKey}`,
      severity: 'info',
      fleet: proposal.fleet,
      machineKey: proposal.machineKey,
      title: proposal.summary,
    });
  }
  for (const source of snapshot.sources) {
    if (source.lastError === null) continue;
    alerts.push({
      key: `source:${source.id}`,
      severity: 'warning',
      fleet: null,
      machineKey: null,
      title: `Source ${source.label} failing: ${source.lastError.message}`,
    });
  }
  return alerts;
}

/** Raised alerts with whether an acknowledgement or mute keeps each quiet now. */
export function describeAlerts(
  alerts: readonly RaisedAlertWithTitle[],
  state: AlertState,
  now: number,
): RaisedAlertInfo[] {
  return alerts.map((alert) => {
    const by = quietedBy(alert, state, now);
    const quiet =
      by === null
        ? null
        : by.reason === 'acknowledged'
          ? { reason: by.reason, by: by.ack.by, until: by.ack.until }
          : { reason: by.reason, by: by.mute.by, until: by.mute.until };
    return { ...alert, quiet };
  });
}
