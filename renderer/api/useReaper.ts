import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  ConfirmRequest,
  ExecutionResult,
  ReaperMode,
  RecheckResult,
  SetModeRequest,
} from '../../shared/proposal';
import { queryKeys } from './queryKeys';
import type { TransportError } from './transport';
import { useTransport } from './TransportProvider';

/**
 * Re-reads a proposal's machine now (`rw:reaper:recheck`) while the confirm dialog is open.
 * Never cached past the dialog (gcTime 0) and never retried: stale or repeated evidence is
 * exactly what the dialog must not show.
 */
export function useRecheck(proposalId: string) {
  const transport = useTransport();
  return useQuery<RecheckResult, TransportError>({
    queryKey: queryKeys.recheck(proposalId),
    queryFn: () => transport.invoke('rw:reaper:recheck', { proposalId }),
    gcTime: 0,
    retry: false,
  });
}

/**
 * Executes a confirmed proposal (`rw:reaper:confirm`). The proposals themselves arrive in
 * the next fleet delta; the audit log has new records, so its queries are refetched.
 */
export function useConfirmKill() {
  const transport = useTransport();
  const client = useQueryClient();
  return useMutation<ExecutionResult, TransportError, string | ConfirmRequest>({
    // A plain id, or the request with the person's acknowledgement (unreachable rule).
    mutationFn: (request) =>
      transport.invoke(
        'rw:reaper:confirm',
        typeof request === 'string' ? { proposalId: request } : request,
      ),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.audit() }),
  });
}

/** Fleet modes as the server confirmed them after a switch in this session. */
export type ModeOverrides = Record<string, ReaperMode>;

/** Switches a fleet's mode (`rw:reaper:set-mode`, audited by the server) and remembers the answer. */
export function useSetMode() {
  const transport = useTransport();
  const client = useQueryClient();
  return useMutation<SetModeRequest, TransportError, SetModeRequest>({
    mutationFn: (request) => transport.invoke('rw:reaper:set-mode', request),
    onSuccess: (answer) => {
      client.setQueryData<ModeOverrides>(queryKeys.reaperModes(), (current) => ({
        ...current,
        [answer.fleet]: answer.mode,
      }));
      void client.invalidateQueries({ queryKey: queryKeys.audit() });
    },
  });
}

/**
 * The modes switched in this session. There is no channel that lists every fleet's mode;
 * proposals carry theirs, and this fills in fleets the user switched.
 */
export function useModeOverrides(): ModeOverrides {
  const client = useQueryClient();
  const query = useQuery<ModeOverrides>({
    queryKey: queryKeys.reaperModes(),
    queryFn: () => client.getQueryData<ModeOverrides>(queryKeys.reaperModes()) ?? {},
    initialData: {},
  });
  return query.data;
}
