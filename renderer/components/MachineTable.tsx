import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
} from 'react';
import { formatLoad, formatSpan } from '../format';
import type { MachineRow, Sort, SortKey } from '../fleet-rows';
import { DiskBars, DISK_PCT_DEFINITION } from './DiskBars';
import type { Proposal } from '../../shared/proposal';
import { FreshnessCell } from './FreshnessCell';
import { KillButton } from './KillDialogProvider';
import { JobsCell } from './JobsCell';
import { ActivityBadge, StatusBadge } from './StatusBadge';
import { OrphanBadge, OrphanCost } from './OrphanStatus';
import { layoutForWidth, type ColumnId } from '../fleet-columns';

export interface MachineTableProps {
  rows: MachineRow[];
  now: number;
  sort: Sort;
  onSort: (key: SortKey) => void;
  selected: string | null;
  onSelect: (key: string) => void;
  onOpen: (key: string) => void;
  onClose: () => void;
  /** Proposals a person may confirm, by machine key: their rows offer "Kill…". */
  killable?: ReadonlyMap<string, Proposal>;
  /** Machines with any current proposal (also blocked ones): their rows say "proposed". */
  proposed?: ReadonlySet<string>;
}

/** Height of every body row in px; the same as `--row-h` in styles.css. */
export const ROW_HEIGHT = 56;
/** Rows rendered above and below the visible ones, so fast scrolling shows no gap. */
const OVERSCAN = 8;
/** Rows rendered before the container has a size (first paint, or no layout in tests). */
const UNMEASURED_ROWS = 40;
/** Rows that PageUp/PageDown move. */
const PAGE = 10;

interface Viewport {
  top: number;
  height: number;
  width: number;
}

/** Height of a card when the grid is too narrow for columns (see `layoutForWidth`). */
export const CARD_HEIGHT = 132;

/**
 * The fleet as a grid with a roving focus: ↑/↓ (and Home/End, PgUp/PgDn) move the
 * selection, Enter opens the details, Escape closes them. Rows have a fixed height so a
 * push that changes a value never moves the row under the pointer, and that height lets
 * the grid render only the rows in view: a 1,000-machine fleet re-renders ~30 rows a
 * second, not 1,000.
 */
