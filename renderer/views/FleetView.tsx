import { useMemo, useState } from 'react';
import type { FleetSnapshot } from '../../shared/fleet';
import { OPEN_WITH_TOKEN_MESSAGE, type StreamStatus, type TransportError } from '../api/transport';
import { useFleet } from '../api/useFleet';
import { DISK_PCT_DEFINITION } from '../components/DiskBars';
import { useMachineFocus } from '../components/HostOpenRequests';
import { canOpenConfirm, confirmableByMachine } from '../components/KillDialogProvider';
import { CheckNowButton } from '../components/CheckNowButton';
import { InsightsPanel } from '../components/InsightsPanel';
import { MachineDetails } from '../components/MachineDetails';
import { MachineTable } from '../components/MachineTable';
import { RunnerCounters } from '../components/RunnerCounters';
import { SourcesStrip } from '../components/SourcesStrip';
import { StateMessage } from '../components/StateMessage';
import { filterRows, sortRows, toRows, type Sort, type SortKey } from '../fleet-rows';
import { useNow } from '../hooks/useNow';

/** Default direction per column: the worst machines (fullest, busiest) first. */
const DESCENDING_FIRST: Record<SortKey, boolean> = { name: false, disk: true, jobs: true };

/** The Fleet view: every machine with disks, jobs, load and freshness; sources above. */
export function FleetView() {
  const { query, stream, dropped } = useFleet();
  const now = useNow();
  const snapshot = query.data;

  if (snapshot === undefined) {
    const streamError = stream.state === 'down' ? stream.error : null;
    const error = query.error ?? (streamError?.code === 'unauthenticated' ? streamError : null);
    if (error) return <ErrorState error={error} onRetry={() => void query.refetch()} />;
    return (
      <StateMessage kind="loading" title="Loading the fleet…">
        <p>Asking Runner Watch for the machines it watches.</p>
        {query.failureReason ? (
          <p className="muted" data-testid="still-trying">
            Still trying: {query.failureReason.message}
          </p>
        ) : null}
      </StateMessage>
    );
  }
  return <FleetContent snapshot={snapshot} stream={stream} dropped={dropped} now={now} />;
}

function FleetContent(props: {
  snapshot: FleetSnapshot;
  stream: StreamStatus;
  dropped: TransportError | null;
  now: number;
}) {
  const { snapshot, stream, now } = props;
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<Sort>({ key: 'name', descending: false });
  const [selected, setSelected] = useState<string | null>(null);
  const [detailsOpen, setDetailsOpen] = useState(false);
  // The desktop app asked to show a machine (tray entry, notification): open its details.
  // Adjusted while rendering (React's pattern for state that follows a changed input).
  const focus = useMachineFocus();
  const [focusSeen, setFocusSeen] = useState<number | null>(null);
  if (focus && focus.seq !== focusSeen) {
    setFocusSeen(focus.seq);
    setFilter('');
    setSelected(focus.machineKey);
    setDetailsOpen(true);
  }

  const allRows = useMemo(
    () => toRows(snapshot.machines, snapshot.sources, now, snapshot.fleets),
    [snapshot, now],
  );
  const rows = useMemo(() => sortRows(filterRows(allRows, filter), sort), [allRows, filter, sort]);
  // A row offers "Kill…" only when nothing blocks it; blocked ones are explained in Proposals.
  const killable = useMemo(
    () => confirmableByMachine(snapshot.proposals.filter((p) => p.blocked.length === 0)),
    [snapshot.proposals],
  );
  const proposed = useMemo(
    () =>
      new Set(
        snapshot.proposals
          .filter((p) => canOpenConfirm(p) || p.state === 'pending')
          .map((p) => p.machineKey),
      ),
    [snapshot.proposals],
  );
  const openRow = detailsOpen ? allRows.find((row) => row.key === selected) : undefined;

  const onSort = (key: SortKey) =>
    setSort((current) =>
      current.key === key
        ? { key, descending: !current.descending }
        : { key, descending: DESCENDING_FIRST[key] },
    );

  return (
    <div className="fleet-view">
      <div className="toolbar">
        <input
          type="search"
          className="filter"
          placeholder="Filter machines, fleets, jobs…"
          aria-label="Filter machines"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
          onKeyDown={(event) => {
            // ↓ from the filter goes to the grid's current row, as in a combobox.
            if (event.key !== 'ArrowDown') return;
            event.preventDefault();
            document
              .querySelector<HTMLElement>('[data-testid="machine-row"][tabindex="0"]')
              ?.focus();
          }}
        />
        <span className="count num" data-testid="machine-count">
          {rows.length === allRows.length
            ? `${allRows.length} machines`
            : `${rows.length} of ${allRows.length} machines`}
        </span>
        <CheckNowButton />
        <StreamIndicator stream={stream} dropped={props.dropped} />
      </div>
      <SourcesStrip sources={snapshot.sources} now={now} connected={stream.state !== 'down'} />
      <RunnerCounters counters={snapshot.counters} now={now} />
      {allRows.length === 0 ? (
        <EmptyState snapshot={snapshot} />
      ) : rows.length === 0 ? (
        <StateMessage kind="empty" title={`No machine matches “${filter}”.`}>
          <p>
            The filter searches names, fleets, providers, states, labels and running jobs.{' '}
            <button type="button" onClick={() => setFilter('')}>
              Clear the filter
            </button>
          </p>
        </StateMessage>
      ) : (
        <>
          <MachineTable
            rows={rows}
            now={now}
            sort={sort}
            onSort={onSort}
            selected={selected}
            onSelect={setSelected}
            onOpen={(key) => {
              setSelected(key);
              setDetailsOpen(true);
            }}
            onClose={() => setDetailsOpen(false)}
            killable={killable}
            proposed={proposed}
          />
          <p className="legend small muted">
            {DISK_PCT_DEFINITION}. ↑/↓ move the selection, Enter opens details, Esc closes them.
          </p>
        </>
      )}
      <InsightsPanel />
      {openRow ? (
        <MachineDetails
          row={openRow}
          now={now}
          onClose={() => setDetailsOpen(false)}
          proposal={snapshot.proposals.find((p) => p.machineKey === openRow.key)}
        />
      ) : null}
    </div>
  );
}

