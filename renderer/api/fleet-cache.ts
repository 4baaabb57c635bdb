import type { FleetEvent, FleetSnapshot } from '../../shared/fleet';
import type { Machine } from '../../shared/machine';
import { applyMachineRefresh, type MachineRefresh } from '../../shared/machine-refresh';
import type { SourceHealth } from '../../shared/source';

/** What applying one event to the cached snapshot gave. */
export type FleetEventOutcome =
  /** A `snapshot` event: the cache is replaced. */
  | { kind: 'replaced'; snapshot: FleetSnapshot }
  /** A delta for exactly the next version: the cache is updated. */
  | { kind: 'applied'; snapshot: FleetSnapshot }
  /** A delta the cache already contains (older or equal version): nothing to do. */
  | { kind: 'ignored'; snapshot: FleetSnapshot }
  /** A delta that does not follow the cached version (or no snapshot yet): fetch a snapshot. */
  | { kind: 'gap'; have: number | null; got: number };

/**
 * Applies a fleet event to the cached snapshot, purely. A delta applies to the snapshot
 * with `version - 1` (shared/fleet.ts); anything else is a gap, and guessing would show
 * machines that no longer exist, so the caller fetches a fresh snapshot instead.
 */
export function applyFleetEvent(
  current: FleetSnapshot | undefined,
  event: FleetEvent,
): FleetEventOutcome {
  if (event.type === 'snapshot') return { kind: 'replaced', snapshot: event.snapshot };
  if (!current) return { kind: 'gap', have: null, got: event.version };
  if (event.version <= current.version) return { kind: 'ignored', snapshot: current };
  if (event.version !== current.version + 1) {
    return { kind: 'gap', have: current.version, got: event.version };
  }
  const merged = mergeMachines(current.machines, event.upserted, event.removed);
  const machines = refreshMachines(merged, event.refreshed ?? []);
  // A refresh for a machine the cache does not hold (or that does not fit it) means the
  // cache is out of step with the engine: resync rather than show wrong read times.
  if (!machines) return { kind: 'gap', have: current.version, got: event.version };
  return {
    kind: 'applied',
    snapshot: {
      version: event.version,
      generatedAt: event.at,
      machines,
      runners: event.runners ?? current.runners,
      ...countersOf(event.counters, current.counters),
      sources: mergeSources(current.sources, event.sources),
      proposals: event.proposals ?? current.proposals,
      ...((event.fleets ?? current.fleets) ? { fleets: event.fleets ?? current.fleets } : {}),
    },
  };
}

/** Replaces upserted machines in place (keeps the order), appends new ones, drops removed ones. */
function mergeMachines(machines: Machine[], upserted: Machine[], removed: string[]): Machine[] {
  if (upserted.length === 0 && removed.length === 0) return machines;
  const updates = new Map(upserted.map((machine) => [machine.key, machine]));
  const gone = new Set(removed);
  const out: Machine[] = [];
  for (const machine of machines) {
    if (gone.has(machine.key)) continue;
    const update = updates.get(machine.key);
    out.push(update ?? machine);
    updates.delete(machine.key);
  }
  for (const machine of updates.values()) if (!gone.has(machine.key)) out.push(machine);
  return out;
}

/** Machines with the delta's read-time refreshes applied; null when one does not fit. */
function refreshMachines(machines: Machine[], refreshed: MachineRefresh[]): Machine[] | null {
  if (refreshed.length === 0) return machines;
  const byKey = new Map<string, MachineRefresh>();
  let fits = true;
  for (const refresh of refreshed) {
    for (const key of refresh.keys) {
      if (byKey.has(key)) fits = false;
      byKey.set(key, refresh);
    }
  }
  const out = machines.map((machine) => {
    const refresh = byKey.get(machine.key);
    if (!refresh) return machine;
    byKey.delete(machine.key);
    const next = applyMachineRefresh(machine, refresh);
    if (!next) fits = false;
    return next ?? machine;
  });
  return fits && byKey.size === 0 ? out : null;
}

/** Sources by id: a delta's entries replace the cached ones; sources it omits stay. */
function mergeSources(sources: SourceHealth[], updates: SourceHealth[]): SourceHealth[] {
  if (updates.length === 0) return sources;
  const byId = new Map(updates.map((source) => [source.id, source]));
  const out = sources.map((source) => {
    const update = byId.get(source.id);
    byId.delete(source.id);
    return update ?? source;
  });
  out.push(...byId.values());
  return out;
}

/** Runner counters after a delta: the new list when it changed, else the one we had. */
function countersOf(
  next: FleetSnapshot['counters'] | null | undefined,
  had: FleetSnapshot['counters'],
): Pick<FleetSnapshot, 'counters'> {
  const counters = next ?? had;
  return counters ? { counters } : {};
}
