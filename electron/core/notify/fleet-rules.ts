import type { AlertSeverity } from '../../../shared/alerts';
import type { FleetNotificationRules, FleetSettings } from '../../../shared/settings';

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };
const HOUR_MS = 3_600_000;

/** The rules of one fleet with every default filled in (no entry: the global behaviour). */
export function rulesOf(
  rules: readonly FleetNotificationRules[],
  fleet: string | null,
): FleetNotificationRules | null {
  if (fleet === null) return null;
  return rules.find((r) => r.fleet === fleet) ?? null;
}

/**
 * The fleets as the disk notification rule sees them: a fleet's own `diskWarnPct` replaces
 * its warn level for notifications only (the window's badges keep the fleet's level).
 */
export function notifyLevels(
  fleets: readonly FleetSettings[],
  rules: readonly FleetNotificationRules[],
): FleetSettings[] {
  return fleets.map((fleet) => {
    const pct = rulesOf(rules, fleet.id)?.diskWarnPct ?? null;
    return pct === null ? fleet : { ...fleet, warnPct: pct };
  });
}

/** True when an alert of this severity may reach the desktop under the fleet's rules. */
export function severityPasses(rule: FleetNotificationRules | null, severity: AlertSeverity) {
  return rule === null || RANK[severity] >= RANK[rule.minSeverity];
}

/** Times of the notifications shown per fleet within the last hour (the rate limit's memory). */
export type SentLog = Record<string, number[]>;

/**
 * The per-fleet rate limit: whether one more non-critical notification of `fleet` may be
 * shown at `now`, and the log with it counted when it may. Critical ones always pass and
 * count, so a burst of them still holds the routine ones back afterwards.
 */
export function takeRateSlot(
  log: SentLog,
  rule: FleetNotificationRules | null,
  severity: AlertSeverity,
  now: number,
): { ok: boolean; log: SentLog } {
  if (rule === null || rule.maxPerHour === null) return { ok: true, log };
  const recent = (log[rule.fleet] ?? []).filter((t) => now - t < HOUR_MS && t <= now);
  if (severity !== 'critical' && recent.length >= rule.maxPerHour) {
    return { ok: false, log: { ...log, [rule.fleet]: recent } };
  }
  return { ok: true, log: { ...log, [rule.fleet]: [...recent, now] } };
}

/** When the oldest counted notification of the hour leaves the window (the limit lifts). */
export function rateLimitLiftsAt(log: SentLog, fleet: string): number | null {
  const first = (log[fleet] ?? [])[0];
  return first === undefined ? null : first + HOUR_MS;
}
