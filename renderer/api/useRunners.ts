import { useMutation, useQueryClient } from '@tanstack/react-query';
import type {
  PrunePreview,
  PrunePreviewRequest,
  PruneReport,
  PruneRequestInput,
} from '../../shared/runner';
import { queryKeys } from './queryKeys';
import type { TransportError } from './transport';
import { useTransport } from './TransportProvider';

/**
 * The dry-run list of stale runners (`rw:runners:prune-preview`). A mutation, not a query:
 * it runs when the person asks for it, and each ask must show the current answer.
 */
export function usePrunePreview() {
  const transport = useTransport();
  return useMutation<PrunePreview, TransportError, PrunePreviewRequest>({
    mutationFn: (request) => transport.invoke('rw:runners:prune-preview', request),
  });
}

/** Deletes or pauses the chosen stale runners (`rw:runners:prune`); runners update by delta. */
export function usePrune() {
  const transport = useTransport();
  const client = useQueryClient();
  return useMutation<PruneReport, TransportError, PruneRequestInput>({
    mutationFn: (request) => transport.invoke('rw:runners:prune', request),
    // Pruning may write audit records too.
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.audit() }),
  });
}
