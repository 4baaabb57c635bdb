import { useCallback, useMemo, useState } from 'react';
import type { Timeline, TimelineJob } from '../../shared/timeline';
import { useFleet } from '../api/useFleet';
import { useTimeline, useTimelineFollowsFleet } from '../api/useTimeline';
import { SnapshotGate } from '../components/SnapshotGate';
import { StateMessage } from '../components/StateMessage';
import { formatSpan } from '../format';
import type { RowLevels } from '../timeline/draw';
import { clockTime } from '../timeline/format-job';
import { JobPanel } from '../timeline/JobPanel';
import { buildRowIndex } from '../timeline/row-index';
import { filterRows } from '../timeline/filter-rows';
import { RowJobsTable } from '../timeline/RowJobsTable';
import { TimelineCanvas } from '../timeline/TimelineCanvas';
import { TimelineLegend } from '../timeline/TimelineLegend';
import { useColorScheme } from '../timeline/useColorScheme';
import {
  clampWindow,
  isLive,
  PRESET_HOURS,
  zoomAt,
  type PanBounds,
  type TimeWindow,
} from '../timeline/viewport';

const HOUR = 3_600_000;
/** The view opens on the last three hours. */
const DEFAULT_HOURS = 3;
/** Room after now, so the "now" line is not on the edge. */
const AFTER_NOW_MS = 2 * 60_000;

/** The fleet timeline: jobs per machine over a window, disk heat, kills and proposals. */
export function TimelineView() {
  const fleet = useFleet();
  useTimelineFollowsFleet(fleet.query.data?.version);
  return (
    <div className="view timeline-view">
      <SnapshotGate fleet={fleet} what="the timeline">
        {() => <TimelineLoader disconnected={fleet.stream.state === 'down'} />}
      </SnapshotGate>
    </div>
  );
}

function TimelineLoader(props: { disconnected: boolean }) {
  const timeline = useTimeline();
  if (timeline.data)
    return <TimelineContent timeline={timeline.data} disconnected={props.disconnected} />;
  if (timeline.error) {
    return (
      <StateMessage kind="error" title="Cannot read the timeline">
        <p>{timeline.error.message}</p>
        <p>
          <button type="button" onClick={() => void timeline.refetch()}>
            Try again
          </button>
        </p>
      </StateMessage>
    );
  }
  return (
    <StateMessage kind="loading" title="Loading the timeline…">
      <p>Asking Runner Watch for the jobs of the last day.</p>
    </StateMessage>
  );
}

function boundsOf(timeline: Timeline): PanBounds {
  return { min: timeline.from, max: timeline.to + AFTER_NOW_MS };
}

/** What the user chose: a span that follows now, or a window they moved away from now. */
type ViewState = { live: true; span: number } | { live: false; window: TimeWindow };

