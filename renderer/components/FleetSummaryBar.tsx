import { useEffect, useMemo } from 'react';
import { summarizeFleet, summaryTitle } from '../../shared/fleet-summary';
import { useCostFollowsFleet, useCostReport } from '../api/useCost';
import { useConnected, useFleet } from '../api/useFleet';
import { formatMoney } from '../money';

/**
 * The tray's facts in the header (machines over the warn / kill level, proposals waiting,
 * failing sources), counted by the same pure function the tray uses, and the count in the
 * document title ("(2) Runner Watch") so a background tab says when to look.
 */
export function FleetSummaryBar() {
  const { query } = useFleet();
  const connected = useConnected();
  const snapshot = query.data;
  const summary = useMemo(() => (snapshot ? summarizeFleet(snapshot) : null), [snapshot]);
  useCostFollowsFleet();
  const cost = useCostReport();
  useEffect(() => {
    document.title = connected ? summaryTitle(summary) : 'Runner Watch (disconnected)';
  }, [summary, connected]);
  if (!summary) return null;
  const overWarnOnly = summary.overWarn.length - summary.overKill.length;
  const items = [
    {
      key: 'kill',
      n: summary.overKill.length,
      text: 'over kill level',
      level: 'critical',
      href: '#fleet',
    },
    { key: 'warn', n: overWarnOnly, text: 'over warn level', level: 'warn', href: '#fleet' },
    {
      key: 'proposals',
      n: summary.pending.length,
      text: summary.pending.length === 1 ? 'proposal waiting' : 'proposals waiting',
      level: 'accent',
      href: '#proposals',
    },
    {
      key: 'sources',
      n: summary.failingSources.length,
      text: summary.failingSources.length === 1 ? 'source failing' : 'sources failing',
      level: 'critical',
      href: '#fleet',
    },
  ];
  const shown = items.filter((item) => item.n > 0);
  return (
    <p
      className="summary"
      data-testid="fleet-summary"
      aria-live="polite"
      aria-label="Fleet summary"
    >
      <span className="summary-item num">
        <span className="summary-count">{summary.machines}</span> machine
        {summary.machines === 1 ? '' : 's'}
      </span>
      {cost.data ? (
        <a
          href="#fleet"
          className="summary-item summary-cost num"
          data-testid="summary-cost"
          title={`What the fleet costs per hour now (${cost.data.basis} prices${
            cost.data.fleets.some((f) => f.unpriced > 0)
              ? '; some machines have no known price'
              : ''
          })`}
        >
          <span className="summary-money">
            {formatMoney(cost.data.fleetPerHour, cost.data.currency)}
          </span>
          /h
        </a>
      ) : cost.isPending ? (
        // Holds the cost's place while the first report loads (it reads every job, so it
        // can come seconds after the fleet): when it arrives, the items after it stay put.
        <span className="summary-item summary-cost-pending num" aria-hidden="true">
          <span className="summary-money">–</span>/h
        </span>
      ) : null}
      {shown.length === 0 ? (
        <span className="summary-item summary-ok">all below warn level</span>
      ) : (
        shown.map((item) => (
          <a
            key={item.key}
            href={item.href}
            className={`summary-item summary-${item.level} num`}
            data-testid={`summary-${item.key}`}
          >
            {item.n} {item.text}
          </a>
        ))
      )}
    </p>
  );
}
