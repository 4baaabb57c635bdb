import type { AuditRecord } from '../../../shared/audit';
import type { FleetSnapshot } from '../../../shared/fleet';
import type { FleetSettings, NotificationSettings, QuietHours } from '../../../shared/settings';
import type { OpenTarget } from '../../../shared/ui';
import type { AlertState } from '../../../shared/alerts';
import { quietedBy, type RaisedAlert } from '../alerts/alert-policy';
import { proposalMenuLabel } from '../tray/tray-state';
import {
  initialDiskAlertState,
  nextDiskCrossings,
  type DiskAlertState,
} from './disk-notifications';

/** What clicking a notification opens in the window (pushed to it on `rw:ui:open`). */
export type NotificationTarget = OpenTarget;

/** Why a notification was raised (tests and the summary's wording read it). */
export type NotificationReason =
  'disk-warn' | 'proposal' | 'kill-ok' | 'kill-failed' | 'source-failing' | 'summary';

/** A notification to show; the adapter only draws it. */
export interface DesktopNotification {
  reason: NotificationReason;
  /**
   * The alert it speaks for (same keys as `raisedAlerts`), so an acknowledgement or mute
   * made in any host keeps it quiet here too. Summaries have none.
   */
  alert: RaisedAlert | null;
  title: string;
  body: string;
  target: NotificationTarget;
  /** Machines the notification is about (empty for sources). */
  machineKeys: string[];
}

/** Carried from one evaluation to the next. */
export interface NotifyState {
  disk: DiskAlertState;
  /** Proposal ids already announced (each is announced once while it exists). */
  proposalsSeen: string[];
  /** Since when each source has been failing, by source id. */
  failingSince: Record<string, number>;
  /** Sources announced as failing in their current outage. */
  sourcesRaised: string[];
  /** Notifications held back by quiet hours, summed up when they end. */
  held: DesktopNotification[];
}

/** The state before any evaluation. */
export const initialNotifyState: NotifyState = {
  disk: initialDiskAlertState,
  proposalsSeen: [],
  failingSince: {},
  sourcesRaised: [],
  held: [],
};

/** One evaluation's inputs: the snapshot now, audit records since the last one, the clock. */
export interface NotifyInput {
  snapshot: FleetSnapshot;
  fleets: readonly FleetSettings[];
  /** Audit records appended since the previous evaluation (kill results come from here). */
  records: readonly AuditRecord[];
  now: number;
  /** Minutes since local midnight at `now` (the adapter reads the local clock). */
  localMinuteOfDay: number;
  options: NotificationSettings;
  /** Acknowledgements and mutes (the state dir's alerts.json); none means nothing is quiet. */
  alerts?: AlertState;
}

