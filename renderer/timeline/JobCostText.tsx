import { useJobCosts } from '../api/useCost';
import { formatMoney } from '../money';

/**
 * A job's cost from the cost report: its machine's hourly price over the job's time,
 * split among the jobs sharing the machine. Never guessed: unknown says why.
 */
export function JobCostText(props: { jobKey: string; running: boolean; detailed?: boolean }) {
  const costs = useJobCosts();
  if (!costs) return <span className="muted">…</span>;
  const job = costs.byKey.get(props.jobKey);
  if (!job) {
    return (
      <span className="muted">
        {props.running ? 'known once the job finished' : 'not in the cost report'}
      </span>
    );
  }
  if (job.cost === null) {
    return (
      <span className="muted">unknown{job.unpricedReason ? `: ${job.unpricedReason}` : ''}</span>
    );
  }
  return (
    <span>
      <span className="num">{formatMoney(job.cost, costs.currency)}</span>
      {props.detailed ? (
        <span className="muted small">
          {' '}
          (
          {job.maxSharing === 1
            ? 'machine to itself'
            : `machine shared by up to ${job.maxSharing} jobs`}
          )
        </span>
      ) : null}
    </span>
  );
}
