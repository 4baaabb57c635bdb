import type { AuditRecord } from '../../shared/audit';

/** CSV columns, one per field of the flat audit record; evidence is one JSON column. */
const COLUMNS = [
  'at',
  'type',
  'fleet',
  'machineName',
  'machineKey',
  'proposalId',
  'rule',
  'action',
  'who',
  'outcome',
  'reasons',
  'modeFrom',
  'modeTo',
  'detail',
  'evidence',
  'id',
] as const;

/** RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled. */
function csvField(value: string): string {
  // A leading =, +, - or @ would be run as a formula by spreadsheet apps (CSV injection).
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function cell(record: AuditRecord, column: (typeof COLUMNS)[number]): string {
  switch (column) {
    case 'at':
      return new Date(record.at).toISOString();
    case 'reasons':
      return record.reasons.join('; ');
    case 'evidence':
      return record.evidence === null ? '' : JSON.stringify(record.evidence);
    default:
      return record[column] ?? '';
  }
}

/**
 * The records as CSV, built in the renderer because the serve host has no file endpoint.
 * Lines end in CRLF (RFC 4180); times are ISO 8601 in UTC.
 */
export function auditToCsv(records: readonly AuditRecord[]): string {
  const lines = [COLUMNS.join(',')];
  for (const record of records)
    lines.push(COLUMNS.map((column) => csvField(cell(record, column))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
