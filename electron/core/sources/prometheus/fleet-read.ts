import type { DiskUsage, LoadInfo, Machine } from '../../../../shared/machine';
import type { FleetSettings, PrometheusSettings } from '../../../../shared/settings';
import { usedPercent } from '../ssh/probe-parse';
import type { MachineObservation } from '../source';
import type { VectorSample } from './client';
import { promString, regexEscape, selector, stripPort } from './promql';

/** The instant queries of one cycle, one per group of metrics, for the whole fleet. */
export interface FleetQueries {
  filesystems: string;
  node: string;
  cpus: string;
  up: string;
  scrapedAt: string;
}

/** What each query answered. */
export type FleetAnswers = Record<keyof FleetQueries, VectorSample[]>;

const FS_METRICS = [
  'node_filesystem_size_bytes',
  'node_filesystem_free_bytes',
  'node_filesystem_avail_bytes',
  'node_filesystem_files',
  'node_filesystem_files_free',
] as const;
const NODE_METRICS = [
  'node_load1',
  'node_load5',
  'node_load15',
  'node_memory_MemTotal_bytes',
  'node_memory_MemAvailable_bytes',
] as const;

/**
 * The fleet's instant queries: filesystem figures of the watched mounts (size, free and
 * avail, so used % can be computed as df does), load and memory, CPU count and target
 * health. Each returns every machine of the fleet at once.
 */
export function fleetQueries(prom: PrometheusSettings, mounts: readonly string[]): FleetQueries {
  const extra = prom.matchers;
  const mountRe = promString(mounts.map(regexEscape).join('|'));
  const names = (list: readonly string[]) => `__name__=~${promString(list.join('|'))}`;
  return {
    filesystems: selector(names(FS_METRICS), `mountpoint=~${mountRe}`, extra),
    node: selector(names(NODE_METRICS), extra),
    cpus: `count by (${prom.machineLabel}) (node_cpu_seconds_total${selector('mode="idle"', extra)})`,
    up: `up${selector(extra)}`,
    scrapedAt: `timestamp(node_load1${selector(extra)})`,
  };
}

/** Result of reading one fleet's answers. */
export interface FleetReading {
  machines: MachineObservation[];
  warnings: string[];
}

interface PerMachine {
  fs: Map<string, Partial<Record<(typeof FS_METRICS)[number], number>>>;
  node: Partial<Record<(typeof NODE_METRICS)[number], number>>;
  cpus: number | null;
  up: number[];
  scrapedAt: number | null;
  evaluatedAt: number | null;
}

/**
 * Maps the answers onto the fleet's machines by `machineLabel` (its value, port cut off
 * when `stripPort`, is a machine's name or one of its addresses) and turns them into
 * observations: disks as df computes them, load and memory, and the time of the scrape.
 * Series of machines the fleet does not know are left out (Prometheus knows no jobs and
 * no identity, so it never adds a machine). A machine whose target is down, or whose
 * figures are missing, gets null (unknown) with the reason.
 */
