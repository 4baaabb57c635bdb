import type { ApiHandlers } from '../../../shared/api';
import type { RaisedAlertInfo } from '../../../shared/alerts';

/** How long the demo's own acknowledgement lasts: long enough to look at, short enough to see end. */
export const DEMO_ACK_MINUTES = 20;

/**
 * The demo acknowledges one alert at start, so it shows an acknowledged alert that stays
 * quiet until it expires: after one collection cycle, the first disk warning (else any
 * raised alert) is acknowledged for DEMO_ACK_MINUTES, as a person would in the alerts list.
 * Null when nothing is raised (a seed whose disks are all fine).
 */
export async function acknowledgeOneAlert(
  api: Pick<ApiHandlers, 'rw:engine:refresh' | 'rw:alerts:list' | 'rw:alerts:ack'>,
  minutes = DEMO_ACK_MINUTES,
): Promise<{ alert: RaisedAlertInfo; until: number } | null> {
  await api['rw:engine:refresh']({});
  const { raised } = await api['rw:alerts:list']({});
  const loud = raised.filter((a) => a.quiet === null);
  const pick =
    loud.find((a) => a.key.startsWith('disk:') && a.severity === 'warning') ??
    loud.find((a) => a.key.startsWith('disk:')) ??
    loud[0];
  if (!pick) return null;
  const view = await api['rw:alerts:ack']({
    alertKey: pick.key,
    severity: pick.severity,
    minutes,
    note: 'acknowledged by the demo at start',
  });
  const ack = view.state.acks.find((a) => a.alertKey === pick.key);
  return ack ? { alert: pick, until: ack.until } : null;
}
