import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  PRUNE_LIMITS,
  type PrunePreview,
  type PrunePreviewRequest,
  type PruneReport,
  type PruneRequestInput,
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

/**
 * Deletes or pauses the chosen stale runners (`rw:runners:prune`); runners update by delta.
 * The channel takes at most `PRUNE_LIMITS.maxKeys` keys per request, so a larger choice
 * goes in several requests, one after the other, and their reports are joined.
 */
export function usePrune() {
  const transport = useTransport();
  const client = useQueryClient();
  return useMutation<PruneReport, TransportError, PruneRequestInput>({
    mutationFn: async (request) => {
      const parts: PruneReport[] = [];
      let start = 0;
      do {
        const keys = request.keys.slice(start, start + PRUNE_LIMITS.maxKeys);
        parts.push(await transport.invoke('rw:runners:prune', { ...request, keys }));
        start += PRUNE_LIMITS.maxKeys;
      } while (start < request.keys.length);
      const [first, ...rest] = parts as [PruneReport, ...PruneReport[]];
      return rest.reduce(
        (joined, part) => ({
          ...joined,
          results: [...joined.results, ...part.results],
          batches: joined.batches + part.batches,
        }),
        first,
      );
    },
    // Pruning may write audit records too.
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.audit() }),
  });
}
