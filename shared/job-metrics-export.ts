// Job metrics as CSV or JSON: one format for `runner-watch job-metrics` and the panel's download.
import { csvField } from './audit-csv';
import type { JobMetrics } from './job-metrics';

/** Header of a series column: `cpu (percent)`, `disk / (bytes)`. */
export function seriesColumn(series: JobMetrics['series'][number]): string {
  const what = series.metric === 'disk' ? `disk ${series.label}` : series.metric;
  return `${what} (${series.unit})`;
}

/**
 * One row per sample time: `time` (ISO 8601, UTC), `unix_ms`, then one column per series;
 * empty where Prometheus had no sample. CRLF line ends, as spreadsheets expect.
 */
export function jobMetricsToCsv(metrics: JobMetrics): string {
  const lines = [['time', 'unix_ms', ...metrics.series.map(seriesColumn)].map(csvField).join(',')];
  metrics.timestamps.forEach((at, i) => {
    const row = [
      new Date(at).toISOString(),
      at,
      ...metrics.series.map((s) => {
        const v = s.values[i];
        return v === null || v === undefined ? null : Number(v.toPrecision(8));
      }),
    ];
    lines.push(row.map(csvField).join(','));
  });
  return lines.join('\r\n') + '\r\n';
}

/** The metrics as pretty JSON (the contract's shape, parseable with `JobMetrics`). */
export function jobMetricsToJson(metrics: JobMetrics): string {
  return JSON.stringify(metrics, null, 2) + '\n';
}

/** A file name for a download: `job-<instance>-<id>-metrics.<ext>`. */
export function jobMetricsFileName(metrics: JobMetrics, format: 'csv' | 'json'): string {
  const safe = metrics.job.instance.replace(/[^a-zA-Z0-9._-]/g, '_');
  return `job-${safe}-${metrics.job.jobId}-metrics.${format}`;
}
