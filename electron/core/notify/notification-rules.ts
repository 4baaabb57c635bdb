import type { AuditRecord } from '../../../shared/audit';
import type { FleetSnapshot } from '../../../shared/fleet';
import type { FleetSettings, NotificationSettings, QuietHours } from '../../../shared/settings';
import type { OpenTarget } from '../../../shared/ui';
import type { AlertState } from '../../../shared/alerts';
import { quietedBy, type RaisedAlert } from '../alerts/alert-policy';
import { proposalMenuLabel, worstDiskPct } from '../tray/tray-state';
import {
  initialDiskAlertState,
  nextDiskCrossings,
  type DiskAlertState,
} from './disk-notifications';
import {
  notifyLevels,
  rateLimitLiftsAt,
  rulesOf,
  severityPasses,
  takeRateSlot,
  type SentLog,
} from './fleet-rules';

/** What clicking a notification opens in the window (pushed to it on `rw:ui:open`). */
export type NotificationTarget = OpenTarget;

/** Why a notification was raised (tests and the summary's wording read it). */
export type NotificationReason =
  | 'disk-warn'
  | 'proposal'
  | 'kill-ok'
  | 'kill-failed'
  | 'source-failing'
  | 'back-to-normal'
  | 'rate-limited'
  | 'summary';

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
  /**
   * Problems that can clear (a disk over its level, a failing source) raised and not yet
   * cleared, by alert key: what back-to-normal notices and "quiet ended" re-notices use.
   */
  open: Record<string, OpenAlert>;
  /** Notifications shown per fleet within the last hour (per-fleet rate limits). */
  sent: SentLog;
  /** When each fleet was last told that its rate limit holds notifications back. */
  limitNoticeAt: Record<string, number>;
}

/** A raised problem the rules follow until it clears. */
export interface OpenAlert {
  alert: RaisedAlert;
  /** Machine name or source label, for the back-to-normal text. */
  name: string;
  /** A person was told (shown, or held for the quiet-hours summary). */
  announced: boolean;
  /**
   * An acknowledgement or mute covered it since it was last told: the person chose quiet,
   * so no back-to-normal follows unless it is told again after the quiet ends.
   */
  quieted: boolean;
  /** An acknowledgement or mute covered it at the last evaluation. */
  quietNow: boolean;
  /** Its last notice, shown again when the quiet ends while the problem lasts. */
  notice: DesktopNotification;
}

