import { useMemo } from 'react';
import type { JobMetrics } from '../../shared/job-metrics';
import {
  jobMetricsFileName,
  jobMetricsToCsv,
  jobMetricsToJson,
} from '../../shared/job-metrics-export';
import { useJobMetrics } from '../api/useJobMetrics';
import { formatSpan, formatTime } from '../format';
import { chartSpecs } from '../job-metrics-charts';
import { saveTextFile } from '../save-file';
import { MetricChart } from './MetricChart';
import { StateMessage } from './StateMessage';

/** Props of the job metrics panel. */
export interface JobMetricsPanelProps {
  /** The job: its GitLab URL (`…/-/jobs/123`) or its id. */
  job: string | number;
  /** Settings id of the GitLab instance, for a bare id that several instances could have. */
  instance?: string | null;
  /** Shows a close button when given. */
  onClose?: () => void;
}

/**
 * A job's machine during the job: CPU, memory, load, disk used, disk I/O and network,
 * with the trace's phases shaded, from Prometheus or from the local store once saved;
 * downloads as CSV and JSON. Drop it anywhere: it reads through the transport itself.
 */
export function JobMetricsPanel(props: JobMetricsPanelProps) {
  const job = String(props.job);
  const query = useJobMetrics(job, props.instance ?? null);
  return (
    <section className="job-metrics" aria-label={`Metrics of job ${job}`} data-testid="job-metrics">
      {props.onClose ? (
        <button
          type="button"
          className="job-metrics-close"
          onClick={props.onClose}
          aria-label="Close job metrics"
        >
          ✕
        </button>
      ) : null}
      {query.isPending ? (
        <StateMessage kind="loading" title="Reading the job's machine metrics…">
          <p>From the local store, or from Prometheus over the job's time window.</p>
        </StateMessage>
      ) : query.isError ? (
        <StateMessage kind="error" title="No metrics for this job">
          <p>{query.error.message}</p>
          <button type="button" onClick={() => void query.refetch()}>
            Try again
          </button>
        </StateMessage>
      ) : (
        <MetricsBody metrics={query.data} />
      )}
    </section>
  );
}

function MetricsBody(props: { metrics: JobMetrics }) {
  const { metrics } = props;
  const charts = useMemo(() => chartSpecs(metrics), [metrics]);
  const { job } = metrics;
  const end = job.finishedAt;
  return (
    <>
      <div className="job-metrics-head">
        <h2>
          Job #{job.jobId}
          {job.name ? ` ${job.name}` : ''}
        </h2>
        <p className="small">
          {job.projectPath ? `${job.projectPath} · ` : ''}
          on <strong>{job.machine}</strong> · {job.status} · started {formatTime(job.startedAt)}
          {end !== null ? `, ran ${formatSpan(end - job.startedAt)}` : ', still running'}
          {job.jobUrl ? (
            <>
              {' · '}
              <a href={job.jobUrl} target="_blank" rel="noreferrer">
                open in GitLab
              </a>
            </>
          ) : null}
        </p>
        <p className="small muted" data-testid="job-metrics-origin">
          {metrics.origin === 'store'
            ? `Saved locally ${metrics.savedAt !== null ? formatTime(metrics.savedAt) : ''} — shown from the store, Prometheus may no longer have it.`
            : metrics.savedAt !== null
              ? `From Prometheus ${metrics.prometheus}, saved locally.`
              : `From Prometheus ${metrics.prometheus}; saved once the job has finished.`}{' '}
          Step {metrics.window.stepSec} s, {metrics.timestamps.length} points.
        </p>
        <div className="job-metrics-actions">
          <button
            type="button"
            onClick={() =>
              saveTextFile(
                jobMetricsFileName(metrics, 'csv'),
                'text/csv;charset=utf-8',
                jobMetricsToCsv(metrics),
              )
            }
          >
            Download CSV
          </button>
          <button
            type="button"
            onClick={() =>
              saveTextFile(
                jobMetricsFileName(metrics, 'json'),
                'application/json',
                jobMetricsToJson(metrics),
              )
            }
          >
            Download JSON
          </button>
        </div>
      </div>
      {metrics.warnings.length > 0 ? (
        <ul className="job-metrics-warnings" role="note">
          {metrics.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
      {metrics.phases.length > 0 ? (
        <ol className="job-phases small" aria-label="Job phases">
          {metrics.phases.map((p) => (
            <li key={`${p.name}-${p.startedAt}`}>
              <span className="job-phase-name">{p.name}</span>{' '}
              <span className="muted num">
                {p.finishedAt !== null ? formatSpan(p.finishedAt - p.startedAt) : 'no end'}
              </span>
            </li>
          ))}
        </ol>
      ) : (
        <p className="small muted">The trace has no section times: no phases to mark.</p>
      )}
      <div className="metric-charts">
        {charts.map((spec) => (
          <MetricChart key={spec.id} spec={spec} phases={metrics.phases} />
        ))}
      </div>
    </>
  );
}
