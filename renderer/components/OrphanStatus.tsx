import type { Machine } from '../../shared/machine';
import { orphanCostAt, roughSpan, type OrphanStatus } from '../../shared/orphan';
import { formatAgo } from '../format';

/** `0.72 EUR`; small hourly prices keep four decimals so they do not read as 0. */
export function formatMoney(value: number, currency: string | null): string {
  return `${value.toFixed(value > 0 && value < 0.1 ? 4 : 2)} ${currency ?? ''}`.trim();
}

/** The cost so far as text, ticking with `now`; says why when unpriced. */
function costText(status: OrphanStatus, createdAt: number | null, now: number): string {
  const cost = orphanCostAt(status, createdAt, now);
  if (cost === null) return `cost unknown (${status.unpricedReason ?? 'unpriced'})`;
  return `${formatMoney(cost, status.currency)} so far`;
}

/** One line for tooltips and screen readers: why it is an orphan, how old, what it cost. */
export function orphanSummary(machine: Machine, now: number): string | null {
  const status = machine.orphan;
  if (!status) return null;
  const parts = [`not listed by ${status.managers.join(' or ')}`];
  if (machine.createdAt !== null) parts.push(`created ${roughSpan(now - machine.createdAt)} ago`);
  if (status.noJobSince !== null) parts.push(`no job for ${roughSpan(now - status.noJobSince)}`);
  parts.push(costText(status, machine.createdAt, now));
  return parts.join(' · ');
}

/**
 * The Fleet row's marker: `orphan` when no runner manager accounts for the server (proven),
 * nothing otherwise — an unlisted server that is not proven an orphan is explained in the
 * details, not flagged in the row.
 */
export function OrphanBadge(props: { machine: Machine; now: number }) {
  if (props.machine.orphan?.state !== 'orphan') return null;
  const summary = orphanSummary(props.machine, props.now);
  return (
    <span
      className="badge badge-orphan"
      data-testid="orphan"
      title={summary ?? undefined}
      aria-label={`orphan: ${summary ?? ''}`}
    >
      orphan
    </span>
  );
}

/** The row's cost-so-far sub-line under the age, for orphans. */
export function OrphanCost(props: { machine: Machine; now: number }) {
  const status = props.machine.orphan;
  if (status?.state !== 'orphan') return null;
  const cost = orphanCostAt(status, props.machine.createdAt, props.now);
  return (
    <span className="sub orphan-cost" data-testid="orphan-cost">
      {cost === null ? 'cost ?' : formatMoney(cost, status.currency)}
    </span>
  );
}

/** Since when no GitLab job ran on it, in the words of what proves it. */
function noJobText(status: OrphanStatus, now: number): string {
  if (status.noJobSince === null) return 'Whether a GitLab job ran on it recently is unknown.';
  if (status.lastJobId !== null)
    return `The last GitLab job on it, #${status.lastJobId}, finished ${formatAgo(status.noJobSince, now)}.`;
  return `No GitLab job ran on it for at least ${roughSpan(now - status.noJobSince)} (as far back as GitLab's job history goes).`;
}

/** The details drawer's section: who does not list it, since when idle, cost, why not yet. */
export function OrphanDetails(props: { machine: Machine; now: number }) {
  const { machine, now } = props;
  const status = machine.orphan;
  if (!status) return null;
  const reasons = [...status.notYet, ...status.unknown];
  return (
    <section className="details-orphan" aria-label="Orphan" data-testid="details-orphan">
      <h3>
        {status.state === 'orphan' ? 'Orphan' : 'Not listed by a runner manager'}{' '}
        {status.state === 'orphan' ? <span className="badge badge-orphan">orphan</span> : null}
      </h3>
      <p className="small">
        The provider lists this server, {status.managers.join(' or ')} does not.{' '}
        {noJobText(status, now)}
      </p>
      <p className="small" data-testid="details-orphan-cost">
        {costText(status, machine.createdAt, now)}
        {status.perHour !== null ? ` at ${formatMoney(status.perHour, status.currency)}/h` : ''}
        {machine.createdAt !== null
          ? `, since it was created ${roughSpan(now - machine.createdAt)} ago`
          : ''}
        .
      </p>
      {reasons.length > 0 ? (
        <>
          <p className="small muted">Not called an orphan while:</p>
          <ul className="blocked" aria-label="Not an orphan because">
            {reasons.map((reason) => (
              <li key={reason}>{reason}</li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
