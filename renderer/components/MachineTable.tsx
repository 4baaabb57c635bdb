import { useEffect, useRef, type KeyboardEvent } from 'react';
import { formatLoad, formatSpan } from '../format';
import type { MachineRow, Sort, SortKey } from '../fleet-rows';
import { DiskBars, DISK_PCT_DEFINITION } from './DiskBars';
import { FreshnessCell } from './FreshnessCell';
import { JobsCell } from './JobsCell';
import { StatusBadge } from './StatusBadge';

export interface MachineTableProps {
  rows: MachineRow[];
  now: number;
  sort: Sort;
  onSort: (key: SortKey) => void;
  selected: string | null;
  onSelect: (key: string) => void;
  onOpen: (key: string) => void;
  onClose: () => void;
}

/**
 * The fleet as a grid with a roving focus: ↑/↓ (and Home/End, PgUp/PgDn) move the
 * selection, Enter opens the details, Escape closes them. Rows have a fixed height so a
 * push that changes a value never moves the row under the pointer.
 */
export function MachineTable(props: MachineTableProps) {
  const rowRefs = useRef(new Map<string, HTMLTableRowElement>());
  const focusWanted = useRef(false);
  const index = props.rows.findIndex((row) => row.key === props.selected);

  useEffect(() => {
    if (!focusWanted.current || props.selected === null) return;
    focusWanted.current = false;
    rowRefs.current.get(props.selected)?.focus();
  }, [props.selected]);

  const move = (to: number) => {
    const row = props.rows[Math.max(0, Math.min(props.rows.length - 1, to))];
    if (!row) return;
    focusWanted.current = true;
    props.onSelect(row.key);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTableSectionElement>) => {
    const page = 10;
    switch (event.key) {
      case 'ArrowDown':
        move(index < 0 ? 0 : index + 1);
        break;
      case 'ArrowUp':
        move(index < 0 ? 0 : index - 1);
        break;
      case 'PageDown':
        move(index + page);
        break;
      case 'PageUp':
        move(index - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(props.rows.length - 1);
        break;
      case 'Enter':
        if (props.selected !== null && index >= 0) props.onOpen(props.selected);
        break;
      case 'Escape':
        props.onClose();
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  return (
    <table
      className="fleet"
      role="grid"
      aria-label="Machines"
      aria-rowcount={props.rows.length + 1}
    >
      <colgroup>
        <col className="col-name" />
        <col className="col-provider" />
        <col className="col-status" />
        <col className="col-disk" />
        <col className="col-jobs" />
        <col className="col-load" />
        <col className="col-age" />
        <col className="col-fresh" />
      </colgroup>
      <thead>
        <tr>
          <SortHeader label="Name" column="name" sort={props.sort} onSort={props.onSort} />
          <th scope="col">Provider</th>
          <th scope="col">Status</th>
          <SortHeader
            label="Disk %"
            column="disk"
            sort={props.sort}
            onSort={props.onSort}
            title={DISK_PCT_DEFINITION}
          />
          <SortHeader label="Running jobs" column="jobs" sort={props.sort} onSort={props.onSort} />
          <th scope="col" title="1-minute load average / CPUs">
            Load
          </th>
          <th scope="col" title="Since the provider created the machine">
            Age
          </th>
          <th scope="col" title="Age of the oldest reading shown in the row">
            Updated
          </th>
        </tr>
      </thead>
      <tbody onKeyDown={onKeyDown}>
        {props.rows.map((row, i) => {
          const selected = row.key === props.selected;
          const stale = row.freshness.state !== 'fresh';
          return (
            <tr
              key={row.key}
              ref={(el) => {
                if (el) rowRefs.current.set(row.key, el);
                else rowRefs.current.delete(row.key);
              }}
              data-testid="machine-row"
              data-key={row.key}
              className={`${selected ? 'is-selected' : ''}${row.freshness.state === 'stale' ? ' row-stale' : ''}`}
              aria-selected={selected}
              aria-rowindex={i + 2}
              // Roving tabindex: Tab reaches the grid once, arrows move inside it.
              tabIndex={selected || (index < 0 && i === 0) ? 0 : -1}
              // Tabbing into the grid selects the row that got the focus.
              onFocus={() => {
                if (!selected) props.onSelect(row.key);
              }}
              onClick={() => {
                props.onSelect(row.key);
                props.onOpen(row.key);
              }}
            >
              <td className="cell-name">
                <MachineName name={row.name} />
                <span className="sub">{row.machine.fleet}</span>
              </td>
              <td>
                {row.machine.provider}
                <span className="sub">{row.machine.serverType ?? row.machine.kind}</span>
              </td>
              <td>
                <StatusBadge
                  state={row.state}
                  providerStatus={row.machine.providerStatus}
                  stale={row.machine.status.stale}
                />
              </td>
              <td>
                <DiskBars disks={row.disks} stale={row.machine.disks.stale} />
              </td>
              <td>
                <JobsCell jobs={row.jobs} stale={row.machine.jobs.stale} />
              </td>
              <td className="num">
                {row.load1 !== null ? (
                  <>
                    {formatLoad(row.load1)}
                    {row.cpus !== null ? <span className="sub">/ {row.cpus} CPUs</span> : null}
                  </>
                ) : (
                  <span className="muted">unknown</span>
                )}
              </td>
              <td className="num">
                {row.machine.createdAt !== null ? (
                  formatSpan(props.now - row.machine.createdAt)
                ) : (
                  <span className="muted">unknown</span>
                )}
              </td>
              <td className={stale ? 'cell-stale' : undefined}>
                <FreshnessCell freshness={row.freshness} now={props.now} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Characters kept visible at the end of a long name: where autoscaled VMs differ. */
const NAME_TAIL = 12;

/**
 * The machine name, truncated in the middle: `runner-x1y2…-1700000000-1a2b3c4d` names differ
 * only at the end, so the ellipsis must not eat the end. The text stays complete for
 * copy, search and screen readers.
 */
function MachineName(props: { name: string }) {
  const { name } = props;
  const split = name.length > NAME_TAIL * 2 ? name.length - NAME_TAIL : name.length;
  return (
    <span className="name" data-testid="machine-name" title={name}>
      <span className="name-head">{name.slice(0, split)}</span>
      {split < name.length ? <span className="name-tail">{name.slice(split)}</span> : null}
    </span>
  );
}

function SortHeader(props: {
  label: string;
  column: SortKey;
  sort: Sort;
  onSort: (key: SortKey) => void;
  title?: string;
}) {
  const active = props.sort.key === props.column;
  return (
    <th
      scope="col"
      aria-sort={active ? (props.sort.descending ? 'descending' : 'ascending') : 'none'}
      title={props.title}
    >
      <button type="button" className="sort" onClick={() => props.onSort(props.column)}>
        {props.label}
        <span className="sort-mark" aria-hidden="true">
          {active ? (props.sort.descending ? ' ▼' : ' ▲') : ''}
        </span>
      </button>
    </th>
  );
}
