import { useMemo, useState } from 'react';
import type { FleetSnapshot } from '../../shared/fleet';
import type { PruneAction, PruneCandidate, Runner } from '../../shared/runner';
import type { TransportError } from '../api/transport';
import { useConnected, useFleet } from '../api/useFleet';
import { usePrune, usePrunePreview } from '../api/useRunners';
import { SnapshotGate } from '../components/SnapshotGate';
import { StateMessage } from '../components/StateMessage';
import { formatAgo, formatTime } from '../format';
import { useNow } from '../hooks/useNow';

type RunnerSortKey = 'instance' | 'status' | 'contact' | 'description';

/** Text a filter searches in: instance, id, description, status, version, tags, stale reason. */
function haystack(runner: Runner): string {
  return [
    runner.instance,
    String(runner.id),
    runner.description ?? '',
    runner.status,
    runner.version ?? '',
    runner.paused ? 'paused' : '',
    runner.staleReason ?? '',
    ...runner.tags,
  ]
    .join(' ')
    .toLowerCase();
}

const STATUS_ORDER = ['stale', 'offline', 'never_contacted', 'unknown', 'online'];

/** Filters and sorts runners; stale and silent ones first by default, unknown contact last. */
export function filterSortRunners(
  runners: readonly Runner[],
  filter: string,
  sort: RunnerSortKey,
): Runner[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const kept = runners.filter((runner) => {
    const text = haystack(runner);
    return words.every((word) => text.includes(word));
  });
  const byKey = (a: Runner, b: Runner) => a.key.localeCompare(b.key);
  const compare: Record<RunnerSortKey, (a: Runner, b: Runner) => number> = {
    instance: (a, b) => a.instance.localeCompare(b.instance) || a.id - b.id,
    description: (a, b) => (a.description ?? '').localeCompare(b.description ?? '') || byKey(a, b),
    status: (a, b) =>
      STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || byKey(a, b),
    // Oldest contact first: those are the ones to look at; never contacted goes last.
    contact: (a, b) =>
      (a.contactedAt ?? Number.MAX_SAFE_INTEGER) - (b.contactedAt ?? Number.MAX_SAFE_INTEGER) ||
      byKey(a, b),
  };
  return [...kept].sort(compare[sort]);
}

/** GitLab runners across instances, with stale-runner removal (preview first). */
export function RunnersView() {
  const fleet = useFleet();
  return (
    <div className="view runners-view">
      <SnapshotGate fleet={fleet} what="the runners">
        {(snapshot) => <RunnersContent snapshot={snapshot} />}
      </SnapshotGate>
    </div>
  );
}