/** True when `minute` (since local midnight) falls in the quiet hours; start > end spans midnight. */
export function inQuietHours(minute: number, quiet: QuietHours | null): boolean {
  if (!quiet) return false;
  const start = toMinutes(quiet.start);
  const end = toMinutes(quiet.end);
  if (start === end) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/**
 * Every desktop notification rule, pure: state in, state and notifications out.
 * - a machine over its fleet's warn level for N samples (once; re-armed 5 points below);
 * - a proposal a person may confirm appears (once per proposal id);
 * - a kill (or cleanup) ends, from its audit `result` record: succeeded or failed;
 * - a source fails for longer than `sourceFailingMinutes` (once per outage).
 * More than `summaryAfter` at once become one summary; during quiet hours nothing is
 * shown and what was held becomes one summary at the first evaluation after them.
 */
export function nextNotifications(
  previous: NotifyState,
  input: NotifyInput,
): { state: NotifyState; notifications: DesktopNotification[] } {
  const { snapshot, fleets, options, now } = input;
  const fired: DesktopNotification[] = [];

  const disk = nextDiskCrossings(previous.disk, snapshot, fleets);
  const fleetOf = new Map(snapshot.machines.map((m) => [m.key, m.fleet]));
  const thresholdOf = new Map(fleets.map((f) => [f.id, f.reaper.diskThresholdPct]));
  for (const c of disk.crossed) {
    const fleet = fleetOf.get(c.key) ?? null;
    const critical = fleet !== null && c.pct >= (thresholdOf.get(fleet) ?? 60);
    fired.push({
      reason: 'disk-warn',
      alert: {
        key: `disk:${c.key}`,
        severity: critical ? 'critical' : 'warning',
        fleet,
        machineKey: c.key,
      },
      title: `Disk ${c.pct} % on ${c.name}`,
      body: `Over the warn level for ${c.samples} samples in a row.`,
      target: { kind: 'machine', machineKey: c.key },
      machineKeys: [c.key],
    });
  }

  const seen = new Set(previous.proposalsSeen);
  const present = new Set<string>();
  for (const proposal of snapshot.proposals) {
    present.add(proposal.id);
    if (seen.has(proposal.id)) continue;
    if (proposal.state !== 'pending' || proposal.blocked.length > 0) continue;
    seen.add(proposal.id);
    fired.push({
      reason: 'proposal',
      alert: {
        key: `proposal:${proposal.machineKey}`,
        severity: 'info',
        fleet: proposal.fleet,
        machineKey: proposal.machineKey,
      },
      title: proposal.action === 'cleanup' ? 'Cleanup proposed' : 'Kill proposed',
      body: `${proposalMenuLabel(proposal).replace(/…$/, '')}: click to review and confirm.`,
      target: { kind: 'proposal', proposalId: proposal.id },
      machineKeys: [proposal.machineKey],
    });
  }
  // A proposal that went away may come back later as news; forget ids no longer present.
  const proposalsSeen = [...seen].filter((id) => present.has(id)).sort();

  for (const record of input.records) {
    if (record.type !== 'result' || (record.outcome !== 'ok' && record.outcome !== 'failed'))
      continue;
    const name = record.machineName ?? record.machineKey ?? 'a machine';
    const verb = record.action === 'cleanup' ? 'Cleanup' : 'Kill';
    const ok = record.outcome === 'ok';
    fired.push({
      reason: ok ? 'kill-ok' : 'kill-failed',
      alert: {
        key: `kill:${record.proposalId ?? record.id}`,
        severity: ok ? 'info' : 'critical',
        fleet: record.fleet,
        machineKey: record.machineKey,
      },
      title: ok ? `${verb} of ${name} done` : `${verb} of ${name} failed`,
      body: record.detail ?? (ok ? 'The action completed.' : 'The action did not complete.'),
      target: record.machineKey
        ? { kind: 'machine', machineKey: record.machineKey }
        : { kind: 'fleet' },
      machineKeys: record.machineKey ? [record.machineKey] : [],
    });
  }

  const failingSince: Record<string, number> = {};
  const raisedSources = new Set(previous.sourcesRaised);
  const boundMs = options.sourceFailingMinutes * 60_000;
  for (const source of snapshot.sources) {
    if (source.state !== 'failing') {
      raisedSources.delete(source.id);
      continue;
    }
    // The outage began at the last success, or when we first saw it failing.
    const since = previous.failingSince[source.id] ?? source.lastOkAt ?? now;
    failingSince[source.id] = since;
    if (now - since >= boundMs && !raisedSources.has(source.id)) {
      raisedSources.add(source.id);
      fired.push({
        reason: 'source-failing',
        alert: { key: `source:${source.id}`, severity: 'warning', fleet: null, machineKey: null },
        title: `${source.label} failing for ${Math.floor((now - since) / 60_000)} min`,
        body: `${source.lastError?.message ?? 'no answer'}. Its values are shown as stale; nothing is killed on stale data.`,
        target: { kind: 'source', sourceId: source.id },
        machineKeys: [],
      });
    }
  }
  for (const id of [...raisedSources]) {
    if (!snapshot.sources.some((s) => s.id === id)) raisedSources.delete(id);
  }

  const base: Omit<NotifyState, 'held'> = {
    disk: disk.state,
    proposalsSeen,
    failingSince,
    sourcesRaised: [...raisedSources].sort(),
  };
  if (!options.enabled) return { state: { ...base, held: [] }, notifications: [] };
  // Acknowledged or muted alerts stay quiet (a worse one speaks again: see quietedBy).
  const alertState = input.alerts;
  const audible = alertState
    ? fired.filter((n) => n.alert === null || quietedBy(n.alert, alertState, now) === null)
    : fired;
  if (inQuietHours(input.localMinuteOfDay, options.quietHours)) {
    return { state: { ...base, held: [...previous.held, ...audible] }, notifications: [] };
  }
  const heldSummary =
    previous.held.length > 0 ? [summarize(previous.held, 'during quiet hours')] : [];
  const shown = audible.length > options.summaryAfter ? [summarize(audible, 'at once')] : audible;
  return { state: { ...base, held: [] }, notifications: [...heldSummary, ...shown] };
}

const REASON_WORDS: Record<Exclude<NotificationReason, 'summary'>, string> = {
  'disk-warn': 'over the disk warn level',
  proposal: 'proposed for a kill',
  'kill-ok': 'killed',
  'kill-failed': 'failed kill',
  'source-failing': 'source failing',
};

/** One notification for many: counts by reason, the first few names, opens the fleet. */
function summarize(items: readonly DesktopNotification[], when: string): DesktopNotification {
  const byReason = new Map<string, number>();
  for (const item of items) {
    const word = item.reason === 'summary' ? 'other' : REASON_WORDS[item.reason];
    byReason.set(word, (byReason.get(word) ?? 0) + 1);
  }
  const parts = [...byReason].map(([word, n]) => `${n} ${word}`);
  const titles = items.slice(0, 3).map((i) => i.title);
  const machineKeys = [...new Set(items.flatMap((i) => i.machineKeys))];
  return {
    reason: 'summary',
    alert: null,
    title: `${items.length} alerts ${when}`,
    body: `${parts.join(', ')}. ${titles.join('; ')}${items.length > 3 ? '; …' : ''}`,
    target:
      machineKeys.length === 1 && machineKeys[0] !== undefined
        ? { kind: 'machine', machineKey: machineKeys[0] }
        : { kind: 'fleet' },
    machineKeys,
  };
}
