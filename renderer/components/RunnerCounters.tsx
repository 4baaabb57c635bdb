import type { FleetCounters } from '../../shared/runner-metrics';
import { formatAgo } from '../format';

/** Order of machine states as GitLab Runner's autoscaler moves them. */
const STATE_ORDER = ['creating', 'idle', 'acquired', 'used', 'removing'];

/**
 * The runners' own counters per fleet (GitLab Runner metrics endpoint): running jobs of
 * `concurrent`, autoscaled machines by state. Nothing when no endpoint is configured.
 */
export function RunnerCounters(props: {
  counters: readonly FleetCounters[] | undefined;
  now: number;
}) {
  const counters = props.counters ?? [];
  if (counters.length === 0) return null;
  return (
    <ul
      className="runner-counters small"
      aria-label="Runner counters"
      data-testid="runner-counters"
    >
      {counters.map((c) => {
        const states = c.machines
          ? Object.entries(c.machines).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
          : [];
        return (
          <li key={c.source} title={`${c.source}, read ${formatAgo(c.observedAt, props.now)}`}>
            <strong>{c.label}</strong> ({c.fleet}):{' '}
            <span className="num">
              {c.jobs !== null ? `${c.jobs} job${c.jobs === 1 ? '' : 's'}` : 'jobs unknown'}
              {c.concurrent !== null ? ` of ${c.concurrent}` : ''}
            </span>
            {states.length > 0 ? (
              <span className="num">
                {' · machines '}
                {states.map(([state, n]) => `${state} ${n}`).join(', ')}
              </span>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

function rank(state: string): number {
  const i = STATE_ORDER.indexOf(state);
  return i < 0 ? STATE_ORDER.length : i;
}
