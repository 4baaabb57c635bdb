import { useMemo, useState } from 'react';
import { AuditOutcome, AuditType, type AuditRecord } from '../../shared/audit';
import { auditToCsv } from '../../shared/audit-csv';
import { OPEN_WITH_TOKEN_MESSAGE } from '../api/transport';
import { AUDIT_LIMIT, useAuditFollowsProposals, useAuditList } from '../api/useAudit';
import { useFleet } from '../api/useFleet';
import { StateMessage } from '../components/StateMessage';
import { formatAgo, formatDateTime } from '../format';
import { useNow } from '../hooks/useNow';

/** What the Audit view filters by; empty strings match everything. */
export interface AuditFilterState {
  type: AuditType | '';
  fleet: string;
  machine: string;
  text: string;
  /** Outcome (result) of the record; `none` keeps records without one. */
  outcome?: AuditOutcome | 'none' | '';
  /** Records at or after this time (ms); null for all. */
  since?: number | null;
}

/** Time windows of the time filter, in ms back from now. */
export const AUDIT_WINDOWS = [
  { value: '', text: 'any time', ms: null },
  { value: '1h', text: 'last hour', ms: 3_600_000 },
  { value: '24h', text: 'last 24 hours', ms: 86_400_000 },
  { value: '7d', text: 'last 7 days', ms: 7 * 86_400_000 },
] as const;

/** What a reaper mode means, for mode-switch records ("notify → off"). */
const MODE_MEANING: Record<string, string> = {
  off: 'off: propose only, execute nothing',
  notify: 'notify: a person confirms each kill',
  'dry-run': 'dry-run: record what would be done',
  auto: 'auto: kill on its own within the guards',
};

/** Records matching every given filter; `text` searches all text fields, case-insensitive. */
export function filterAudit(
  records: readonly AuditRecord[],
  filter: AuditFilterState,
): AuditRecord[] {
  const machine = filter.machine.trim().toLowerCase();
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  return records.filter((record) => {
    if (filter.type && record.type !== filter.type) return false;
    if (filter.fleet && record.fleet !== filter.fleet) return false;
    if (filter.outcome === 'none' && record.outcome !== null) return false;
    if (filter.outcome && filter.outcome !== 'none' && record.outcome !== filter.outcome)
      return false;
    if (filter.since != null && record.at < filter.since) return false;
    if (
      machine &&
      !(record.machineName ?? '').toLowerCase().includes(machine) &&
      !(record.machineKey ?? '').toLowerCase().includes(machine)
    )
      return false;
    if (words.length === 0) return true;
    const text = [
      record.type,
      record.fleet,
      record.machineName,
      record.who,
      record.outcome,
      record.rule,
      record.action,
      record.detail,
      record.proposalId,
      ...record.reasons,
    ]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    return words.every((word) => text.includes(word));
  });
}

