// The audit log as CSV: one format for `runner-watch audit --csv` and the UI's download.
import type { AuditRecord } from './audit';

/** Columns of the CSV export, in order. */
export const AUDIT_CSV_COLUMNS = [
  'time',
  'type',
  'fleet',
  'machine',
  'machineKey',
  'proposalId',
  'rule',
  'action',
  'who',
  'outcome',
  'reasons',
  'diskPct',
  'runningJobIds',
  'modeFrom',
  'modeTo',
  'detail',
] as const;

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote or line break, quotes
 * doubled. A field that a spreadsheet would run as a formula (=, +, -, @, tab, CR first)
 * gets a leading apostrophe: machine names and job names come from outside.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The records as CSV with a header line, CRLF line ends (what spreadsheets expect). */
export function auditToCsv(records: readonly AuditRecord[]): string {
  const lines = [AUDIT_CSV_COLUMNS.join(',')];
  for (const r of records) {
    const row: (string | number | null)[] = [
      new Date(r.at).toISOString(),
      r.type,
      r.fleet,
      r.machineName,
      r.machineKey,
      r.proposalId,
      r.rule,
      r.action,
      r.who,
      r.outcome,
      r.reasons.join('; '),
      r.evidence?.diskPct ?? null,
      r.evidence ? r.evidence.runningJobIds.join(' ') : null,
      r.modeFrom,
      r.modeTo,
      r.detail,
    ];
    lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
