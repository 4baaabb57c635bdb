import type { QueueWait } from '../../shared/queue';
import { useQueueHealth } from '../api/useQueueHealth';
import { formatSpan } from '../format';

function seconds(value: number | null): string {
  return value === null ? '–' : formatSpan(value * 1_000);
}

/**
 * How long jobs waited to be picked up, per runner and per tag, over the last hour, with
 * the warning when waits grow: the sign that the fleet is too small or stuck.
 */
export function QueuePanel() {
  const queue = useQueueHealth();
  const health = queue.data;
  if (!health) {
    return (
      <p className="muted" data-testid="queue-loading">
        {queue.error ? `Queue health unavailable: ${queue.error.message}` : 'Loading queue health…'}
      </p>
    );
  }
  const rows = [...health.rows].sort(
    (a, b) =>
      Number(b.warning !== null) - Number(a.warning !== null) ||
      (b.p95Sec ?? -1) - (a.p95Sec ?? -1),
  );
  return (
    <div className="queue-panel" data-testid="queue-panel">
      <p className="muted small">
        Pick-up wait (GitLab <code>queued_duration</code>) of the jobs started in the last{' '}
        {health.windowHours} h, against the hour before.
      </p>
      {rows.length === 0 ? (
        <p className="muted">No job started in the window.</p>
      ) : (
        <div className="insight-scroll">
          <table className="insight-table" aria-label="Queue wait per runner and tag">
            <thead>
              <tr>
                <th scope="col">Runner / tag</th>
                <th scope="col" className="num-col">
                  Jobs
                </th>
                <th scope="col" className="num-col">
                  p50
                </th>
                <th scope="col" className="num-col">
                  p95
                </th>
                <th scope="col" className="num-col">
                  max
                </th>
                <th scope="col" className="num-col">
                  p50 before
                </th>
                <th scope="col">Warning</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <QueueRow key={`${row.scope}:${row.key}`} row={row} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function QueueRow(props: { row: QueueWait }) {
  const { row } = props;
  return (
    <tr data-testid="queue-row" className={row.warning ? 'queue-warn' : undefined}>
      <td>
        <span className="muted small">{row.scope === 'tag' ? 'tag ' : 'runner '}</span>
        {row.label}
      </td>
      <td className="num num-col">{row.jobs}</td>
      <td className="num num-col">{seconds(row.p50Sec)}</td>
      <td className="num num-col">{seconds(row.p95Sec)}</td>
      <td className="num num-col">{seconds(row.maxSec)}</td>
      <td className="num num-col">{seconds(row.previousP50Sec)}</td>
      <td className={row.warning ? 'warn-text' : 'muted'} data-testid="queue-warning">
        {row.warning ?? 'ok'}
      </td>
    </tr>
  );
}