function StreamIndicator(props: { stream: StreamStatus; dropped: TransportError | null }) {
  const { stream } = props;
  const text =
    stream.state === 'live'
      ? 'live'
      : stream.state === 'connecting'
        ? 'connecting…'
        : 'reconnecting…';
  const title =
    stream.state === 'down'
      ? `Updates paused: ${stream.error.message}`
      : 'Updates are pushed as they happen';
  const droppedNote = props.dropped
    ? `\nLast update dropped as invalid: ${props.dropped.message}`
    : '';
  return (
    <span
      className={`stream stream-${stream.state}`}
      data-testid="stream"
      title={title + droppedNote}
      role="status"
    >
      <span
        className={`dot dot-${stream.state === 'live' ? 'ok' : stream.state === 'down' ? 'failing' : 'pending'}`}
        aria-hidden="true"
      />
      {text}
    </span>
  );
}

function EmptyState(props: { snapshot: FleetSnapshot }) {
  const { sources } = props.snapshot;
  if (sources.length === 0) {
    return (
      <StateMessage kind="empty" title="No machines yet">
        <p>
          No machines yet: add a Hetzner project or SSH host in the config file (the{' '}
          <code>hetzner</code> or <code>sshHosts</code> list of the file passed with{' '}
          <code>--config</code>), then restart Runner Watch.
        </p>
      </StateMessage>
    );
  }
  const failing = sources.filter((source) => source.state === 'failing');
  if (failing.length > 0) {
    return (
      <StateMessage kind="empty" title="No machines yet">
        <p>
          {failing.length === 1 ? 'A source is failing' : `${failing.length} sources are failing`};
          their errors are shown above. Fix the cause (token, address, host key) in the config file;
          Runner Watch retries on its own.
        </p>
      </StateMessage>
    );
  }
  if (sources.some((source) => source.state === 'pending')) {
    return (
      <StateMessage kind="loading" title="No machines yet">
        <p>Waiting for the first collection of every source…</p>
      </StateMessage>
    );
  }
  return (
    <StateMessage kind="empty" title="No machines yet">
      <p>
        No machines yet: the sources answered but list no machine. Check the label selector or name
        prefix of the Hetzner project, or add an SSH host in the config file.
      </p>
    </StateMessage>
  );
}

function ErrorState(props: { error: TransportError; onRetry: () => void }) {
  if (props.error.code === 'unauthenticated') {
    return (
      <StateMessage kind="auth" title="Sign-in needed">
        <p>{OPEN_WITH_TOKEN_MESSAGE}</p>
        <p className="muted">
          The token is only in that URL; this page keeps it in a cookie once you have opened it.
        </p>
      </StateMessage>
    );
  }
  return (
    <StateMessage kind="error" title="Cannot reach Runner Watch">
      <p>Cannot reach Runner Watch: {props.error.message}</p>
      <p>
        Check that <code>runner-watch serve</code> (or the desktop app) is still running, then{' '}
        <button type="button" onClick={props.onRetry}>
          retry
        </button>
        .
      </p>
    </StateMessage>
  );
}
