import { useMutation } from '@tanstack/react-query';
import type { CheckNowResult } from '../../shared/check';
import type { TransportError } from './transport';
import { useTransport } from './TransportProvider';

/**
 * "Check now" (`rw:engine:refresh`): one collection cycle at once. Pending until it ends,
 * so the button is disabled meanwhile; the data itself arrives with the fleet events.
 */
export function useCheckNow() {
  const transport = useTransport();
  return useMutation<CheckNowResult, TransportError, void>({
    mutationFn: () => transport.invoke('rw:engine:refresh', {}),
  });
}
