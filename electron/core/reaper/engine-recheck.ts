import type { FleetSnapshot } from '../../../shared/fleet';
import type { Machine } from '../../../shared/machine';
import type { SourceKind } from '../../../shared/source';
import { RwError } from '../errors/rw-error';

/** The part of the engine a re-check uses. */
export interface RecheckEngine {
  snapshot(): FleetSnapshot;
  refresh(sourceId: string): Promise<void>;
  machines(): Machine[];
}

/** Inventory first (is the server still there, which id), then the probes, then GitLab. */
const PHASES: readonly (readonly SourceKind[])[] = [
  ['hetzner', 'docker-machine'],
  ['ssh', 'prometheus'],
  ['gitlab'],
];

/**
 * The executor's `recheck` on the engine: refreshes every source that reported the machine
 * plus every GitLab source (a job linked by trace can come from any instance), in phase
 * order, and returns the machine as the model now has it. A collection that was already
 * running when the re-check began is run once more, so the reading really is new.
 */
export function createEngineRecheck(
  engine: RecheckEngine,
): (machineKey: string, signal: AbortSignal) => Promise<Machine> {
  return async (machineKey, signal) => {
    const before = engine.snapshot();
    const startedAt = before.generatedAt;
    const machine = before.machines.find((m) => m.key === machineKey);
    if (!machine)
      throw new RwError('not_found', `machine ${machineKey} is not in the fleet any more`);
    for (const kinds of PHASES) {
      // An unlisted server's managers never listed it: their lists are read again too.
      const managers = new Set(machine.orphan?.managerSources ?? []);
      const ids = before.sources
        .filter(
          (s) =>
            kinds.includes(s.kind) &&
            (s.kind === 'gitlab' || machine.seenBy.includes(s.id) || managers.has(s.id)),
        )
        .map((s) => s.id);
      await Promise.all(
        ids.map(async (id) => {
          await engine.refresh(id);
          const health = engine.snapshot().sources.find((s) => s.id === id);
          if (health?.lastRunAt != null && health.lastRunAt < startedAt) await engine.refresh(id);
        }),
      );
      if (signal.aborted) throw signal.reason;
      // A source that failed now leaves its old reading in place: that is no re-check.
      const failed = engine
        .snapshot()
        .sources.filter((s) => ids.includes(s.id) && s.lastError !== null);
      if (failed.length > 0) {
        throw new RwError(
          'unreachable',
          failed
            .map(
              (s) =>
                `${s.label || s.id} failed during the re-check: ${s.lastError?.message ?? 'unknown error'}`,
            )
            .join('; '),
        );
      }
    }
    const after = engine.machines().find((m) => m.key === machineKey);
    if (!after)
      throw new RwError('not_found', `machine ${machineKey} disappeared during the re-check`);
    return after;
  };
}
