import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';

/**
 * Re-reads a query derived from the fleet (cost, queue health, alerts) when a pushed
 * event bumped the snapshot version: no polling, at most once per `minMs`, and the last
 * change always followed by a read so nothing is left out.
 */
export function useRefetchOnFleetChange(
  queryKey: QueryKey,
  version: number | undefined,
  minMs: number,
): void {
  const client = useQueryClient();
  const seen = useRef(version);
  const lastAt = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The key is rebuilt on every render; its JSON is what identifies it.
  const keyText = JSON.stringify(queryKey);
  useEffect(() => {
    if (version === undefined || seen.current === version) return;
    const first = seen.current === undefined;
    seen.current = version;
    if (first) return;
    const run = () => {
      timer.current = null;
      lastAt.current = Date.now();
      void client.invalidateQueries({ queryKey: JSON.parse(keyText) as QueryKey });
    };
    const wait = lastAt.current + minMs - Date.now();
    if (wait <= 0) run();
    else if (timer.current === null) timer.current = setTimeout(run, wait);
  }, [client, version, keyText, minMs]);
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
}
