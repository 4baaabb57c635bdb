import { useEffect } from 'react';
import type { JobMetricsAvailability, TimelineJob, TimelineRow } from '../../shared/timeline';
import { useOpenJob } from '../api/useTimeline';
import { formatTime } from '../format';
import { durationText, jobTitle, STATUS_LABEL } from './format-job';
import { JobMetricsPanel } from '../components/JobMetricsPanel';
import { JobCostText } from './JobCostText';
import { JobMetricsSlot } from './JobMetricsSlot';

const PLACED_BY: Record<TimelineJob['placedBy'], string> = {
  trace: "from the job's trace (Running on … via <machine>)",
  container: "from the job container's labels on the machine",
  none: 'no machine known yet',
};

/** The selected job: details, "Open in GitLab" through the host, and the metrics slot. */
export function JobPanel(props: {
  job: TimelineJob;
  row: TimelineRow | null;
  availability: JobMetricsAvailability | null;
  now: number;
  disabled: boolean;
  /** Open the job in GitLab right away (it was double-clicked). */
  autoOpen: boolean;
  onClose(): void;
}) {
  const { job, row } = props;
  const open = useOpenJob();
  const { mutate } = open;
  // Mounted per job (keyed by the view), so this runs once per double-click.
  useEffect(() => {
    if (props.autoOpen && !props.disabled) mutate(job.key);
  }, [props.autoOpen, props.disabled, mutate, job.key]);
  return (
    <aside className="tl-panel" aria-label={`Job ${jobTitle(job)}`} data-testid="job-panel">
      <header className="tl-panel-head">
        <h2>{jobTitle(job)}</h2>
        <button type="button" onClick={props.onClose} aria-label="Close job details">
          ×
        </button>
      </header>
      <dl className="tl-panel-facts">
        <dt>Status</dt>
        <dd>
          <span className={`tl-swatch tl-status-${job.status}`} aria-hidden="true" />{' '}
          {STATUS_LABEL[job.status]}
          {job.gitlabStatus !== job.status ? ` (${job.gitlabStatus})` : ''}
        </dd>
        <dt>Project</dt>
        <dd>{job.projectPath ?? 'unknown'}</dd>
        <dt>Ref</dt>
        <dd>{job.ref ?? 'unknown'}</dd>
        <dt>User</dt>
        <dd>{job.user ?? 'unknown'}</dd>
        <dt>Pipeline</dt>
        <dd>{job.pipelineId === null ? 'unknown' : `#${job.pipelineId}`}</dd>
        <dt>Started</dt>
        <dd>{formatTime(job.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>{job.finishedAt === null ? 'still running' : formatTime(job.finishedAt)}</dd>
        <dt>Duration</dt>
        <dd data-testid="job-duration">{durationText(job, props.now)}</dd>
        <dt>Machine</dt>
        <dd>
          {row?.kind === 'machine'
            ? row.name
            : row?.kind === 'gone'
              ? `${row.name} (gone)`
              : 'unknown'}
          <div className="muted small">{PLACED_BY[job.placedBy]}</div>
        </dd>
        <dt>Cost</dt>
        <dd data-testid="job-cost">
          <JobCostText jobKey={job.key} running={job.finishedAt === null} detailed />
        </dd>
        <dt>GitLab</dt>
        <dd>{job.instance}</dd>
      </dl>
      <div className="tl-panel-actions">
        <button
          type="button"
          className="primary"
          disabled={props.disabled || open.isPending}
          onClick={() => open.mutate(job.key)}
          data-testid="open-in-gitlab"
        >
          {open.isPending ? 'Opening…' : 'Open in GitLab'}
        </button>
        {open.data ? (
          <p className="small" data-testid="opened-url">
            {open.data.opened ? 'Opened in your browser: ' : 'Opened in a new tab: '}
            <code>{open.data.url}</code>
          </p>
        ) : null}
        {open.error ? (
          <p className="tl-error small" role="alert" data-testid="open-error">
            Could not open the job: {open.error.message}
          </p>
        ) : null}
      </div>
      <JobMetricsSlot
        job={job}
        availability={props.availability}
        // By id and instance: the URL the runner wrote may name another address than the settings.
        panel={(selected) => <JobMetricsPanel job={selected.jobId} instance={selected.instance} />}
      />
    </aside>
  );
}
