import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { AuditRecord } from '../../shared/audit';
import type { Proposal, ReaperMode } from '../../shared/proposal';
import { queryKeys } from './queryKeys';
import type { TransportError } from './transport';
import { useTransport } from './TransportProvider';

/** How many records the Audit view reads; filters apply to these, newest first. */
export const AUDIT_LIMIT = 1_000;

/** The newest audit records (`rw:audit:list`). */
export function useAuditList(limit = AUDIT_LIMIT) {
  const transport = useTransport();
  return useQuery<AuditRecord[], TransportError>({
    queryKey: queryKeys.auditList(limit),
    queryFn: () => transport.invoke('rw:audit:list', { limit }),
    // Records written while the view was closed are news when it opens again (the
    // proposal-change refetch below only runs while it is open).
    refetchOnMount: 'always',
  });
}

/**
 * Refetches the audit log when the proposals change. The log has no push channel of its
 * own, but every record follows a proposal change (new proposal, confirm, result), and
 * proposals arrive with the fleet's deltas, so the view stays current without polling.
 */
export function useAuditFollowsProposals(proposals: readonly Proposal[] | undefined): void {
  const client = useQueryClient();
  const seen = useRef(proposals);
  useEffect(() => {
    if (seen.current === proposals) return;
    const first = seen.current === undefined;
    seen.current = proposals;
    // The first snapshot arriving is not news: the list was read when the view opened.
    if (!first) void client.invalidateQueries({ queryKey: queryKeys.audit() });
  }, [client, proposals]);
}

/**
 * The last mode each fleet was switched to, from the audit log's `mode-switch` records.
 * There is no channel that lists fleet modes; this covers fleets without a proposal.
 */
export function useSwitchedModes() {
  const transport = useTransport();
  return useQuery<Record<string, ReaperMode>, TransportError>({
    queryKey: [...queryKeys.audit(), 'mode-switches'],
    queryFn: async () => {
      const records = await transport.invoke('rw:audit:list', {
        limit: 500,
        filter: { type: 'mode-switch' },
      });
      const modes: Record<string, ReaperMode> = {};
      // Newest first: the first record of a fleet is its current switch.
      for (const record of records)
        if (record.fleet !== null && record.modeTo !== null && !(record.fleet in modes))
          modes[record.fleet] = record.modeTo;
      return modes;
    },
  });
}
