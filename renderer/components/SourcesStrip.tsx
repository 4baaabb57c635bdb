import type { SourceHealth } from '../../shared/source';
import { formatAgo, formatSpan } from '../format';

/** Each collector's health and last error, so a stale row can be traced to its cause. */
export function SourcesStrip(props: {
  sources: SourceHealth[];
  now: number;
  /** False while the host is unreachable: no source state is known then. */
  connected?: boolean;
}) {
  const connected = props.connected ?? true;
  if (props.sources.length === 0) {
    return (
      <section className="sources" aria-label="Sources">
        <span className="muted">No sources configured.</span>
      </section>
    );
  }
  return (
    <section className="sources" aria-label="Sources">
      <ul>
        {props.sources.map((source) => (
          <li
            key={source.id}
            className={`source source-${connected ? source.state : 'unknown'}`}
            data-testid="source"
            data-source-id={source.id}
            data-state={connected ? source.state : 'unknown'}
            title={
              connected
                ? sourceTitle(source, props.now)
                : `Runner Watch cannot be reached: this source's state is unknown.\nLast reported: ${sourceTitle(source, props.now)}`
            }
          >
            <span
              className={`dot dot-${connected ? source.state : 'unknown'}`}
              aria-hidden="true"
            />
            <span className="source-label">{source.label || source.id}</span>
            <span className="source-state">
              {connected ? sourceLine(source, props.now) : 'unknown'}
            </span>
            {source.lastError ? (
              <span className="error-text source-error" data-testid="source-error">
                {source.lastError.code}: {source.lastError.message}
              </span>
            ) : null}
            {source.warnings.length > 0 ? (
              <span className="warn-text source-warning" data-testid="source-warning">
                {source.warnings.join('; ')}
              </span>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * The state in a few characters; the strip gives it a fixed width so a ticking
 * "12 s ago" never moves the sources after it. Longer facts go in the tooltip.
 */
function sourceLine(source: SourceHealth, now: number): string {
  switch (source.state) {
    case 'pending':
      return 'waiting';
    case 'ok':
    case 'degraded':
      return source.lastOkAt !== null ? `ok ${formatAgo(source.lastOkAt, now)}` : 'ok';
    case 'failing':
      return `failing${source.consecutiveFailures > 1 ? ` ×${source.consecutiveFailures}` : ''}`;
  }
}

function sourceTitle(source: SourceHealth, now: number): string {
  return [
    `${source.kind} · ${source.id}`,
    source.state === 'pending' ? 'waiting for its first run' : null,
    source.lastOkAt !== null ? `last ok ${formatAgo(source.lastOkAt, now)}` : 'never ok',
    `every ${formatSpan(source.intervalMs)}`,
    source.lastDurationMs !== null ? `last run took ${source.lastDurationMs} ms` : null,
    source.lastError ? `last error (${source.lastError.code}): ${source.lastError.message}` : null,
    ...source.warnings,
  ]
    .filter(Boolean)
    .join('\n');
}