/** The audit log, newest first, filterable, refreshed when proposals change, as CSV on request. */
export function AuditView() {
  const fleet = useFleet();
  useAuditFollowsProposals(fleet.query.data?.proposals);
  const list = useAuditList();
  const now = useNow();
  const [filter, setFilter] = useState<AuditFilterState>({
    type: '',
    fleet: '',
    machine: '',
    text: '',
    outcome: '',
  });
  const [windowValue, setWindowValue] = useState('');
  const windowMs = AUDIT_WINDOWS.find((w) => w.value === windowValue)?.ms ?? null;
  const records = list.data;
  // The window is measured from the clock that ticks, so "last hour" keeps meaning it.
  const since = windowMs === null ? null : now - windowMs;
  const shown = useMemo(
    () => (records ? filterAudit(records, { ...filter, since }) : []),
    [records, filter, since],
  );
  const fleets = useMemo(
    () =>
      [
        ...new Set((records ?? []).map((r) => r.fleet).filter((f): f is string => f !== null)),
      ].sort(),
    [records],
  );

  if (records === undefined) {
    if (list.error?.code === 'unauthenticated') {
      return (
        <StateMessage kind="auth" title="Sign-in needed">
          <p>{OPEN_WITH_TOKEN_MESSAGE}</p>
        </StateMessage>
      );
    }
    if (list.error) {
      return (
        <StateMessage kind="error" title="Cannot read the audit log">
          <p>Cannot read the audit log: {list.error.message}</p>
          <p>
            Check that Runner Watch is still running and its state folder is readable, then{' '}
            <button type="button" onClick={() => void list.refetch()}>
              retry
            </button>
            .
          </p>
        </StateMessage>
      );
    }
    return (
      <StateMessage kind="loading" title="Loading the audit log…">
        <p>Reading the newest {AUDIT_LIMIT} records.</p>
      </StateMessage>
    );
  }

  const set = (patch: Partial<AuditFilterState>) =>
    setFilter((current) => ({ ...current, ...patch }));
  return (
    <div className="view audit-view">
      <div className="toolbar">
        <select
          aria-label="Record type"
          value={filter.type}
          onChange={(event) => {
            const parsed = AuditType.safeParse(event.target.value);
            set({ type: parsed.success ? parsed.data : '' });
          }}
        >
          <option value="">all types</option>
          {AuditType.options.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
        <select
          aria-label="Fleet"
          value={filter.fleet}
          onChange={(event) => set({ fleet: event.target.value })}
        >
          <option value="">all fleets</option>
          {fleets.map((fleet) => (
            <option key={fleet} value={fleet}>
              {fleet}
            </option>
          ))}
        </select>
        <select
          aria-label="Result"
          value={filter.outcome ?? ''}
          onChange={(event) => {
            const value = event.target.value;
            const parsed = AuditOutcome.safeParse(value);
            set({ outcome: parsed.success ? parsed.data : value === 'none' ? 'none' : '' });
          }}
        >
          <option value="">any result</option>
          {AuditOutcome.options.map((outcome) => (
            <option key={outcome} value={outcome}>
              {outcome}
            </option>
          ))}
          <option value="none">no result</option>
        </select>
        <select
          aria-label="Time"
          value={windowValue}
          onChange={(event) => setWindowValue(event.target.value)}
        >
          {AUDIT_WINDOWS.map((w) => (
            <option key={w.value} value={w.value}>
              {w.text}
            </option>
          ))}
        </select>
        <input
          type="search"
          className="filter filter-small"
          placeholder="Machine"
          aria-label="Filter by machine"
          value={filter.machine}
          onChange={(event) => set({ machine: event.target.value })}
        />
        <input
          type="search"
          className="filter"
          placeholder="Search who, detail, reasons…"
          aria-label="Search the audit log"
          value={filter.text}
          onChange={(event) => set({ text: event.target.value })}
        />
        <span className="count num" data-testid="audit-count">
          {shown.length === records.length
            ? `${records.length} records`
            : `${shown.length} of ${records.length} records`}
        </span>
        <button
          type="button"
          onClick={() => download(shown)}
          disabled={shown.length === 0}
          data-testid="download-csv"
        >
          Download CSV
        </button>
      </div>
      <p className="audit-legend small muted" data-testid="audit-legend">
        Times are local ({Intl.DateTimeFormat().resolvedOptions().timeZone}). <em>Who</em> is the
        operating-system user and host of the Runner Watch process that acted (e.g.{' '}
        <code>root@vm</code> when it runs as root on a machine called vm), or <em>auto</em> for the
        reaper in auto mode. Modes: off proposes only, notify waits for a person, dry-run records
        what it would do, auto kills on its own within every guard.
      </p>
      {records.length === 0 ? (
        <StateMessage kind="empty" title="The audit log is empty">
          <p>
            Nothing has been proposed, confirmed or switched yet. Every proposal, confirmation,
            refusal, result and mode switch is recorded here as it happens.
          </p>
        </StateMessage>
      ) : shown.length === 0 ? (
        <StateMessage kind="empty" title="No record matches the filters">
          <p>
            <button
              type="button"
              onClick={() => {
                setFilter({ type: '', fleet: '', machine: '', text: '', outcome: '' });
                setWindowValue('');
              }}
            >
              Clear the filters
            </button>
          </p>
        </StateMessage>
      ) : (
        <div className="table-scroll">
          <table className="audit" aria-label="Audit records">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Machine</th>
                <th scope="col">Outcome</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((record) => (
                <tr
                  key={record.id}
                  data-testid="audit-row"
                  data-type={record.type}
                  data-machine={record.machineName ?? ''}
                  data-outcome={record.outcome ?? ''}
                >
                  <td className="num">
                    <time className="audit-time" dateTime={new Date(record.at).toISOString()}>
                      {formatDateTime(record.at)}
                    </time>
                    <span className="sub">{formatAgo(record.at, now)}</span>
                  </td>
                  <td
                    title={
                      record.who ? 'user@host of the Runner Watch process that acted' : undefined
                    }
                  >
                    {record.who ?? <span className="muted">reaper</span>}
                  </td>
                  <td>
                    <span className="badge">{record.type}</span>
                    {record.action ? <span className="sub">{record.action}</span> : null}
                  </td>
                  <td>
                    {record.machineName ?? <span className="muted">—</span>}
                    {record.fleet ? <span className="sub">{record.fleet}</span> : null}
                  </td>
                  <td>
                    {record.outcome ? (
                      <span className={`badge badge-o-${record.outcome}`}>{record.outcome}</span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="detail">
                    {record.detail}
                    {record.type === 'mode-switch' && record.modeTo ? (
                      <span className="sub" data-testid="mode-meaning">
                        now {MODE_MEANING[record.modeTo] ?? record.modeTo}
                      </span>
                    ) : null}
                    {record.reasons.length > 0 ? (
                      <ul className="reasons">
                        {record.reasons.map((reason) => (
                          <li key={reason}>{reason}</li>
                        ))}
                      </ul>
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

/** Saves the records as a CSV file; built here because the serve host has no file endpoint. */
function download(records: readonly AuditRecord[]): void {
  const blob = new Blob([auditToCsv(records)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `runner-watch-audit-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
