import type { FleetSnapshot } from '../../../shared/fleet';
import { summarizeFleet, worstDiskPct } from '../../../shared/fleet-summary';
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

export { worstDiskPct };

const MAX_MENU_MACHINES = 5;

/**
 * The tray state of a snapshot: disconnected when a source fails, critical when a machine
 * is at or over its fleet's kill threshold (or a kill failed), warning over the warn level.
 */
export function computeTrayState(
  snapshot: FleetSnapshot,
  fleets: readonly FleetSettings[],
): TrayState {
  // One rating for the tray and the renderer's header (shared/fleet-summary.ts).
  const summary = summarizeFleet(
    snapshot,
    fleets.map((f) => ({
      id: f.id,
      warnPct: f.warnPct,
      killPct: f.reaper.diskThresholdPct,
      watchedMounts: f.watchedMounts,
    })),
  );
  const {
    rated,
    failingSources: failing,
    overKill: critical,
    failedKills,
    overWarn: warning,
  } = summary;
  const icon: TrayIcon =
    failing.length > 0
      ? 'disconnected'
      : critical.length > 0 || failedKills.length > 0
        ? 'critical'
        : warning.length > 0
          ? 'warning'
          : 'ok';

  const lines = [`Runner Watch — ${summary.machines} machine${summary.machines === 1 ? '' : 's'}`];
  if (failing.length > 0)
    lines.push(
      `${failing.length} source${failing.length === 1 ? '' : 's'} failing: ${failing.map((s) => s.label).join(', ')}`,
    );
  if (critical.length > 0) lines.push(`${critical.length} over kill threshold`);
  else if (warning.length > 0) lines.push(`${warning.length} over warn level`);
  const { pending } = summary;
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
