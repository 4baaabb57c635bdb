import { useEffect, useState } from 'react';

/**
 * The current time, re-read every `intervalMs`, so "12 s ago" and staleness advance
 * between pushes. A local clock only: it never calls main.
 */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
