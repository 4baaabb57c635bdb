import { useMemo, useState } from 'react';
import type { CostReport, ProjectCost } from '../../shared/cost';
import { jobCostsToCsv } from '../../shared/cost-csv';
import { useCostReport } from '../api/useCost';
import { formatMoney } from '../money';
import { saveTextFile } from '../save-file';

/** A period's start as a UTC date: periods are UTC days and ISO weeks (Mondays). */
function periodText(row: ProjectCost): string {
  const day = new Date(row.start).toISOString().slice(0, 10);
  return row.period === 'week' ? `week of ${day}` : day;
}

/**
 * What the fleet costs per hour now, per fleet, and what each project's jobs cost per day
 * or week, with the jobs as CSV (the same columns as `runner-watch cost --csv`).
 */
export function CostPanel() {
  const cost = useCostReport();
  const [period, setPeriod] = useState<ProjectCost['period']>('day');
  const report = cost.data;
  const rows = useMemo(
    () =>
      (report?.projects ?? [])
        .filter((p) => p.period === period)
        .sort((a, b) => b.start - a.start || b.cost - a.cost),
    [report, period],
  );
  if (!report) {
    return (
      <p className="muted" data-testid="cost-loading">
        {cost.error ? `Cost figures unavailable: ${cost.error.message}` : 'Loading cost figures…'}
      </p>
    );
  }
  return (
    <div className="cost-panel" data-testid="cost-panel">
      <div className="insight-toolbar">
        <span>
          Fleet now:{' '}
          <strong className="num" data-testid="cost-per-hour">
            {formatMoney(report.fleetPerHour, report.currency)}/h
          </strong>{' '}
          <span className="muted small">
            ({report.basis} prices
            {report.pricesFetchedAt
              ? `, fetched ${new Date(report.pricesFetchedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`
              : ''}
            )
          </span>
        </span>
        <FleetCosts report={report} />
        <span className="insight-spacer" />
        <label>
          Per{' '}
          <select
            value={period}
            onChange={(event) => setPeriod(event.target.value === 'week' ? 'week' : 'day')}
            data-testid="cost-period"
          >
            <option value="day">day</option>
            <option value="week">week</option>
          </select>
        </label>
        <button
          type="button"
          disabled={report.jobs.length === 0}
          onClick={() =>
            saveTextFile(
              `runner-watch-job-cost-${new Date(report.generatedAt).toISOString().slice(0, 10)}.csv`,
              'text/csv',
              jobCostsToCsv(report),
            )
          }
          data-testid="cost-export"
        >
          Export jobs as CSV
        </button>
      </div>
      {report.warnings.map((w) => (
        <p key={w} className="warn-text small">
          {w}
        </p>
      ))}
      {rows.length === 0 ? (
        <p className="muted" data-testid="cost-none">
          No finished job in the last {Math.round((report.generatedAt - report.since) / 3_600_000)}{' '}
          hours.
        </p>
      ) : (
        <div className="insight-scroll">
          <table className="insight-table" aria-label={`Job cost per project and ${period}`}>
            <thead>
              <tr>
                <th scope="col">Project</th>
                <th scope="col">{period === 'day' ? 'Day (UTC)' : 'Week (UTC)'}</th>
                <th scope="col" className="num-col">
                  Jobs
                </th>
                <th scope="col" className="num-col">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={`${row.projectPath}\n${row.start}`} data-testid="project-cost-row">
                  <td>{row.projectPath}</td>
                  <td className="num">{periodText(row)}</td>
                  <td className="num num-col">{row.jobs}</td>
                  <td className="num num-col">
                    {/* Every job unpriced: the sum is unknown, not zero. */}
                    {row.unpricedJobs === row.jobs ? (
                      <span className="muted">unknown</span>
                    ) : (
                      formatMoney(row.cost, report.currency)
                    )}
                    {row.unpricedJobs > 0 ? (
                      <span
                        className="muted small"
                        title="jobs whose machine or price is unknown are not in the sum"
                      >
                        {' '}
                        (+{row.unpricedJobs} unpriced)
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function FleetCosts(props: { report: CostReport }) {
  if (props.report.fleets.length < 2 && props.report.fleets.every((f) => f.unpriced === 0))
    return null;
  return (
    <span className="muted small">
      {props.report.fleets
        .map(
          (f) =>
            `${f.fleet} ${formatMoney(f.perHour, props.report.currency)}/h${f.unpriced > 0 ? ` (${f.unpriced} unpriced)` : ''}`,
        )
        .join(' · ')}
    </span>
  );
}
