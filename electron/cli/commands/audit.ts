import { resolve } from 'node:path';
import { AuditFilter, AuditType, type AuditRecord } from '../../../shared/audit';
import { readAudit } from '../../core/audit/audit-log';
import { auditToCsv } from '../../../shared/audit-csv';
import { expandHome } from '../../core/config/expand-home';
import { loadSettingsFile } from '../../core/config/load-settings';
import { UsageError, type CliCommand } from '../command';
import { flag, intOption, requiredString, stringOption } from '../option-values';

/** One audit record as a text line. */
export function formatAuditLine(r: AuditRecord): string {
  const what = [
    r.fleet && r.machineName ? `${r.fleet}/${r.machineName}` : (r.machineKey ?? r.fleet ?? ''),
    r.rule,
    r.action,
  ]
    .filter(Boolean)
    .join(' ');
  const tail = [
    r.outcome,
    r.who ? `by ${r.who}` : null,
    r.modeFrom ? `${r.modeFrom} → ${r.modeTo}` : null,
    r.detail,
  ]
    .filter(Boolean)
    .join('  ');
  const reasons = r.reasons.length > 0 ? `  [${r.reasons.join('; ')}]` : '';
  return `${new Date(r.at).toISOString()}  ${r.type.padEnd(12)} ${what}  ${tail}${reasons}`.trimEnd();
}

/** `audit`: the reaper's audit log, newest first, as text, JSON Lines-compatible JSON or CSV. */
export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'print the reaper audit log (text, --json or --csv)',
  usage: 'audit --config FILE [--json | --csv] [--limit N] [--fleet F] [--machine M] [--type T]',
  options: {
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
    csv: { type: 'boolean' },
    limit: { type: 'string' },
    fleet: { type: 'string' },
    machine: { type: 'string' },
    type: { type: 'string' },
  },
  optionHelp: {
    config: 'FILE  the JSON config; the log lives in its stateDir',
    json: 'print an array of AuditRecord (shared/audit.ts)',
    csv: 'print CSV with a header line',
    limit: 'N  newest N records (default 200)',
    fleet: 'F  only this fleet',
    machine: 'M  only this machine (name or fleet/name)',
    type: `T  only this record type (${AuditType.options.join(', ')})`,
  },
  async run(context, args) {
    const config = requiredString(args, 'config', 'FILE');
    if (flag(args, 'json') && flag(args, 'csv'))
      throw new UsageError('give at most one of --json and --csv');
    const parsed = AuditFilter.safeParse({
      fleet: stringOption(args, 'fleet'),
      machine: stringOption(args, 'machine'),
      type: stringOption(args, 'type'),
    });
    if (!parsed.success)
      throw new UsageError(`--type must be one of ${AuditType.options.join(', ')}`);
    const settings = await loadSettingsFile(resolve(context.cwd, config));
    const limit = intOption(args, 'limit', 1, 1_000_000, 200);
    const { records, skipped } = await readAudit({
      dir: expandHome(settings.stateDir),
      limit,
      filter: parsed.data,
    });
    if (skipped > 0)
      context.err(`warning: ${skipped} unreadable line(s) skipped (e.g. torn by a crash)`);
    if (flag(args, 'json')) context.out(JSON.stringify(records, null, 2));
    else if (flag(args, 'csv')) context.out(auditToCsv(records).replace(/\r\n$/, ''));
    else if (records.length === 0) context.out('no audit records');
    else for (const record of records) context.out(formatAuditLine(record));
    return 0;
  },
};
