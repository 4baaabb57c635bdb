import type { JobMetricId, JobMetrics, JobMetricUnit } from '../shared/job-metrics';

/** One chart of the job metrics panel: a title, a unit and the series drawn in it. */
export interface MetricChartSpec {
  id: string;
  title: string;
  unit: JobMetricUnit;
  /** Line labels, in the order of `values`. */
  labels: string[];
  /** uPlot's aligned data: x in seconds, then one array per line. */
  data: [number[], ...(number | null)[][]];
}

const CHARTS: { id: string; title: string; metrics: JobMetricId[] }[] = [
  { id: 'cpu', title: 'CPU busy', metrics: ['cpu'] },
  { id: 'memory', title: 'Memory used', metrics: ['memory'] },
  { id: 'load', title: 'Load (1 min)', metrics: ['load'] },
  { id: 'disk', title: 'Disk used (size − free, like df)', metrics: ['disk'] },
  { id: 'disk-io', title: 'Disk I/O', metrics: ['diskRead', 'diskWrite'] },
  { id: 'network', title: 'Network', metrics: ['netRx', 'netTx'] },
];

/**
 * The panel's charts from the metrics: CPU, memory, load, disk used per mount, disk I/O
 * (read/write) and network (receive/transmit). A chart whose series Prometheus did not
 * have is left out (the panel lists the answer's warnings instead).
 */
export function chartSpecs(metrics: JobMetrics): MetricChartSpec[] {
  const x = metrics.timestamps.map((t) => t / 1000);
  const out: MetricChartSpec[] = [];
  for (const chart of CHARTS) {
    const series = metrics.series.filter((s) => chart.metrics.includes(s.metric));
    const first = series[0];
    if (!first) continue;
    out.push({
      id: chart.id,
      title: chart.title,
      unit: first.unit,
      labels: series.map((s) => s.label),
      data: [x, ...series.map((s) => s.values)],
    });
  }
  return out;
}

/** A value in a chart's unit, short: `42 %`, `1.2 GB`, `3.4 MB/s`, `0.52`. */
export function formatMetric(value: number | null | undefined, unit: JobMetricUnit): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  switch (unit) {
    case 'percent':
      return `${value === 0 || value >= 10 ? value.toFixed(0) : value.toFixed(1)} %`;
    case 'load':
      return value.toFixed(2);
    case 'bytes':
      return scaled(value, 'B');
    case 'bytes/s':
      return `${scaled(value, 'B')}/s`;
  }
}

function scaled(value: number, suffix: string): string {
  const units = ['', 'k', 'M', 'G', 'T', 'P'];
  let v = Math.abs(value);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  const sign = value < 0 ? '-' : '';
  return `${sign}${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${units[i] ?? ''}${suffix}`;
}
