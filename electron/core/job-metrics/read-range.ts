import type { JobMetricSeries } from '../../../shared/job-metrics';
import type { PrometheusSettings } from '../../../shared/settings';
import type { PrometheusClient } from '../sources/prometheus/client';
import { promString, stripPort } from '../sources/prometheus/promql';
import { jobRangeQueries } from './range-queries';
import { sampleTimes, type QueryWindow } from './window';

/** The aligned series of one machine over a window. */
export interface RangeReading {
  timestamps: number[];
  series: JobMetricSeries[];
  warnings: string[];
}

/**
 * The values the machine's `machineLabel` may have during the window: its name and known
 * addresses, plus whatever target reported `node_uname_info{nodename="<name>"}` (a
 * machine's hostname is its name for docker+machine VMs), which still finds a VM the
 * inventory has forgotten since.
 */
export async function machineLabelValues(
  client: PrometheusClient,
  prom: PrometheusSettings,
  machine: { name: string; addresses: readonly string[] },
  window: QueryWindow,
  signal: AbortSignal,
): Promise<string[]> {
  const values = new Set([machine.name, ...machine.addresses]);
  const spanSec = Math.max(60, Math.ceil((window.endMs - window.startMs) / 1000));
  const samples = await client.query(
    `max_over_time(node_uname_info{nodename=${promString(machine.name)}}[${spanSec}s])`,
    signal,
    window.endMs,
  );
  for (const sample of samples) {
    const raw = sample.metric[prom.machineLabel];
    if (raw) values.add(prom.stripPort ? stripPort(raw) : raw);
  }
  return [...values].filter((v) => v.length > 0);
}

/**
 * Runs every job metrics query over the window and aligns the answers on the window's
 * sample times (null where a sample is missing). A figure with no series at all is left
 * out with a warning; a query Prometheus refuses fails the whole reading.
 */
export async function readRange(
  client: PrometheusClient,
  prom: PrometheusSettings,
  machineValues: readonly string[],
  mounts: readonly string[],
  window: QueryWindow,
  signal: AbortSignal,
): Promise<RangeReading> {
  const rateWindowSec = Math.max(2 * window.stepSec, 4 * prom.scrapeIntervalSec);
  const queries = jobRangeQueries(prom, machineValues, mounts, rateWindowSec);
  const answers = await Promise.all(
    queries.map((q) => client.queryRange(q.expr, { ...window }, signal)),
  );
  const timestamps = sampleTimes(window);
  const index = new Map(timestamps.map((at, i) => [at, i]));
  const series: JobMetricSeries[] = [];
  const missing: string[] = [];
  queries.forEach((query, qi) => {
    const result = answers[qi] ?? [];
    const seen = new Set<string>();
    for (const one of result) {
      const label = query.metric === 'disk' ? (one.metric.mountpoint ?? query.label) : query.label;
      // One series per figure (per mount for disk): a second target of the same machine
      // (scraped twice under two names) would only repeat it.
      if (seen.has(label)) continue;
      seen.add(label);
      const values: (number | null)[] = timestamps.map(() => null);
      for (const [at, value] of one.values) {
        const i = index.get(at);
        if (i !== undefined) values[i] = value;
      }
      series.push({ metric: query.metric, label, unit: query.unit, values });
    }
    if (result.length === 0) missing.push(query.label);
  });
  const warnings =
    missing.length === 0
      ? []
      : [`Prometheus had no samples for ${missing.join(', ')} in this window`];
  return { timestamps, series, warnings };
}
