import type { FleetSnapshot } from '../../../shared/fleet';
import { summarizeFleet, worstDiskPct, type FleetThresholds } from '../../../shared/fleet-summary';
import type { Proposal } from '../../../shared/proposal';
import type { FleetSettings } from '../../../shared/settings';

/** The tray icon's state, worst first. */
export type TrayIcon = 'disconnected' | 'critical' | 'warning' | 'ok';

/** Every tray icon state, for the asset generator and tests. */
export const TRAY_ICONS: readonly TrayIcon[] = ['ok', 'warning', 'critical', 'disconnected'];

/** One entry of the tray menu. `proposalId` entries open the confirm dialog. */
export interface TrayMenuItem {
  label: string;
  proposalId?: string;
  machineKey?: string;
}

/** How many machines are in which state, for the tooltip. */
export interface TrayCounts {
  machines: number;
  critical: number;
  warning: number;
  /** Machines whose disk could not be read or is stale: never counted as fine. */
  unknown: number;
  failingSources: number;
  pendingProposals: number;
}

/** Everything the tray adapter draws; computed here so Electron only draws it. */
export interface TrayState {
  icon: TrayIcon;
  tooltip: string;
  counts: TrayCounts;
  paused: boolean;
  /** A "Check now" cycle runs: the menu entry is disabled until it ends. */
  checking: boolean;
  machines: TrayMenuItem[];
  proposals: TrayMenuItem[];
}

/** Options of the tray computation that do not come from the snapshot. */
export interface TrayStateOptions {
  /** Monitoring is paused: nothing is watched, whatever the last values said. */
  paused?: boolean;
  /** A "Check now" cycle runs (`Engine.isChecking`). */
  checking?: boolean;
  /** Windows cuts tray tooltips at 127 characters; the adapter passes its platform's limit. */
  maxTooltipLength?: number;
}

/** Highest disk use over a machine's watched mounts (one definition for tray and renderer). */
export { worstDiskPct };

/** Machines listed in the menu; the rest are behind "Open Runner Watch". */
export const MAX_MENU_MACHINES = 5;
/** Proposals listed in the menu. */
export const MAX_MENU_PROPOSALS = 5;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The tray entry of a proposal, from its evidence (not its free-text summary), e.g.
 * "Kill runner-a (disk 78 %, idle 12 min)…". The ellipsis says a dialog follows.
 */
export function proposalMenuLabel(proposal: Proposal): string {
  const verb = proposal.action === 'cleanup' ? 'Clean up' : 'Kill';
  const { evidence } = proposal;
  const facts: string[] = [];
  if (evidence.diskPct !== null) facts.push(`disk ${evidence.diskPct} %`);
  if (evidence.idleSinceMs !== null)
    facts.push(`idle ${Math.floor(evidence.idleSinceMs / 60_000)} min`);
  if (proposal.rule === 'max-age' && evidence.ageMs !== null)
    facts.push(`age ${Math.floor(evidence.ageMs / 3_600_000)} h`);
  if (proposal.rule === 'unreachable') facts.push('unreachable');
  const orphan = proposal.rule === 'orphan' ? evidence.orphan : undefined;
  if (orphan?.costSoFar != null)
    facts.push(`${orphan.costSoFar.toFixed(2)} ${orphan.currency ?? ''} so far`.trim());
  const detail = facts.length > 0 ? ` (${facts.join(', ')})` : '';
  if (proposal.rule === 'orphan') return `Delete orphan ${proposal.machineName}${detail}…`;
  return `${verb} ${proposal.machineName}${detail}…`;
}

/**
 * The tray state of a snapshot: disconnected when a source fails or monitoring is
 * paused, critical when a machine is at or over its fleet's kill threshold (or a kill
 * failed), warning over the warn level.
 */
export function computeTrayState(
  snapshot: FleetSnapshot,
  fleets: readonly FleetSettings[],
  options: TrayStateOptions = {},
): TrayState {
  const paused = options.paused ?? false;
  // One rating for tray, window title and header: shared/fleet-summary.ts.
  const summary = summarizeFleet(snapshot, fleets.map(thresholdsOfFleet));
  const { rated, overKill, failingSources: failing, failedKills, pending } = summary;
  const critical = overKill;
  const overKillSet = new Set(overKill);
  const warning = summary.overWarn.filter((r) => !overKillSet.has(r));
  const unknown = rated.filter((r) => r.pct === null);
  const icon: TrayIcon =
    paused || failing.length > 0
      ? 'disconnected'
      : critical.length > 0 || failedKills.length > 0
        ? 'critical'
        : warning.length > 0
          ? 'warning'
          : 'ok';

  const counts: TrayCounts = {
    machines: summary.machines,
    critical: critical.length,
    warning: warning.length,
    unknown: unknown.length,
    failingSources: failing.length,
    pendingProposals: pending.length,
  };
  const lines = [`Runner Watch — ${plural(summary.machines, 'machine')}`];
  if (paused) lines.push('Monitoring paused');
  if (failing.length > 0)
    lines.push(
      `${plural(failing.length, 'source')} failing: ${failing.map((s) => s.label).join(', ')}`,
    );
  if (critical.length > 0) lines.push(`${critical.length} over kill threshold`);
  if (warning.length > 0) lines.push(`${warning.length} over warn level`);
  if (unknown.length > 0) lines.push(`${unknown.length} disk unknown`);
  if (failedKills.length > 0) lines.push(`${plural(failedKills.length, 'kill')} failed`);
  if (pending.length > 0)
    lines.push(`${plural(pending.length, 'proposal')} waiting for confirmation`);

  return {
    icon,
    tooltip: truncate(lines.join('\n'), options.maxTooltipLength),
    counts,
    paused,
    checking: options.checking ?? false,
    machines: rated.slice(0, MAX_MENU_MACHINES).map(({ machine, pct }) => ({
      label: `${machine.name} — disk ${pct === null ? 'unknown' : `${pct} %`}`,
      machineKey: machine.key,
    })),
    proposals: pending
      .slice(0, MAX_MENU_PROPOSALS)
      .map((p) => ({ label: proposalMenuLabel(p), proposalId: p.id })),
  };
}

/** A fleet's settings as the levels the shared summary rates machines by. */
export function thresholdsOfFleet(fleet: FleetSettings): FleetThresholds {
  return {
    id: fleet.id,
    warnPct: fleet.warnPct,
    killPct: fleet.reaper.diskThresholdPct,
    watchedMounts: fleet.watchedMounts,
  };
}

function truncate(text: string, max: number | undefined): string {
  if (max === undefined || text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}
