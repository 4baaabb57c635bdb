import { QueryClient } from '@tanstack/react-query';
import { isTransportError } from './transport';

/** Errors that another try cannot fix: the user has to act (token, config, bad data). */
const FINAL_CODES = new Set([
  'unauthenticated',
  'bad_input',
  'bad_response',
  'forbidden',
  'not_found',
]);

/** The renderer's QueryClient, with defaults chosen for a push-updated cache. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Main pushes every change (snapshot, then deltas applied with setQueryData), so
        // cached data is never stale on its own: no polling, no refetch on focus or mount.
        staleTime: Infinity,
        refetchInterval: false,
        refetchOnWindowFocus: false,
        refetchOnMount: false,
        // A reconnect gets a fresh snapshot from the event stream itself.
        refetchOnReconnect: false,
        // Retry only what may heal by itself (host restarting); a 401 needs the user.
        retry: (failures, error) =>
          failures < 3 && !(isTransportError(error) && FINAL_CODES.has(error.code)),
        retryDelay: (attempt) => Math.min(5_000, 500 * 2 ** attempt),
      },
    },
  });
}
