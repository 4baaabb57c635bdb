import type { FleetSnapshot } from '../../../shared/fleet';
import type { Machine } from '../../../shared/machine';
import type { FleetSettings } from '../../../shared/settings';

/** The tray icon's state, worst first. */
export type TrayIcon = 'disconnected' | 'critical' | 'warning' | 'ok';

/** One entry of the tray menu. `proposalId` entries open the confirm dialog. */
export interface TrayMenuItem {
  label: string;
  proposalId?: string;
  machineKey?: string;
}

/** Everything the tray adapter draws; computed here so Electron only draws it. */
export interface TrayState {
  icon: TrayIcon;
  tooltip: string;
  machines: TrayMenuItem[];
  proposals: TrayMenuItem[];
}

/** Highest disk use over a machine's watched mounts, or null when unknown or stale. */
export function worstDiskPct(machine: Machine, watchedMounts: readonly string[]): number | null {
  if (machine.disks.stale || !machine.disks.value) return null;
  const watched = machine.disks.value.filter((d) => watchedMounts.includes(d.mount));
  if (watched.length === 0) return null;
  return Math.max(...watched.map((d) => d.usedPct));
}

const MAX_MENU_MACHINES = 5;

/**
 * The tray state of a snapshot: disconnected when a source fails, critical when a machine
 * is at or over its fleet's kill threshold (or a kill failed), warning over the warn level.
 */
export function computeTrayState(
  snapshot: FleetSnapshot,
  fleets: readonly FleetSettings[],
): TrayState {
  const fleetById = new Map(fleets.map((f) => [f.id, f]));
  // Deleted machines (by this app, still listed somewhere) are not part of the fleet's state.
  const live = snapshot.machines.filter((m) => m.status.value !== 'gone' && !m.removed);
  const rated = live
    .map((machine) => {
      const fleet = fleetById.get(machine.fleet);
      const mounts = fleet?.watchedMounts ?? ['/', '/var/lib/docker'];
      return { machine, pct: worstDiskPct(machine, mounts), fleet };
    })
    .sort((a, b) => (b.pct ?? -1) - (a.pct ?? -1));

  const failing = snapshot.sources.filter((s) => s.state === 'failing');
  const critical = rated.filter(
    (r) => r.pct !== null && r.pct >= (r.fleet?.reaper.diskThresholdPct ?? 60),
  );
  const failedKills = snapshot.proposals.filter((p) => p.state === 'failed');
  const warning = rated.filter((r) => r.pct !== null && r.pct >= (r.fleet?.warnPct ?? 50));
  const icon: TrayIcon =
    failing.length > 0
      ? 'disconnected'
      : critical.length > 0 || failedKills.length > 0
        ? 'critical'
        : warning.length > 0
          ? 'warning'
          : 'ok';

  const lines = [`Runner Watch — ${live.length} machine${live.length === 1 ? '' : 's'}`];
  if (failing.length > 0)
    lines.push(
      `${failing.length} source${failing.length === 1 ? '' : 's'} failing: ${failing.map((s) => s.label).join(', ')}`,
    );
  if (critical.length > 0) lines.push(`${critical.length} over kill threshold`);
  else if (warning.length > 0) lines.push(`${warning.length} over warn level`);
  const pending = snapshot.proposals.filter((p) => p.state === 'pending' && p.blocked.length === 0);
  if (pending.length > 0)
    lines.push(
      `${pending.length} proposal${pending.length === 1 ? '' : 's'} waiting for confirmation`,
    );

  return {
    icon,
    tooltip: lines.join('\n'),
    machines: rated.slice(0, MAX_MENU_MACHINES).map(({ machine, pct }) => ({
      label: `${machine.name} — disk ${pct === null ? 'unknown' : `${pct} %`}`,
      machineKey: machine.key,
    })),
    proposals: pending.map((p) => ({ label: `${p.summary}…`, proposalId: p.id })),
  };
}
