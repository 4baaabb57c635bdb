import type { ReactNode } from 'react';
import type { JobMetricsAvailability, TimelineJob } from '../../shared/timeline';

/**
 * Where a job's machine metrics (CPU, memory, disk, network over the job's window) go.
 * The host says per fleet whether they can be read; until the metrics panel is part of
 * this build, `panel` is absent and an available fleet says so rather than pretending.
 */
export function JobMetricsSlot(props: {
  job: TimelineJob;
  availability: JobMetricsAvailability | null;
  panel?: (job: TimelineJob) => ReactNode;
}) {
  const availability = props.availability;
  let body: ReactNode;
  if (availability === null) {
    body = (
      <p className="muted">
        This job&apos;s machine belongs to no configured fleet, so no metrics can be read.
      </p>
    );
  } else if (!availability.available) {
    body = (
      <>
        <p>
          <strong>{availability.reason ?? 'Job metrics are not available for this fleet.'}</strong>
        </p>
        <p className="muted small">
          Metrics come from Prometheus with node_exporter on the fleet&apos;s machines; once the
          fleet has a Prometheus source they show here for the job&apos;s time window.
        </p>
      </>
    );
  } else if (props.panel) {
    body = props.panel(props.job);
  } else {
    body = (
      <p className="muted">Prometheus is configured, but this build has no job metrics panel.</p>
    );
  }
  return (
    <section className="tl-metrics" aria-label="Job metrics" data-testid="job-metrics-slot">
      <h3>Machine metrics during the job</h3>
      {body}
    </section>
  );
}