/** The state before any evaluation. */
export const initialNotifyState: NotifyState = {
  disk: initialDiskAlertState,
  proposalsSeen: [],
  failingSince: {},
  sourcesRaised: [],
  held: [],
  open: {},
  sent: {},
  limitNoticeAt: {},
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
 * - a machine over its fleet's warn level for N samples (once; re-armed 5 points below),
 *   and again once when it reaches the kill threshold;
 * - a proposal a person may confirm appears (once per proposal id);
 * - a kill (or cleanup) ends, from its audit `result` record: succeeded or failed;
 * - a source fails for longer than `sourceFailingMinutes` (once per outage);
 * - back to normal: a notified disk re-armed or a notified source answers again (once,
 *   never for an acknowledged or muted alert; the re-arm gap is the hysteresis);
 * - an acknowledgement or mute ends while its problem lasts: the held notice is shown.
 * Per-fleet rules (minimum severity, disk level, hourly limit) keep a noisy fleet from
 * drowning a rare critical alert. More than `summaryAfter` at once become one summary;
 * during quiet hours nothing is shown and what was held becomes one summary after them.
 */
export function nextNotifications(
  previous: NotifyState,
  input: NotifyInput,
): { state: NotifyState; notifications: DesktopNotification[] } {
  const { snapshot, fleets, options, now } = input;
  const rules = options.fleets;
  const fired: DesktopNotification[] = [];
  const machineByKey = new Map(snapshot.machines.map((m) => [m.key, m]));
  const fleetById = new Map(fleets.map((f) => [f.id, f]));
  const levels = notifyLevels(fleets, rules);
  const levelOf = new Map(levels.map((f) => [f.id, f.warnPct]));

  const disk = nextDiskCrossings(previous.disk, snapshot, levels, options.rearmPoints);
  for (const c of disk.crossed) {
    const fleet = machineByKey.get(c.key)?.fleet ?? null;
    const critical =
      fleet !== null && c.pct >= (fleetById.get(fleet)?.reaper.diskThresholdPct ?? 60);
    fired.push(
      diskNotice(
        c.key,
        c.name,
        c.pct,
        fleet,
        critical,
        `Over the warn level for ${c.samples} samples in a row.`,
      ),
    );
  }
  const pctOf = (machineKey: string): number | null => {
    const machine = machineByKey.get(machineKey);
    const fleet = machine ? fleetById.get(machine.fleet) : undefined;
    return machine && fleet ? worstDiskPct(machine, fleet.watchedMounts) : null;
  };
  const stillOver = (key: string): boolean => {
    if (!key.startsWith('disk:')) return true;
    const machineKey = key.slice('disk:'.length);
    const pct = pctOf(machineKey);
    const level = levelOf.get(machineByKey.get(machineKey)?.fleet ?? '');
    return pct !== null && level !== undefined && pct >= level;
  };
  const escalated = new Set<string>();
  // A raised disk that climbs on to the kill threshold speaks once more, as critical.
  for (const key of disk.state.raised) {
    const open = previous.open[`disk:${key}`];
    const machine = machineByKey.get(key);
    const fleet = machine ? fleetById.get(machine.fleet) : undefined;
    if (!open || open.alert.severity === 'critical' || !machine || !fleet) continue;
    const pct = worstDiskPct(machine, fleet.watchedMounts);
    if (pct === null || pct < fleet.reaper.diskThresholdPct) continue;
    escalated.add(`disk:${key}`);
    fired.push(
      diskNotice(
        key,
        machine.name,
        pct,
        fleet.id,
        true,
        'It was over the warn level and is now at the kill threshold.',
      ),
    );
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

  // Problems that can clear, as they stand now: which are still raised, which cleared.
  const stillRaised = new Set<string>();
  const vanished = new Set<string>();
  for (const key of disk.state.raised) {
    const machine = machineByKey.get(key);
    // Gone or deleted by this app: not "back to normal", just no longer watched.
    if (!machine || machine.status.value === 'gone' || machine.removed) vanished.add(`disk:${key}`);
    else stillRaised.add(`disk:${key}`);
  }
  for (const id of raisedSources) stillRaised.add(`source:${id}`);
  const sourceIds = new Set(snapshot.sources.map((s) => s.id));

  const alertState = input.alerts;
  const isQuiet = (alert: RaisedAlert) =>
    alertState !== undefined && quietedBy(alert, alertState, now) !== null;
  const open: Record<string, OpenAlert> = {};
  for (const [key, entry] of Object.entries(previous.open)) {
    if (stillRaised.has(key)) {
      const quietNow = isQuiet(entry.alert);
      // The acknowledgement or mute ended and the problem is still there: say so once. A disk
      // that dipped under its level meanwhile waits until it is over it again.
      if (entry.quietNow && !quietNow && !escalated.has(key) && stillOver(key)) {
        fired.push({
          ...entry.notice,
          body: `${entry.notice.body} Still so now that it is no longer acknowledged or muted.`,
        });
        open[key] = { ...entry, quietNow: false };
      } else if (quietNow) {
        open[key] = { ...entry, quieted: true, quietNow: true };
      } else open[key] = entry;
      continue;
    }
    if (vanished.has(key) || (key.startsWith('source:') && !sourceIds.has(key.slice(7)))) continue;
    const wanted = rulesOf(rules, entry.alert.fleet)?.backToNormal ?? options.backToNormal;
    if (!wanted || !entry.announced || entry.quieted) continue;
    fired.push(backToNormalNotice(entry, machineByKey, pctOf, levelOf));
  }

  const base: Omit<NotifyState, 'held' | 'open' | 'sent' | 'limitNoticeAt'> = {
    disk: disk.state,
    proposalsSeen,
    failingSince,
    sourcesRaised: [...raisedSources].sort(),
  };
  /** Follows a clearable problem's notice: told, kept quiet by a person, or filtered out. */
  const remember = (n: DesktopNotification, announced: boolean, quiet: boolean) => {
    const key = n.alert?.key;
    if (!key || !n.alert || !stillRaised.has(key)) return;
    if (n.reason !== 'disk-warn' && n.reason !== 'source-failing') return;
    const before = open[key];
    open[key] = {
      alert: n.alert,
      notice: n,
      name: n.machineKeys[0]
        ? (machineByKey.get(n.machineKeys[0])?.name ?? n.title)
        : n.title.replace(/ failing for .*$/, ''),
      announced: announced || (before?.announced ?? false),
      quieted: quiet || (!announced && (before?.quieted ?? false)),
      quietNow: quiet,
    };
  };

  const quietHours = inQuietHours(input.localMinuteOfDay, options.quietHours);
  let sent = previous.sent;
  const limitNoticeAt = { ...previous.limitNoticeAt };
  const audible: DesktopNotification[] = [];
  for (const n of fired) {
    const switchedOff =
      !options.enabled ||
      (n.reason === 'disk-warn' && !options.diskWarnings) ||
      (n.reason === 'proposal' && !options.proposals);
    if (switchedOff) {
      remember(n, false, false);
      continue;
    }
    // Acknowledged or muted alerts stay quiet (a worse one speaks again: see quietedBy).
    if (n.alert && isQuiet(n.alert)) {
      remember(n, false, true);
      continue;
    }
    const rule = rulesOf(rules, n.alert?.fleet ?? null);
    // The fleet's minimum severity; a back-to-normal follows the notice it ends, which passed.
    if (n.alert && n.reason !== 'back-to-normal' && !severityPasses(rule, n.alert.severity)) {
      remember(n, false, false);
      continue;
    }
    const slot = takeRateSlot(sent, rule, n.alert?.severity ?? 'info', now);
    sent = slot.log;
    if (!slot.ok && rule) {
      remember(n, false, false);
      const lastNotice = limitNoticeAt[rule.fleet];
      if (lastNotice === undefined || now - lastNotice >= 3_600_000) {
        limitNoticeAt[rule.fleet] = now;
        audible.push(
          rateLimitNotice(rule.fleet, rule.maxPerHour ?? 0, rateLimitLiftsAt(sent, rule.fleet)),
        );
      }
      continue;
    }
    remember(n, true, false);
    audible.push(n);
  }

  const next = { ...base, open, sent, limitNoticeAt };
  if (!options.enabled) return { state: { ...next, held: [] }, notifications: [] };
  if (quietHours) {
    return { state: { ...next, held: [...previous.held, ...audible] }, notifications: [] };
  }
  const heldSummary =
    previous.held.length > 0 ? [summarize(previous.held, 'during quiet hours')] : [];
  const shown = audible.length > options.summaryAfter ? [summarize(audible, 'at once')] : audible;
  return { state: { ...next, held: [] }, notifications: [...heldSummary, ...shown] };
}

function diskNotice(
  machineKey: string,
  name: string,
  pct: number,
  fleet: string | null,
  critical: boolean,
  body: string,
): DesktopNotification {
  return {
    reason: 'disk-warn',
    alert: {
      key: `disk:${machineKey}`,
      severity: critical ? 'critical' : 'warning',
      fleet,
      machineKey,
    },
    title: `Disk ${pct} % on ${name}${critical ? ' (at the kill threshold)' : ''}`,
    body,
    target: { kind: 'machine', machineKey },
    machineKeys: [machineKey],
  };
}

/** "Back to normal" for a notified problem that cleared: the disk now, or the source again. */
function backToNormalNotice(
  entry: OpenAlert,
  machines: ReadonlyMap<string, FleetSnapshot['machines'][number]>,
  pctOf: (machineKey: string) => number | null,
  levelOf: ReadonlyMap<string, number>,
): DesktopNotification {
  const { alert } = entry;
  if (alert.key.startsWith('source:')) {
    const sourceId = alert.key.slice('source:'.length);
    return {
      reason: 'back-to-normal',
      alert,
      title: `Back to normal: ${entry.name}`,
      body: 'The source answers again; its values are fresh.',
      target: { kind: 'source', sourceId },
      machineKeys: [],
    };
  }
  const machineKey = alert.machineKey ?? alert.key.slice('disk:'.length);
  const machine = machines.get(machineKey);
  const level = alert.fleet === null ? undefined : levelOf.get(alert.fleet);
  const pct = machine?.disks.value ? Math.max(...machine.disks.value.map((d) => d.usedPct)) : null;
  return {
    reason: 'back-to-normal',
    alert,
    title: `Back to normal: ${machine?.name ?? entry.name}`,
    body:
      pct === null
        ? 'Its disk is back under the warn level.'
        : `Disk ${pct} %, back under the ${level ?? '?'} % warn level.`,
    target: { kind: 'machine', machineKey },
    machineKeys: [machineKey],
  };
}

/** Told once an hour per fleet: its limit holds routine notices back (the window lists them). */
function rateLimitNotice(fleet: string, max: number, liftsAt: number | null): DesktopNotification {
  const until =
    liftsAt === null ? '' : ` until ${new Date(liftsAt).toISOString().slice(11, 16)} UTC`;
  return {
    reason: 'rate-limited',
    alert: null,
    title: `Fleet ${fleet}: ${max} notifications this hour`,
    body: `More warnings of ${fleet} stay in the window's alert list${until}; critical ones still come through.`,
    target: { kind: 'fleet' },
    machineKeys: [],
  };
}

const REASON_WORDS: Record<Exclude<NotificationReason, 'summary'>, string> = {
  'disk-warn': 'over the disk warn level',
  proposal: 'proposed for a kill',
  'kill-ok': 'killed',
  'kill-failed': 'failed kill',
  'source-failing': 'source failing',
  'back-to-normal': 'back to normal',
  'rate-limited': 'held back by a fleet limit',
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