export function readFleet(
  answers: FleetAnswers,
  fleet: FleetSettings,
  prom: PrometheusSettings,
  machines: readonly Machine[],
): FleetReading {
  const byKey = new Map<string, string>();
  for (const machine of machines) {
    if (machine.fleet !== fleet.id) continue;
    for (const address of machine.addresses)
      if (!byKey.has(address)) byKey.set(address, machine.name);
  }
  // Names win over addresses: a name is exact, an address may be reused.
  for (const machine of machines)
    if (machine.fleet === fleet.id) byKey.set(machine.name, machine.name);

  const found = new Map<string, PerMachine>();
  const unmatched = new Set<string>();
  let seriesSeen = 0;
  const entry = (sample: VectorSample): PerMachine | null => {
    const raw = sample.metric[prom.machineLabel];
    seriesSeen += 1;
    if (raw === undefined) return null;
    const key = prom.stripPort ? stripPort(raw) : raw;
    const name = byKey.get(key);
    if (name === undefined) {
      unmatched.add(raw);
      return null;
    }
    let per = found.get(name);
    if (!per) {
      per = { fs: new Map(), node: {}, cpus: null, up: [], scrapedAt: null, evaluatedAt: null };
      found.set(name, per);
    }
    per.evaluatedAt = Math.max(per.evaluatedAt ?? 0, sample.at);
    return per;
  };

  for (const sample of answers.filesystems) {
    const per = entry(sample);
    const metric = sample.metric.__name__ as (typeof FS_METRICS)[number] | undefined;
    const mount = sample.metric.mountpoint;
    if (!per || !metric || !mount || !FS_METRICS.includes(metric)) continue;
    const figures = per.fs.get(mount) ?? {};
    // Bind mounts list one mount point twice: the first series counts.
    if (figures[metric] === undefined) figures[metric] = sample.value;
    per.fs.set(mount, figures);
  }
  for (const sample of answers.node) {
    const per = entry(sample);
    const metric = sample.metric.__name__ as (typeof NODE_METRICS)[number] | undefined;
    if (per && metric && NODE_METRICS.includes(metric)) per.node[metric] ??= sample.value;
  }
  for (const sample of answers.cpus) {
    const per = entry(sample);
    if (per) per.cpus = Math.max(per.cpus ?? 0, sample.value);
  }
  for (const sample of answers.up) entry(sample)?.up.push(sample.value);
  for (const sample of answers.scrapedAt) {
    const per = entry(sample);
    // timestamp() answers seconds since the epoch: when node_exporter was last scraped.
    if (per) per.scrapedAt = Math.max(per.scrapedAt ?? 0, Math.round(sample.value * 1000));
  }

  const observations: MachineObservation[] = [];
  for (const [name, per] of found) {
    const down = per.up.length > 0 && per.up.every((v) => v === 0);
    const base = {
      fleet: fleet.id,
      name,
      observedAt: per.scrapedAt ?? per.evaluatedAt ?? undefined,
    };
    if (down && per.fs.size === 0) {
      observations.push({
        ...base,
        disks: null,
        load: null,
        error: `node_exporter target of ${name} is down (up == 0 in Prometheus)`,
      });
      continue;
    }
    const errors: string[] = [];
    const disks = disksOf(per, fleet.watchedMounts);
    if (disks === null)
      errors.push(`Prometheus has no filesystem figures for ${fleet.watchedMounts.join(', ')}`);
    const load = loadOf(per);
    if (load === null) errors.push('Prometheus has no node_load1/5/15 figures');
    observations.push({
      ...base,
      disks,
      load,
      ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
    });
  }

  const warnings: string[] = [];
  if (seriesSeen === 0) {
    warnings.push(
      `Prometheus answered no node_exporter series${prom.matchers ? ` for ${prom.matchers}` : ''}: is node_exporter scraped?`,
    );
  } else if (found.size === 0 && machines.some((m) => m.fleet === fleet.id)) {
    const examples = [...unmatched]
      .slice(0, 3)
      .map((v) => JSON.stringify(v))
      .join(', ');
    warnings.push(
      `no series matched a machine of fleet ${fleet.id} by label ${prom.machineLabel}${examples ? ` (values like ${examples})` : ''}: check machineLabel and stripPort`,
    );
  }
  return { machines: observations, warnings };
}

function disksOf(per: PerMachine, watched: readonly string[]): DiskUsage[] | null {
  const disks: DiskUsage[] = [];
  for (const mount of watched) {
    const f = per.fs.get(mount);
    const size = f?.node_filesystem_size_bytes;
    const free = f?.node_filesystem_free_bytes;
    const avail = f?.node_filesystem_avail_bytes;
    if (size === undefined || free === undefined || avail === undefined) continue;
    // df's definition: used = size - free; Use% = used / (used + avail), rounded up, so
    // blocks reserved for root count neither as used nor as available.
    const used = Math.max(0, size - free);
    const files = f?.node_filesystem_files;
    const filesFree = f?.node_filesystem_files_free;
    const inodes = files !== undefined && filesFree !== undefined && files > 0;
    const inodesUsed = inodes ? Math.max(0, files - filesFree) : null;
    disks.push({
      mount,
      sizeBytes: size,
      usedBytes: used,
      availBytes: Math.max(0, avail),
      usedPct: usedPercent(used, Math.max(0, avail)),
      inodesTotal: inodes ? files : null,
      inodesUsed,
      inodesUsedPct:
        inodes && inodesUsed !== null ? usedPercent(inodesUsed, files - inodesUsed) : null,
    });
  }
  return disks.length > 0 ? disks : null;
}

function loadOf(per: PerMachine): LoadInfo | null {
  const { node_load1: l1, node_load5: l5, node_load15: l15 } = per.node;
  if (l1 === undefined || l5 === undefined || l15 === undefined) return null;
  return {
    load1: Math.max(0, l1),
    load5: Math.max(0, l5),
    load15: Math.max(0, l15),
    cpus: per.cpus !== null && per.cpus >= 1 ? Math.round(per.cpus) : null,
    memTotalBytes: per.node.node_memory_MemTotal_bytes ?? null,
    memAvailableBytes: per.node.node_memory_MemAvailable_bytes ?? null,
  };
}
