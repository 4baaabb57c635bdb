import type { AuditRecord } from '../../../shared/audit';
import type { MachineRemoval } from '../../../shared/machine';
import { readAudit, type AuditSink } from '../audit/audit-log';

/** A machine the audit log says this app deleted. */
export interface RecordedRemoval {
  machineKey: string;
  removal: MachineRemoval;
}

/**
 * The removal an audit record proves, or null. Only a delete that succeeded counts: the
 * `result` of a Hetzner delete or `docker-machine rm`, or a `recovery` that found an
 * interrupted one completed. Cleanups on dedicated hosts remove nothing.
 */
export function removalOf(record: AuditRecord): RecordedRemoval | null {
  if (record.outcome !== 'ok' || (record.type !== 'result' && record.type !== 'recovery'))
    return null;
  if (record.action !== 'hcloud-delete' && record.action !== 'machine-rm') return null;
  if (!record.machineKey) return null;
  return {
    machineKey: record.machineKey,
    removal: {
      by: record.who ?? 'unknown',
      at: record.at,
      action: record.action,
      proposalId: record.proposalId,
    },
  };
}

/** An audit sink that also reports every removal it records, as it records it. */
export function trackRemovals<S extends AuditSink & { flush?(): Promise<void> }>(
  sink: S,
  onRemoval: (removal: RecordedRemoval) => void,
): AuditSink & { flush?(): Promise<void> } {
  return {
    async append(input) {
      const record = await sink.append(input);
      const removal = removalOf(record);
      if (removal) onRemoval(removal);
      return record;
    },
    ...(sink.flush ? { flush: () => sink.flush?.() ?? Promise.resolve() } : {}),
  };
}

/**
 * Removals recorded since `since`, oldest first (a later one for the same machine wins),
 * read from the audit log in `dir`: what a restart, or a process that only watches, knows
 * of the kills made before it.
 */
export async function readRemovals(dir: string, since: number): Promise<RecordedRemoval[]> {
  const { records } = await readAudit({ dir, filter: { since } });
  return records
    .map(removalOf)
    .filter((r): r is RecordedRemoval => r !== null)
    .reverse();
}