function RunnersContent(props: { snapshot: FleetSnapshot }) {
  const now = useNow();
  const runners = props.snapshot.runners;
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<RunnerSortKey>('status');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const preview = usePrunePreview();
  const prune = usePrune();
  const rows = useMemo(() => filterSortRunners(runners, filter, sort), [runners, filter, sort]);
  const staleCount = runners.filter((runner) => runner.staleReason !== null).length;

  if (runners.length === 0) {
    const gitlab = props.snapshot.sources.filter((source) => source.kind === 'gitlab');
    return (
      <StateMessage kind="empty" title="No runners">
        <p>
          {gitlab.length === 0
            ? 'No GitLab instance is set up: add one (URL and token) to the gitlab list of the config file, then restart Runner Watch.'
            : gitlab.some((source) => source.state === 'pending')
              ? 'Waiting for the first collection from GitLab…'
              : 'GitLab lists no runner this token can see. An admin token lists every runner of an instance; other tokens only the runners of their projects and groups.'}
        </p>
      </StateMessage>
    );
  }

  const toggle = (key: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  return (
    <>
      <div className="toolbar">
        <input
          type="search"
          className="filter"
          placeholder="Filter runners, tags, versions…"
          aria-label="Filter runners"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
        <label className="small">
          Sort by{' '}
          <select
            aria-label="Sort runners"
            value={sort}
            onChange={(event) => setSort(event.target.value as RunnerSortKey)}
          >
            <option value="status">status (stale first)</option>
            <option value="contact">last contact (oldest first)</option>
            <option value="instance">instance and id</option>
            <option value="description">description</option>
          </select>
        </label>
        <span className="count num" data-testid="runner-count">
          {rows.length === runners.length
            ? `${runners.length} runners, ${staleCount} stale`
            : `${rows.length} of ${runners.length} runners`}
        </span>
        <button
          type="button"
          onClick={() => {
            prune.reset();
            preview.mutate({});
          }}
          disabled={preview.isPending}
          data-testid="preview-button"
        >
          {preview.isPending ? 'Previewing…' : 'Preview removal'}
        </button>
      </div>
      <div className="table-scroll runners-scroll">
        <table className="runners" aria-label="Runners">
          <thead>
            <tr>
              <th scope="col" className="col-select">
                <span className="visually-hidden">Select</span>
              </th>
              <th scope="col">Instance</th>
              <th scope="col">Id</th>
              <th scope="col">Description</th>
              <th scope="col">Status</th>
              <th scope="col">Version</th>
              <th scope="col">Managers</th>
              <th scope="col">Tags</th>
              <th scope="col">Last contact</th>
              <th scope="col">Paused</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={10}>
                  No runner matches “{filter}”.{' '}
                  <button type="button" onClick={() => setFilter('')}>
                    Clear the filter
                  </button>
                </td>
              </tr>
            ) : (
              rows.map((runner) => (
                <RunnerRow
                  key={runner.key}
                  runner={runner}
                  now={now}
                  selected={selected.has(runner.key)}
                  onToggle={toggle}
                />
              ))
            )}
          </tbody>
        </table>
      </div>
      {preview.isError ? (
        <p role="alert" className="error-text" data-testid="preview-error">
          {explain(preview.error, 'The preview failed')}
        </p>
      ) : null}
      {preview.data ? (
        <PrunePanel
          candidates={preview.data.candidates}
          blocked={preview.data.blocked}
          selected={selected}
          busy={prune.isPending}
          onRun={(keys, action) => prune.mutate({ keys, action })}
        />
      ) : null}
      {prune.isError ? (
        <p role="alert" className="error-text" data-testid="prune-error">
          {explain(prune.error, 'Removal failed')}
        </p>
      ) : null}
      {prune.data ? (
        <section className="panel" aria-label="Removal results" data-testid="prune-results">
          <h3>
            {prune.data.dryRun ? 'Dry run: ' : ''}
            {prune.data.action === 'delete' ? 'Removal' : 'Pause'} results
          </h3>
          <ul>
            {prune.data.results.map((outcome) => (
              <li key={outcome.key} data-testid="prune-outcome" data-result={outcome.result}>
                <span className={`badge badge-r-${outcome.result}`}>{outcome.result}</span>{' '}
                {outcome.instance} #{outcome.id} {outcome.description ?? ''} — {outcome.reason}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

/** A failed call said plainly; a missing scope names the scope. */
function explain(error: TransportError, what: string): string {
  if (error.code === 'forbidden')
    return `${what}: the GitLab token lacks the scope or role for it (removing and pausing runners needs the manage_runner or api scope). ${error.message}`;
  if (error.code === 'unauthenticated') return `${what}: ${error.message}`;
  return `${what}: ${error.message}`;
}

function RunnerRow(props: {
  runner: Runner;
  now: number;
  selected: boolean;
  onToggle: (key: string) => void;
}) {
  const { runner } = props;
  const stale = runner.staleReason !== null;
  const versions = [...new Set(runner.managers.map((m) => m.version ?? 'unknown'))];
  return (
    <tr
      data-testid="runner-row"
      data-key={runner.key}
      data-stale={stale ? 'true' : 'false'}
      className={props.selected ? 'is-selected' : undefined}
    >
      <td className="col-select">
        {stale ? (
          <input
            type="checkbox"
            checked={props.selected}
            onChange={() => props.onToggle(runner.key)}
            aria-label={`Select stale runner ${runner.instance} #${runner.id}`}
          />
        ) : null}
      </td>
      <td>{runner.instance}</td>
      <td className="num">{runner.id}</td>
      <td>
        {runner.description ?? <span className="muted">no description</span>}
        {stale ? (
          <span className="sub warn-text" data-testid="stale-reason">
            {runner.staleReason}
          </span>
        ) : null}
      </td>
      <td>
        <span className={`badge badge-rs-${runner.status}`} data-testid="runner-status">
          {runner.status}
        </span>
      </td>
      <td>{runner.version ?? <span className="muted">unknown</span>}</td>
      <td title={runner.managers.map((m) => `${m.systemId} ${m.version ?? ''}`).join('\n')}>
        {runner.managers.length}
        {versions.length > 0 ? <span className="sub">{versions.join(', ')}</span> : null}
      </td>
      <td className="tags">{runner.tags.join(', ') || <span className="muted">none</span>}</td>
      <td className="num" title={runner.contactedAt ? formatTime(runner.contactedAt) : undefined}>
        {runner.contactedAt !== null ? (
          formatAgo(runner.contactedAt, props.now)
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td>
        {runner.paused === null ? (
          <span className="muted">unknown</span>
        ) : runner.paused ? (
          'paused'
        ) : (
          'no'
        )}
      </td>
    </tr>
  );
}

/**
 * The dry-run list: what removal would touch and why each runner is stale, and instances
 * whose token cannot prune. The runners chosen in the table, or every candidate when none is.
 */
function PrunePanel(props: {
  candidates: PruneCandidate[];
  blocked: { instance: string; reason: string }[];
  selected: ReadonlySet<string>;
  busy: boolean;
  onRun: (keys: string[], action: PruneAction) => void;
}) {
  const chosen =
    props.selected.size > 0
      ? props.candidates.filter((candidate) => props.selected.has(candidate.key))
      : props.candidates;
  const keys = chosen.map((candidate) => candidate.key);
  const n = keys.length;
  const connected = useConnected();
  return (
    <section className="panel" aria-label="Removal preview" data-testid="prune-preview">
      <h3>Preview: nothing has been removed</h3>
      {props.candidates.length === 0 ? (
        <p>No stale runner to remove.</p>
      ) : (
        <>
          <p className="small muted">
            {props.selected.size > 0
              ? `${n} of the ${props.candidates.length} stale runners you selected`
              : `All ${props.candidates.length} stale runners (select some in the table to narrow this)`}
          </p>
          <ul>
            {chosen.map((candidate) => (
              <li key={candidate.key} data-testid="prune-candidate" data-key={candidate.key}>
                {candidate.instance} #{candidate.id} {candidate.description ?? ''} —{' '}
                <span data-testid="candidate-reason">{candidate.reason}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {props.blocked.length > 0 ? (
        <ul
          className="blocked"
          aria-label="Instances that cannot prune"
          data-testid="prune-blocked"
        >
          {props.blocked.map((entry) => (
            <li key={entry.instance}>
              {entry.instance}: {entry.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {n > 0 ? (
        <div className="panel-actions">
          <button
            type="button"
            className="danger"
            disabled={props.busy || !connected}
            onClick={() => props.onRun(keys, 'delete')}
            data-testid="remove-button"
          >
            Remove {n} runner{n === 1 ? '' : 's'}
          </button>
          <button
            type="button"
            disabled={props.busy || !connected}
            onClick={() => props.onRun(keys, 'pause')}
            data-testid="pause-button"
          >
            Pause {n} instead
          </button>
          {props.busy ? (
            <span role="status" data-testid="prune-progress">
              <span className="spinner" aria-hidden="true" /> Re-checking and removing {n} runner
              {n === 1 ? '' : 's'} in batches…
            </span>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
