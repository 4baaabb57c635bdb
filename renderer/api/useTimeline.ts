import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { OpenJobResult, Timeline } from '../../shared/timeline';
import { openCheckedUrl, type OpenWindow } from './open-url';
import { queryKeys } from './queryKeys';
import type { TransportError } from './transport';
import { useTransport } from './TransportProvider';

/** The renderer asks for the last day; zoom and pan move inside it without asking again. */
export const TIMELINE_SPAN_MS = 24 * 3_600_000;
/** Fleet events arrive every few seconds; the timeline is re-read at most this often. */
export const TIMELINE_REFRESH_MIN_MS = 5_000;

/** The timeline of the last day up to now (`rw:timeline:get`). */
export function useTimeline(now: () => number = Date.now) {
  const transport = useTransport();
  return useQuery<Timeline, TransportError>({
    queryKey: queryKeys.timeline(TIMELINE_SPAN_MS),
    queryFn: () => {
      const to = now();
      return transport.invoke('rw:timeline:get', { from: to - TIMELINE_SPAN_MS, to });
    },
    // Keep the old timeline on screen while a newer one loads: no flash, no layout jump.
    placeholderData: (previous) => previous,
  });
}

/**
 * Re-reads the timeline when the fleet changed (a pushed event bumped the snapshot
 * version): no polling, and at most once per TIMELINE_REFRESH_MIN_MS, the last change
 * always followed by a read so nothing is left out.
 */
export function useTimelineFollowsFleet(version: number | undefined): void {
  const client = useQueryClient();
  const seen = useRef(version);
  const lastAt = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (version === undefined || seen.current === version) return;
    const first = seen.current === undefined;
    seen.current = version;
    if (first) return;
    const run = () => {
      timer.current = null;
      lastAt.current = Date.now();
      void client.invalidateQueries({ queryKey: queryKeys.timeline(TIMELINE_SPAN_MS) });
    };
    const wait = lastAt.current + TIMELINE_REFRESH_MIN_MS - Date.now();
    if (wait <= 0) run();
    else if (timer.current === null) timer.current = setTimeout(run, wait);
  }, [client, version]);
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
}

/**
 * Opens a job in GitLab through the host (`rw:timeline:open-job`): the host looks the job
 * up and checks its URL; the desktop app opens it itself, otherwise this opens exactly the
 * URL the host answered in a new tab.
 */
export function useOpenJob(open?: OpenWindow) {
  const transport = useTransport();
  return useMutation<OpenJobResult, TransportError, string>({
    mutationFn: (jobKey) => transport.invoke('rw:timeline:open-job', { jobKey }),
    onSuccess: (result) => {
      if (!result.opened) openCheckedUrl(result.url, open);
    },
  });
}
