import { formatAgo, formatTime } from '../format';
import type { Freshness } from '../fleet-rows';

/** "12 s ago", or "stale · 4 min ago" with the fields and errors in the tooltip. */
export function FreshnessCell(props: { freshness: Freshness; now: number }) {
  const { freshness } = props;
  const errors = freshness.errors.length > 0 ? `\n${freshness.errors.join('\n')}` : '';
  if (freshness.state === 'never') {
    return (
      <span
        className="fresh-never"
        data-testid="freshness"
        title={`No source has read this machine yet${errors}`}
      >
        no reading
        {freshness.errors.length > 0 ? (
          <span className="error-text"> · {freshness.errors[0]}</span>
        ) : null}
      </span>
    );
  }
  const ago = formatAgo(freshness.observedAt, props.now);
  if (freshness.state === 'stale') {
    return (
      <span
        className="fresh-stale"
        data-testid="freshness"
        title={`Stale: ${freshness.staleFields.join(', ')} not read recently (oldest reading ${formatTime(freshness.observedAt)})${errors}`}
      >
        <span className="stale-tag">stale</span> <span className="num">{ago}</span>
        {freshness.errors.length > 0 ? (
          <span className="error-text"> · {freshness.errors[0]}</span>
        ) : null}
      </span>
    );
  }
  return (
    <span
      className="fresh-ok num"
      data-testid="freshness"
      title={`Oldest reading ${formatTime(freshness.observedAt)}${errors}`}
    >
      {ago}
    </span>
  );
}
