import type { TimelineRow } from '../../shared/timeline';
import { clockTime, durationText, jobTitle, MARK_LABEL, STATUS_LABEL } from './format-job';
import type { TimelineLayout } from './layout';
import type { Pointed } from './hit-test';
import { JobCostText } from './JobCostText';

const ROW_KIND: Record<TimelineRow['kind'], string> = {
  machine: 'machine',
  gone: 'gone: only its jobs or the audit log still name it',
  unplaced: 'jobs whose machine is not known (yet)',
};

/** The hover (or keyboard) tooltip: a job's details, what a mark says, or a row's full name. */
export function TimelineTooltip(props: {
  pointed: Pointed;
  layout: TimelineLayout;
  now: number;
  rows: readonly TimelineRow[];
}) {
  const { hit, x, y } = props.pointed;
  if (!hit) return null;
  const left = Math.min(Math.max(8, x + 14), props.layout.width - 300);
  const top = Math.min(y + 18, props.layout.height - 150);
  if (hit.kind === 'row') {
    // Over the label column: the full name (the label may be cut in the middle).
    const row = props.rows[hit.row];
    if (!row || x >= props.layout.labelWidth) return null;
    return (
      <div
        className="tl-tooltip"
        role="tooltip"
        data-testid="timeline-tooltip"
        style={{ left, top }}
      >
        <strong>{row.name}</strong>
        <div>
          {ROW_KIND[row.kind]}
          {row.fleet ? ` · fleet ${row.fleet}` : ''}
          {row.state ? ` · ${row.state}` : ''}
        </div>
        <div>
          {row.jobs.length} jobs in the last day · {row.marks.length} marks
        </div>
      </div>
    );
  }
  if (hit.kind === 'mark') {
    return (
      <div
        className="tl-tooltip"
        role="tooltip"
        data-testid="timeline-tooltip"
        style={{ left, top }}
      >
        <strong>{MARK_LABEL[hit.mark.kind]}</strong> at {clockTime(hit.mark.at)}
        <div>{hit.mark.text}</div>
      </div>
    );
  }
  const job = hit.job;
  return (
    <div className="tl-tooltip" role="tooltip" data-testid="timeline-tooltip" style={{ left, top }}>
      <strong>{jobTitle(job)}</strong>
      <dl>
        <dt>Project</dt>
        <dd>{job.projectPath ?? 'unknown'}</dd>
        <dt>Ref</dt>
        <dd>{job.ref ?? 'unknown'}</dd>
        <dt>User</dt>
        <dd>{job.user ?? 'unknown'}</dd>
        <dt>Started</dt>
        <dd>{clockTime(job.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>{durationText(job, props.now)}</dd>
        <dt>Status</dt>
        <dd>
          {STATUS_LABEL[job.status]}
          {job.gitlabStatus !== job.status ? ` (${job.gitlabStatus})` : ''}
        </dd>
        <dt>Cost</dt>
        <dd data-testid="tooltip-job-cost">
          <JobCostText jobKey={job.key} running={job.finishedAt === null} />
        </dd>
      </dl>
    </div>
  );
}
