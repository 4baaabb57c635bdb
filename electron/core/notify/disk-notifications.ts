import type { FleetSnapshot } from '../../../shared/fleet';
import type { FleetSettings, NotificationSettings } from '../../../shared/settings';
import { worstDiskPct } from '../tray/tray-state';

/** Points a machine must fall below its warn level before it can warn again. */
export const REARM_POINTS = 5;
/** More machines than this crossing at once give one summary instead of one each. */
export const SUMMARY_AFTER = 3;

/** Per-machine hysteresis state, carried from one evaluation to the next. */
export interface DiskAlertState {
  /** Consecutive new samples at or over the warn level. */
  over: Record<string, { count: number; lastObservedAt: number }>;
  /** Machines that warned and have not re-armed. */
  raised: string[];
}

/** A notification to show. */
export interface DiskNotification {
  title: string;
  body: string;
  machineKeys: string[];
}

/** The state before any sample. */
export const initialDiskAlertState: DiskAlertState = { over: {}, raised: [] };

/** A machine that crossed its warn level in this evaluation. */
export interface DiskCrossing {
  key: string;
  name: string;
  pct: number;
  samples: number;
}

/**
 * Disk warn crossings with hysteresis: a machine crosses once after N consecutive samples
 * at or over its fleet's warn level, and re-arms only after it falls 5 points below it.
 * Unknown or stale readings neither count nor re-arm. Pure: state in, state out.
 */
export function nextDiskCrossings(
  previous: DiskAlertState,
  snapshot: FleetSnapshot,
  fleets: readonly FleetSettings[],
  /** Points below the warn level a machine must fall before it can warn again. */
  rearmPoints = REARM_POINTS,
): { state: DiskAlertState; crossed: DiskCrossing[] } {
  const fleetById = new Map(fleets.map((f) => [f.id, f]));
  const over: DiskAlertState['over'] = {};
  const raised = new Set(previous.raised);
  const crossed: DiskCrossing[] = [];

  for (const machine of snapshot.machines) {
    const fleet = fleetById.get(machine.fleet);
    // A machine this app deleted is no reason to warn, whatever its last disk reading said.
    if (!fleet || machine.status.value === 'gone' || machine.removed) continue;
    const pct = worstDiskPct(machine, fleet.watchedMounts);
    const prior = previous.over[machine.key];
    const observedAt = machine.disks.observedAt ?? 0;
    if (pct === null) {
      if (prior) over[machine.key] = prior;
      continue;
    }
    if (pct < fleet.warnPct - rearmPoints) raised.delete(machine.key);
    if (pct >= fleet.warnPct) {
      const isNew = !prior || observedAt > prior.lastObservedAt;
      const count = (prior?.count ?? 0) + (isNew ? 1 : 0);
      over[machine.key] = { count, lastObservedAt: observedAt };
      if (count >= fleet.reaper.samples && !raised.has(machine.key)) {
        raised.add(machine.key);
        crossed.push({ key: machine.key, name: machine.name, pct, samples: count });
      }
    }
  }

  return { state: { over, raised: [...raised].sort() }, crossed };
}

/**
 * Disk notifications alone (crossings of `nextDiskCrossings`), one summary when more than
 * SUMMARY_AFTER cross at once. The desktop app uses `nextNotifications`, which adds the
 * other rules; this stays for callers that only want disks.
 */
export function nextDiskNotifications(
  previous: DiskAlertState,
  snapshot: FleetSnapshot,
  fleets: readonly FleetSettings[],
  /** The settings' `notifications` (rearm points, summary threshold, off switch). */
  options: Partial<
    Pick<NotificationSettings, 'diskWarnings' | 'rearmPoints' | 'summaryAfter'>
  > = {},
): { state: DiskAlertState; notifications: DiskNotification[] } {
  const summaryAfter = options.summaryAfter ?? SUMMARY_AFTER;
  const { state, crossed } = nextDiskCrossings(
    previous,
    snapshot,
    fleets,
    options.rearmPoints ?? REARM_POINTS,
  );
  const notifications: DiskNotification[] =
    crossed.length > summaryAfter
      ? [
          {
            title: `${crossed.length} machines over their disk warn level`,
            body: crossed
              .slice(0, 5)
              .map((c) => `${c.name} ${c.pct} %`)
              .join(', ')
              .concat(crossed.length > 5 ? ', …' : ''),
            machineKeys: crossed.map((c) => c.key),
          },
        ]
      : crossed.map((c) => ({
          title: `Disk ${c.pct} % on ${c.name}`,
          body: `Over the warn level for ${c.samples} samples in a row.`,
          machineKeys: [c.key],
        }));
  // Switched off: the state still follows the disks, so switching on does not replay old crossings.
  return { state, notifications: options.diskWarnings === false ? [] : notifications };
}
