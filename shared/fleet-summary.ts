import type { FleetSnapshot } from './fleet';
import type { Machine } from './machine';
import type { Proposal } from './proposal';
import type { SourceHealth } from './source';

/** The levels a summary rates a fleet's machines by. */
export interface FleetThresholds {
  id: string;
  warnPct: number;
  killPct: number;
  watchedMounts: readonly string[];
}

/** The design's defaults, for machines of a fleet the snapshot does not describe. */
export const DEFAULT_THRESHOLDS: Omit<FleetThresholds, 'id'> = {
  warnPct: 50,
  killPct: 60,
  watchedMounts: ['/', '/var/lib/docker'],
};

/** A machine with its highest disk use over the watched mounts (null: unknown or stale). */
export interface RatedMachine {
  machine: Machine;
  pct: number | null;
  thresholds: Omit<FleetThresholds, 'id'>;
}

/** What needs a person's attention across the fleet: the tray's and the window title's facts. */
export interface FleetSummary {
  /** Machines neither gone nor deleted by this app. */
  machines: number;
  /** Live machines, fullest first (unknown last). */
  rated: RatedMachine[];
  /** At or over the warn level (includes those over the kill threshold). */
  overWarn: RatedMachine[];
  /** At or over the disk rule's threshold. */
  overKill: RatedMachine[];
  /** Proposals waiting for a person, nothing blocking them. */
  pending: Proposal[];
  /** Proposals whose last execution failed. */
  failedKills: Proposal[];
  failingSources: SourceHealth[];
  /** Distinct things to look at: machines over warn or with a pending proposal, plus failing sources. */
  attention: number;
}

/** Highest disk use over a machine's watched mounts, or null when unknown or stale. */
export function worstDiskPct(machine: Machine, watchedMounts: readonly string[]): number | null {
  if (machine.disks.stale || !machine.disks.value) return null;
  const watched = machine.disks.value.filter((d) => watchedMounts.includes(d.mount));
  if (watched.length === 0) return null;
  return Math.max(...watched.map((d) => d.usedPct));
}

/** The thresholds the snapshot itself carries (hosts that send `fleets`). */
export function thresholdsOf(snapshot: FleetSnapshot): FleetThresholds[] {
  return (snapshot.fleets ?? []).map((f) => ({
    id: f.id,
    warnPct: f.warnPct,
    killPct: f.killPct,
    watchedMounts: f.watchedMounts,
  }));
}

/**
 * Rates every live machine against its fleet's levels and collects what needs attention.
 * Pure: the desktop tray and the browser's header and title show the same counts.
 */
export function summarizeFleet(
  snapshot: FleetSnapshot,
  fleets: readonly FleetThresholds[] = thresholdsOf(snapshot),
): FleetSummary {
  const byId = new Map(fleets.map((f) => [f.id, f]));
  // Deleted machines (by this app, still listed somewhere) are not part of the fleet's state.
  const rated = snapshot.machines
    .filter((m) => m.status.value !== 'gone' && !m.removed)
    .map((machine) => {
      const thresholds = byId.get(machine.fleet) ?? DEFAULT_THRESHOLDS;
      return { machine, pct: worstDiskPct(machine, thresholds.watchedMounts), thresholds };
    })
    .sort((a, b) => (b.pct ?? -1) - (a.pct ?? -1) || byName(a.machine.name, b.machine.name));
  const overWarn = rated.filter((r) => r.pct !== null && r.pct >= r.thresholds.warnPct);
  const overKill = rated.filter((r) => r.pct !== null && r.pct >= r.thresholds.killPct);
  const pending = snapshot.proposals.filter((p) => p.state === 'pending' && p.blocked.length === 0);
  const failedKills = snapshot.proposals.filter((p) => p.state === 'failed');
  const failingSources = snapshot.sources.filter((s) => s.state === 'failing');
  const needing = new Set([
    ...overWarn.map((r) => r.machine.key),
    ...pending.map((p) => p.machineKey),
  ]);
  return {
    machines: rated.length,
    rated,
    overWarn,
    overKill,
    pending,
    failedKills,
    failingSources,
    attention: needing.size + failingSources.length,
  };
}

/** Plain code-unit order: the tie-break must be stable, not locale-aware (and localeCompare is slow at fleet size). */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The window title: "(3) Runner Watch" when something needs attention, else the name. */
export function summaryTitle(summary: FleetSummary | null, name = 'Runner Watch'): string {
  return summary && summary.attention > 0 ? `(${summary.attention}) ${name}` : name;
}
