import type { JobMetricId, JobMetricUnit } from '../../../shared/job-metrics';
import type { PrometheusSettings } from '../../../shared/settings';
import { anyOf, promString, regexEscape, selector } from '../sources/prometheus/promql';

/** One `query_range` of a job's metrics. */
export interface RangeQuery {
  metric: JobMetricId;
  unit: JobMetricUnit;
  /** Label of the series; for disk the mount point comes from the series itself. */
  label: string;
  expr: string;
}

/**
 * The job metrics queries for one machine. `machineValues` are the values its
 * `machineLabel` may have (its name, its addresses); `rateWindowSec` spans a few scrapes
 * and at least two steps so rate() always has samples to work on.
 */
export function jobRangeQueries(
  prom: PrometheusSettings,
  machineValues: readonly string[],
  mounts: readonly string[],
  rateWindowSec: number,
): RangeQuery[] {
  const L = prom.machineLabel;
  const machine = anyOf(L, machineValues, prom.stripPort);
  const sel = (...more: string[]) => selector(machine, prom.matchers, ...more);
  const w = `[${Math.max(1, Math.round(rateWindowSec))}s]`;
  const mountRe = `mountpoint=~${promString(mounts.map(regexEscape).join('|'))}`;
  const rate = (metric: string, ...more: string[]) =>
    `sum by (${L}) (rate(${metric}${sel(...more)}${w}))`;
  return [
    {
      metric: 'cpu',
      unit: 'percent',
      label: 'CPU busy',
      expr: `100 * (1 - avg by (${L}) (rate(node_cpu_seconds_total${sel('mode="idle"')}${w})))`,
    },
    {
      metric: 'memory',
      unit: 'bytes',
      label: 'memory used',
      expr: `node_memory_MemTotal_bytes${sel()} - node_memory_MemAvailable_bytes${sel()}`,
    },
    { metric: 'load', unit: 'load', label: 'load1', expr: `node_load1${sel()}` },
    {
      metric: 'disk',
      unit: 'bytes',
      label: 'disk used',
      // df's used: size − free (blocks reserved for root are not used space)
      expr: `node_filesystem_size_bytes${sel(mountRe)} - node_filesystem_free_bytes${sel(mountRe)}`,
    },
    {
      metric: 'diskRead',
      unit: 'bytes/s',
      label: 'disk read',
      expr: rate('node_disk_read_bytes_total'),
    },
    {
      metric: 'diskWrite',
      unit: 'bytes/s',
      label: 'disk write',
      expr: rate('node_disk_written_bytes_total'),
    },
    {
      metric: 'netRx',
      unit: 'bytes/s',
      label: 'network receive',
      expr: rate('node_network_receive_bytes_total', 'device!="lo"'),
    },
    {
      metric: 'netTx',
      unit: 'bytes/s',
      label: 'network transmit',
      expr: rate('node_network_transmit_bytes_total', 'device!="lo"'),
    },
  ];
}