function TimelineContent(props: { timeline: Timeline; disconnected: boolean }) {
  const { timeline } = props;
  const scheme = useColorScheme();
  // Short windows start with the legend folded, leaving the height to the rows.
  const [roomy] = useState(() => (globalThis.innerHeight ?? 900) >= 720);
  const now = timeline.generatedAt;
  const bounds = useMemo(() => boundsOf(timeline), [timeline]);
  // A live view keeps its span and ends just after now, moving along as data arrives; a
  // view the user panned or zoomed away from now stays where it was put.
  const [view, setView] = useState<ViewState>({ live: true, span: DEFAULT_HOURS * HOUR });
  const live = view.live;
  const shown = useMemo(
    () =>
      view.live
        ? clampWindow(
            { from: timeline.to + AFTER_NOW_MS - view.span, to: timeline.to + AFTER_NOW_MS },
            bounds,
          )
        : clampWindow(view.window, bounds),
    [view, timeline.to, bounds],
  );
  const [selectedRowKey, setSelectedRowKey] = useState<string | null>(null);
  // The job a double-click asked to open in GitLab; its panel opens it once when it mounts.
  const [autoOpenKey, setAutoOpenKey] = useState<string | null>(null);
  const [selectedJob, setSelectedJob] = useState<{ job: TimelineJob; rowKey: string } | null>(null);

  const changeWindow = useCallback(
    (next: TimeWindow) => {
      setView(
        isLive(next, timeline.to + AFTER_NOW_MS)
          ? { live: true, span: next.to - next.from }
          : { live: false, window: next },
      );
    },
    [timeline.to],
  );

  const [filter, setFilter] = useState('');
  const rows = useMemo(() => filterRows(timeline.rows, filter), [timeline.rows, filter]);
  // Indexed once per data change; filtering picks from them instead of indexing again.
  const indexByKey = useMemo(
    () => new Map(timeline.rows.map((row) => [row.key, buildRowIndex(row, now)])),
    [timeline.rows, now],
  );
  const indexes = useMemo(
    () => rows.map((row) => indexByKey.get(row.key) ?? buildRowIndex(row, now)),
    [rows, indexByKey, now],
  );
  const fleets = useMemo(() => new Map(timeline.fleets.map((f) => [f.id, f])), [timeline.fleets]);
  const levels = useMemo<RowLevels[]>(
    () =>
      rows.map((row) => {
        const fleet = row.fleet === null ? undefined : fleets.get(row.fleet);
        return { warnPct: fleet?.warnPct ?? 50, killPct: fleet?.thresholdPct ?? 60 };
      }),
    [rows, fleets],
  );
  const rowIndexOf = useMemo(() => new Map(rows.map((row, i) => [row.key, i])), [rows]);
  const selectedRow = selectedRowKey === null ? null : (rowIndexOf.get(selectedRowKey) ?? null);
  // The job shown in the panel, refreshed from the newest data (a running job finishes);
  // looked up in all rows, so a filter that hides its row leaves the panel as it was.
  const panelJob = useMemo(() => {
    if (!selectedJob) return null;
    const row = timeline.rows.find((r) => r.key === selectedJob.rowKey) ?? null;
    const fresh = row?.jobs.find((j) => j.key === selectedJob.job.key);
    return { job: fresh ?? selectedJob.job, row };
  }, [selectedJob, timeline.rows]);

  const activate = useCallback(
    (row: number, job: TimelineJob) => {
      const key = rows[row]?.key;
      if (key === undefined) return;
      setSelectedRowKey(key);
      setSelectedJob({ job, rowKey: key });
      // A plain click or Enter only shows the job; a double-click sets this again after.
      setAutoOpenKey(null);
    },
    [rows],
  );

  const span = shown.to - shown.from;
  const jobCount = useMemo(() => rows.reduce((n, row) => n + row.jobs.length, 0), [rows]);
  const panelFleet = panelJob?.row?.fleet ? fleets.get(panelJob.row.fleet) : undefined;

  return (
    <div className={`tl-layout${panelJob ? ' has-panel' : ''}`}>
      <div className="tl-main">
        <div className="toolbar tl-toolbar" role="toolbar" aria-label="Timeline window">
          <span className="tl-presets" role="group" aria-label="Show the last">
            {PRESET_HOURS.map((hours) => (
              <button
                key={hours}
                type="button"
                aria-pressed={live && Math.abs(span - hours * HOUR) < 1000}
                onClick={() => setView({ live: true, span: hours * HOUR })}
                data-testid={`preset-${hours}h`}
              >
                {hours} h
              </button>
            ))}
          </span>
          <button
            type="button"
            onClick={() => changeWindow(zoomAt(shown, live ? 1 : 0.5, 0.5, bounds))}
            aria-label="Zoom in"
          >
            +
          </button>
          <button
            type="button"
            onClick={() => changeWindow(zoomAt(shown, live ? 1 : 0.5, 2, bounds))}
            aria-label="Zoom out"
          >
            −
          </button>
          <button type="button" disabled={live} onClick={() => setView({ live: true, span })}>
            Now
          </button>
          <input
            type="search"
            className="filter tl-filter"
            placeholder="Filter: machine, project, ref, user…"
            aria-label="Filter timeline rows"
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
          />
          <span className="tl-window small" data-testid="timeline-window" aria-live="polite">
            {clockTime(shown.from)} – {clockTime(shown.to)} ({formatSpan(span)})
            {live ? ' · following now' : ''}
          </span>
          <span className="muted small tl-counts" data-testid="timeline-counts">
            {rows.length === timeline.rows.length ? '' : `${rows.length} of `}
            {timeline.rows.length} rows · {jobCount} jobs in the last{' '}
            {Math.round((timeline.to - timeline.from) / HOUR)} h
          </span>
        </div>
        {props.disconnected ? (
          <p className="banner banner-down tl-banner" role="alert" data-testid="timeline-down">
            Disconnected from Runner Watch: this is the timeline as last read. Opening jobs is off
            until the connection is back.
          </p>
        ) : null}
        {timeline.warnings.length > 0 ? (
          <ul className="tl-warnings small" aria-label="Timeline warnings">
            {timeline.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        ) : null}
        {timeline.rows.length === 0 ? (
          <StateMessage kind="empty" title="Nothing on the timeline yet">
            <p>
              No machines are known and no jobs were collected. The first collection cycle fills it.
            </p>
          </StateMessage>
        ) : rows.length === 0 ? (
          <StateMessage kind="empty" title="No row matches the filter">
            <p>
              Nothing of the {timeline.rows.length} rows contains “{filter}”.
            </p>
          </StateMessage>
        ) : (
          <TimelineCanvas
            rows={rows}
            indexes={indexes}
            levels={levels}
            window={shown}
            bounds={bounds}
            now={now}
            jobsSince={timeline.jobsSince}
            diskBucketMs={timeline.diskBucketMs}
            scheme={scheme}
            selectedRow={selectedRow}
            selectedJobKey={panelJob?.job.key ?? null}
            onWindowChange={changeWindow}
            onSelectRow={(row) => setSelectedRowKey(rows[row]?.key ?? null)}
            onActivateJob={activate}
            onOpenJob={(row, job) => {
              activate(row, job);
              setAutoOpenKey(job.key);
            }}
            onEscape={() => setSelectedJob(null)}
          />
        )}
        <details className="tl-key" open={roomy} data-testid="timeline-key">
          <summary className="small">Legend and keys</summary>
          <p id="tl-help" className="muted small tl-help">
            Drag or ←/→ to pan · Ctrl + wheel, pinch or +/− to zoom · wheel or ↑/↓ to move between
            rows · [ and ] to step through a row&apos;s jobs, Enter or a click for its details, a
            double-click to open it in GitLab.
          </p>
          <TimelineLegend />
        </details>
        <RowJobsTable
          row={selectedRow === null ? null : (rows[selectedRow] ?? null)}
          index={selectedRow === null ? null : (indexes[selectedRow] ?? null)}
          window={shown}
          now={now}
          selectedJobKey={panelJob?.job.key ?? null}
          onActivateJob={(job) => {
            if (selectedRow !== null) activate(selectedRow, job);
          }}
        />
      </div>
      {panelJob ? (
        <JobPanel
          key={panelJob.job.key}
          autoOpen={autoOpenKey === panelJob.job.key}
          job={panelJob.job}
          row={panelJob.row}
          availability={panelFleet?.jobMetrics ?? null}
          now={now}
          disabled={props.disconnected}
          onClose={() => setSelectedJob(null)}
        />
      ) : null}
    </div>
  );
}
