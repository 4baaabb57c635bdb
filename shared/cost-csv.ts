// Job cost as CSV: one format for `runner-watch cost --csv` and the UI's download.
import { csvField } from './audit-csv';
import type { CostReport } from './cost';

/** Columns of the job cost export, in order. */
export const JOB_COST_CSV_COLUMNS = [
  'finishedAt',
  'jobKey',
  'project',
  'job',
  'machine',
  'durationSec',
  'maxSharing',
  'cost',
  'currency',
  'basis',
  'unpricedReason',
] as const;

/** The report's jobs as CSV with a header line, CRLF line ends; costs rounded to 6 places. */
export function jobCostsToCsv(report: CostReport): string {
  const lines = [JOB_COST_CSV_COLUMNS.join(',')];
  for (const job of report.jobs) {
    const row: (string | number | null)[] = [
      new Date(job.finishedAt).toISOString(),
      job.key,
      job.projectPath,
      job.name,
      job.machine,
      Math.round(job.durationSec),
      job.maxSharing,
      job.cost === null ? null : Number(job.cost.toFixed(6)),
      report.currency,
      report.basis,
      job.unpricedReason,
    ];
    lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
