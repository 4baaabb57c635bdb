import type { RunningJob } from '../../shared/machine';
import { formatSpan } from '../format';

/** Lines that fit the fixed row height; with more jobs, the last line counts the rest. */
const LINES = 2;

/** A job as one line: `#id project/path name`, with what is known. */
export function jobLabel(job: RunningJob): string {
  return [
    `#${job.jobId}`,
    job.projectPath ?? (job.projectId !== null ? `project ${job.projectId}` : null),
    job.name,
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * Running jobs of a machine; `null` says "unknown" (never "idle"). `partial`: the machine's
 * containers could not be read, so the list is what GitLab links to it, a lower bound.
 */
export function JobsCell(props: {
  jobs: RunningJob[] | null;
  stale: boolean;
  partial?: boolean;
  /** Why the containers are unknown when the settings say so (`MachineRow.jobsUnknownWhy`). */
  unknownWhy?: string | null;
  /** For the running time of each job; without it no duration is shown. */
  now?: number;
}) {
  const why = props.unknownWhy ? capitalise(props.unknownWhy) : null;
  if (props.jobs === null)
    return (
      <span
        className="muted"
        title={why ?? "No source could read this machine's jobs"}
        data-testid={why ? 'jobs-not-probed' : undefined}
      >
        {why ? 'unknown (not probed)' : 'unknown'}
      </span>
    );
  if (props.jobs.length === 0)
    return <span className={`muted${props.stale ? ' is-stale' : ''}`}>idle</span>;
  const shown = props.jobs.length <= LINES ? props.jobs.length : LINES - 1;
  const rest = props.jobs.length - shown;
  return (
    <ul
      className={`jobs${props.stale ? ' is-stale' : ''}`}
      title={[
        ...props.jobs.map(jobLabel),
        ...(props.partial
          ? [`${why ?? 'Containers on the machine unknown'}: these are the jobs GitLab links to it`]
          : []),
      ].join('\n')}
    >
      {props.jobs.slice(0, shown).map((job) => (
        <li key={job.jobId} className="job" data-testid="job">
          {job.jobUrl && /^https?:\/\//.test(job.jobUrl) ? (
            <a
              className="num"
              href={job.jobUrl}
              target="_blank"
              rel="noreferrer noopener"
              aria-label={`Job ${job.jobId} in GitLab`}
              // The row opens the details on click; the link opens the job.
              onClick={(event) => event.stopPropagation()}
              onKeyDown={(event) => event.stopPropagation()}
            >
              #{job.jobId}
            </a>
          ) : (
            <span className="num">#{job.jobId}</span>
          )}{' '}
          {job.projectPath ?? (job.projectId !== null ? `project ${job.projectId}` : '')}
          {job.name ? <span className="muted"> {job.name}</span> : null}
          {props.now !== undefined && job.startedAt !== null ? (
            <span className="num muted"> · {formatSpan(props.now - job.startedAt)}</span>
          ) : null}
        </li>
      ))}
      {rest > 0 ? <li className="muted">+{rest} more</li> : null}
    </ul>
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
