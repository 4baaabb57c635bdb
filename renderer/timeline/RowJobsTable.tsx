import type { TimelineJob, TimelineRow } from '../../shared/timeline';
import { clockTime, durationText, jobTitle, MARK_LABEL, STATUS_LABEL } from './format-job';
import { visibleJobRange, type RowIndex } from './row-index';
import type { TimeWindow } from './viewport';

/** At most this many jobs are listed; the canvas shows the rest. */
const MAX_LISTED = 200;

/**
 * The text alternative of the canvas: the selected row's jobs and marks inside the window,
 * as a table a screen reader can read and a keyboard can reach; each job opens its panel.
 */
export function RowJobsTable(props: {
  row: TimelineRow | null;
  index: RowIndex | null;
  window: TimeWindow;
  now: number;
  selectedJobKey: string | null;
  onActivateJob(job: TimelineJob): void;
}) {
  const { row, index } = props;
  if (!row || !index) {
    return (
      <p className="muted small tl-table-hint" data-testid="timeline-table-hint">
        Choose a row (click it, or ↑/↓ on the timeline) to list its jobs here.
      </p>
    );
  }
  const [lo, hi] = visibleJobRange(index, props.window.from, props.window.to);
  const jobs: TimelineJob[] = [];
  for (let i = lo; i < hi && jobs.length < MAX_LISTED; i++) {
    const job = index.jobs[i];
    if (job && (index.ends[i] ?? 0) >= props.window.from) jobs.push(job);
  }
  const marks = row.marks.filter((m) => m.at >= props.window.from && m.at <= props.window.to);
  const caption = `${row.name}${row.kind === 'gone' ? ' (gone)' : ''}: ${jobs.length}${hi - lo > MAX_LISTED ? '+' : ''} jobs between ${clockTime(props.window.from)} and ${clockTime(props.window.to)}`;
  return (
    <div className="tl-table-wrap" data-testid="timeline-table">
      <table className="tl-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Project</th>
            <th scope="col">Ref</th>
            <th scope="col">User</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr
              key={job.key}
              className={job.key === props.selectedJobKey ? 'is-selected' : undefined}
              aria-current={job.key === props.selectedJobKey ? 'true' : undefined}
            >
              <td>
                <button type="button" className="link" onClick={() => props.onActivateJob(job)}>
                  {jobTitle(job)}
                </button>
              </td>
              <td>{job.projectPath ?? 'unknown'}</td>
              <td>{job.ref ?? 'unknown'}</td>
              <td>{job.user ?? 'unknown'}</td>
              <td>{clockTime(job.startedAt)}</td>
              <td>{durationText(job, props.now)}</td>
              <td>
                <span className={`tl-swatch tl-status-${job.status}`} aria-hidden="true" />{' '}
                {STATUS_LABEL[job.status]}
              </td>
            </tr>
          ))}
          {jobs.length === 0 ? (
            <tr>
              <td colSpan={7} className="muted">
                No jobs of this row in the window.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {marks.length > 0 ? (
        <ul className="tl-marks-list small" aria-label={`Events of ${row.name}`}>
          {marks.map((mark) => (
            <li key={`${mark.at}-${mark.kind}-${mark.proposalId ?? ''}`}>
              <span className={`tl-mark tl-mark-${mark.kind}`} aria-hidden="true" />{' '}
              {clockTime(mark.at)} {MARK_LABEL[mark.kind]}: {mark.text}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
