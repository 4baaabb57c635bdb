import type { FleetSnapshot } from '../../shared/fleet';
import type { Settings } from '../../shared/settings';
import type { Engine } from '../core/engine';

/**
 * One collection cycle of every source, or null when a signal (SIGINT/SIGTERM) came first:
 * the one-shot commands (`scan`, `cost`, `queue`, `alerts`, `runners`) then stop cleanly.
 */
export function collectOnce(
  engine: Pick<Engine, 'runOnce'>,
  signal: AbortSignal,
): Promise<FleetSnapshot | null> {
  return Promise.race([
    engine.runOnce(),
    new Promise<null>((resolve) =>
      signal.addEventListener('abort', () => resolve(null), { once: true }),
    ),
  ]);
}

/** Settings whose GitLab sources keep finished jobs for at least `hours` (cost, queue windows). */
export function keepingJobsFor(hours: number): (settings: Settings) => Settings {
  return (settings) => ({
    ...settings,
    gitlab: settings.gitlab.map((g) => ({ ...g, timelineHours: Math.max(g.timelineHours, hours) })),
  });
}
