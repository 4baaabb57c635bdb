import { MARK_LABEL, STATUS_LABEL } from './format-job';
import type { TimelineJobStatus, TimelineMarkKind } from '../../shared/timeline';

const STATUSES: TimelineJobStatus[] = ['success', 'failed', 'running', 'canceled', 'other'];
const MARKS: TimelineMarkKind[] = ['killed', 'proposed', 'refused', 'failed', 'cleaned', 'dry-run'];

/** What colours, patterns and shapes mean; each status has a pattern or outline of its own. */
export function TimelineLegend() {
  return (
    <div className="tl-legend small" aria-label="Legend" role="group" data-testid="timeline-legend">
      <span className="tl-legend-group">
        <span className="muted">Jobs</span>
        {STATUSES.map((status) => (
          <span key={status} className="tl-legend-item">
            <span className={`tl-swatch tl-status-${status}`} aria-hidden="true" />
            {STATUS_LABEL[status]}
          </span>
        ))}
      </span>
      <span className="tl-legend-group">
        <span className="muted">Disk</span>
        <span className="tl-legend-item">
          <span className="tl-heat tl-heat-low" aria-hidden="true" />
          below warn level (darker = fuller)
        </span>
        <span className="tl-legend-item">
          <span className="tl-heat tl-heat-warn" aria-hidden="true" />
          over warn
        </span>
        <span className="tl-legend-item">
          <span className="tl-heat tl-heat-over" aria-hidden="true" />
          over kill threshold
        </span>
        <span className="tl-legend-item">
          <span className="tl-heat tl-heat-none" aria-hidden="true" />
          not read
        </span>
      </span>
      <span className="tl-legend-group">
        <span className="muted">Marks</span>
        {MARKS.map((kind) => (
          <span key={kind} className="tl-legend-item">
            <span className={`tl-mark tl-mark-${kind}`} aria-hidden="true" />
            {MARK_LABEL[kind]}
          </span>
        ))}
        <span className="tl-legend-item">
          <span className="tl-nohistory" aria-hidden="true" />
          no job history kept
        </span>
      </span>
    </div>
  );
}