export function MachineTable(props: MachineTableProps) {
  const { rows } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const rowRefs = useRef(new Map<string, HTMLTableRowElement>());
  const focusWanted = useRef(false);
  const [viewport, setViewport] = useState<Viewport>({ top: 0, height: 0, width: 0 });
  const layout = layoutForWidth(viewport.width);
  const cards = layout.mode === 'cards';
  const rowHeight = cards ? CARD_HEIGHT : ROW_HEIGHT;
  const shownColumns = new Set<ColumnId>(layout.mode === 'table' ? layout.columns : []);
  const index = rows.findIndex((row) => row.key === props.selected);
  const registerRow = useCallback((key: string, el: HTMLTableRowElement | null) => {
    if (el) rowRefs.current.set(key, el);
    else rowRefs.current.delete(key);
  }, []);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const update = () =>
      setViewport({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    update();
    el.addEventListener('scroll', update, { passive: true });
    const resize = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(update);
    resize?.observe(el);
    return () => {
      el.removeEventListener('scroll', update);
      resize?.disconnect();
    };
  }, []);

  useEffect(() => {
    if (!focusWanted.current || props.selected === null) return;
    focusWanted.current = false;
    rowRefs.current.get(props.selected)?.focus();
  }, [props.selected, viewport]);

  const visible = viewport.height > 0 ? Math.ceil(viewport.height / rowHeight) : UNMEASURED_ROWS;
  const first = Math.max(0, Math.floor(viewport.top / rowHeight) - OVERSCAN);
  const last = Math.min(rows.length, first + visible + 2 * OVERSCAN);
  const shown = rows.slice(first, last);
  // Roving tabindex: one row is reachable with Tab; the selected one when it is rendered.
  const tabbable = index >= first && index < last ? props.selected : (shown[0]?.key ?? null);

  const move = (to: number) => {
    const target = Math.max(0, Math.min(rows.length - 1, to));
    const row = rows[target];
    if (!row) return;
    const el = scrollRef.current;
    if (el && el.clientHeight > 0) {
      // Scroll the target row into the rendered window now, so the row exists to take the
      // focus right after this render (the header row is about one row high).
      const top = target * rowHeight;
      const bottom = top + rowHeight + ROW_HEIGHT;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (bottom > el.scrollTop + el.clientHeight) el.scrollTop = bottom - el.clientHeight;
      setViewport({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    } else {
      // Not laid out (yet): still render a window that holds the target row.
      setViewport({ top: target * rowHeight, height: 0, width: 0 });
    }
    focusWanted.current = true;
    props.onSelect(row.key);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTableSectionElement>) => {
    switch (event.key) {
      case 'ArrowDown':
        move(index < 0 ? 0 : index + 1);
        break;
      case 'ArrowUp':
        move(index < 0 ? 0 : index - 1);
        break;
      case 'PageDown':
        move(index + PAGE);
        break;
      case 'PageUp':
        move(index - PAGE);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
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
    <div className="table-scroll" ref={scrollRef}>
      <table
        className={`fleet${cards ? ' is-cards' : ''}`}
        role="grid"
        aria-label="Machines"
        aria-rowcount={rows.length + 1}
        data-layout={cards ? 'cards' : 'table'}
      >
        {layout.mode === 'table' ? (
          <colgroup>
            {layout.columns.map((id) => (
              <col key={id} className={`col-${id}`} style={{ width: `${layout.widths[id]}%` }} />
            ))}
          </colgroup>
        ) : null}
        <thead>
          <tr>
            <SortHeader label="Name" column="name" sort={props.sort} onSort={props.onSort} />
            {shownColumns.has('provider') ? <th scope="col">Provider</th> : null}
            {cards ? null : <th scope="col">Status</th>}
            <SortHeader
              label="Disk %"
              column="disk"
              sort={props.sort}
              onSort={props.onSort}
              title={DISK_PCT_DEFINITION}
            />
            <SortHeader
              label="Running jobs"
              column="jobs"
              sort={props.sort}
              onSort={props.onSort}
            />
            {shownColumns.has('load') ? (
              <th scope="col" title="1-minute load average / CPUs">
                Load
              </th>
            ) : null}
            {shownColumns.has('age') ? (
              <th scope="col" title="Since the provider created the machine">
                Age
              </th>
            ) : null}
            {shownColumns.has('fresh') ? (
              <th scope="col" title="Age of the oldest reading shown in the row">
                Updated
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody onKeyDown={onKeyDown}>
          {first > 0 ? <Spacer height={first * rowHeight} /> : null}
          {shown.map((row, i) => (
            <MachineRowView
              key={row.key}
              row={row}
              now={props.now}
              rowIndex={first + i}
              selected={row.key === props.selected}
              tabbable={row.key === tabbable}
              registerRow={registerRow}
              onSelect={props.onSelect}
              onOpen={props.onOpen}
              proposal={props.killable?.get(row.key)}
              proposed={props.proposed?.has(row.key) ?? false}
              columns={shownColumns}
              cards={cards}
            />
          ))}
          {last < rows.length ? <Spacer height={(rows.length - last) * rowHeight} /> : null}
        </tbody>
      </table>
    </div>
  );
}

/** Stands in for rows that are not rendered, so the scrollbar is right. */
function Spacer(props: { height: number }) {
  return (
    <tr className="spacer" aria-hidden="true">
      <td colSpan={8} style={{ height: props.height }} />
    </tr>
  );
}

function MachineRowView(props: {
  row: MachineRow;
  now: number;
  rowIndex: number;
  selected: boolean;
  tabbable: boolean;
  registerRow: (key: string, el: HTMLTableRowElement | null) => void;
  onSelect: (key: string) => void;
  onOpen: (key: string) => void;
  proposal: Proposal | undefined;
  proposed: boolean;
  columns: ReadonlySet<ColumnId>;
  cards: boolean;
}) {
  const { row, selected, columns, cards } = props;
  const stale = row.freshness.state !== 'fresh';
  const show = (id: ColumnId) => cards || columns.has(id);
  const load =
    row.load1 !== null ? (
      <>
        {formatLoad(row.load1)}
        {row.cpus !== null ? <span className="sub">/ {row.cpus} CPUs</span> : null}
      </>
    ) : (
      <span className="muted">unknown</span>
    );
  const age =
    row.machine.createdAt !== null ? (
      formatSpan(props.now - row.machine.createdAt)
    ) : (
      <span className="muted">unknown</span>
    );
  return (
    <tr
      ref={(el) => props.registerRow(row.key, el)}
      data-testid="machine-row"
      data-key={row.key}
      className={`${selected ? 'is-selected' : ''}${row.freshness.state === 'stale' ? ' row-stale' : ''}${row.machine.removed ? ' row-removed' : ''}`}
      aria-selected={selected}
      aria-rowindex={props.rowIndex + 2}
      tabIndex={props.tabbable ? 0 : -1}
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
        <span className="sub">
          {row.machine.fleet}
          {show('provider') && !cards
            ? ''
            : ` · ${row.machine.provider} ${row.machine.serverType ?? row.machine.kind}`}
        </span>
      </td>
      {show('provider') && !cards ? (
        <td>
          {row.machine.provider}
          <span className="sub">{row.machine.serverType ?? row.machine.kind}</span>
        </td>
      ) : null}
      <td className="cell-status">
        <span className="badges">
          <StatusBadge
            state={row.state}
            providerStatus={row.machine.providerStatus}
            stale={row.machine.status.stale}
            removed={row.machine.removed}
          />
          {row.machine.removed ? null : <ActivityBadge row={row} />}
          {row.machine.removed ? null : <OrphanBadge machine={row.machine} now={props.now} />}
        </span>
        {/* The second line is always there, so a proposal appearing moves nothing. */}
        <span className="badges">
          {props.proposed || props.proposal ? (
            <>
              <span className="badge badge-proposed" data-testid="proposed">
                proposed
              </span>
              <KillButton proposal={props.proposal} />
            </>
          ) : null}
        </span>
      </td>
      <td className="cell-disk">
        <DiskBars disks={row.disks} stale={row.machine.disks.stale} levels={row.levels} />
      </td>
      <td className="cell-jobs">
        <JobsCell
          jobs={row.jobs}
          stale={row.machine.jobs.stale}
          partial={row.machine.jobs.value === null}
          unknownWhy={row.jobsUnknownWhy}
          now={props.now}
        />
      </td>
      {cards ? (
        <td className="cell-meta small">
          <span>load {load}</span>
          <span>
            age {age} <OrphanCost machine={row.machine} now={props.now} />
          </span>
          <FreshnessCell freshness={row.freshness} now={props.now} />
        </td>
      ) : (
        <>
          {show('load') ? <td className="num">{load}</td> : null}
          {show('age') ? (
            <td className="num">
              {age}
              <OrphanCost machine={row.machine} now={props.now} />
            </td>
          ) : null}
          {show('fresh') ? (
            <td className={stale ? 'cell-stale' : undefined}>
              <FreshnessCell freshness={row.freshness} now={props.now} />
            </td>
          ) : null}
        </>
      )}
    </tr>
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
