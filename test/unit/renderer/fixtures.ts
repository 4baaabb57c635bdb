import type { FleetEvent, FleetSnapshot } from '../../../shared/fleet';
import { FleetSnapshot as FleetSnapshotSchema } from '../../../shared/fleet';
import type { DiskUsage, Machine, Observed, RunningJob } from '../../../shared/machine';
import type { SourceHealth } from '../../../shared/source';

/** Fixed "now" of the renderer fixtures: readings below are a few seconds older. */
export const NOW = 1_800_000_000_000;

/** A value read `agoMs` before NOW by `source`. */
export function seen<T>(value: T | null, agoMs = 5_000, source = 'ssh:ci'): Observed<T> {
  return { value, observedAt: NOW - agoMs, stale: false, error: null, source };
}

/** A disk at `usedPct` on `mount`, with byte figures that agree with it. */
export function disk(mount: string, usedPct: number): DiskUsage {
  const size = 100 * 2 ** 30;
  return {
    mount,
    sizeBytes: size,
    usedBytes: (size * usedPct) / 100,
    availBytes: (size * (100 - usedPct)) / 100,
    usedPct,
    inodesTotal: 1_000,
    inodesUsed: 10,
    inodesUsedPct: 1,
  };
}

/** A running job as a job container's labels plus GitLab describe it. */
export function job(jobId: number, projectPath: string | null, name: string | null): RunningJob {
  return {
    jobId,
    projectId: 7,
    pipelineId: 70,
    runnerId: 3,
    containerName: `runner-abc-project-7-concurrent-0-${jobId}`,
    jobUrl: `http://127.0.0.1:9/${projectPath ?? 'p'}/-/jobs/${jobId}`,
    ref: 'main',
    name,
    projectPath,
    user: 'alice',
    startedAt: NOW - 60_000,
    seenIn: ['machine', 'gitlab'],
  };
}

/** A running autoscaled Hetzner VM in fleet `ci`, read 5 s before NOW. */
export function machine(name: string, overrides: Partial<Machine> = {}): Machine {
  return {
    key: `ci/${name}`,
    name,
    fleet: 'ci',
    kind: 'autoscaled',
    provider: 'hetzner',
    providerId: '42',
    serverType: 'cx22',
    createdAt: NOW - 2 * 3_600_000,
    labels: { role: 'ci' },
    addresses: ['127.0.10.1'],
    status: seen('running', 5_000, 'hetzner:ci'),
    providerStatus: 'running',
    disks: seen([disk('/', 41)]),
    jobs: seen([]),
    gitlabJobs: seen([], 5_000, 'gitlab:main'),
    load: seen({
      load1: 0.5,
      load5: 0.4,
      load15: 0.3,
      cpus: 2,
      memTotalBytes: 4e9,
      memAvailableBytes: 2e9,
    }),
    seenBy: ['hetzner:ci', 'ssh:ci'],
    firstSeenAt: NOW - 3_600_000,
    lastSeenAt: NOW - 5_000,
    ...overrides,
  };
}

/** A healthy source with a 30 s interval. */
export function source(id: string, overrides: Partial<SourceHealth> = {}): SourceHealth {
  const kind = id.split(':')[0] as SourceHealth['kind'];
  return {
    id,
    kind,
    label: id,
    state: 'ok',
    lastRunAt: NOW - 5_000,
    lastOkAt: NOW - 5_000,
    nextRunAt: NOW + 25_000,
    lastDurationMs: 120,
    consecutiveFailures: 0,
    lastError: null,
    warnings: [],
    intervalMs: 30_000,
    ...overrides,
  };
}

/** A snapshot; parsed by the real schema so a fixture that breaks the contract fails loudly. */
export function snapshot(machines: Machine[], extra: Partial<FleetSnapshot> = {}): FleetSnapshot {
  return FleetSnapshotSchema.parse({
    version: 1,
    generatedAt: NOW,
    machines,
    runners: [],
    sources: [source('hetzner:ci'), source('ssh:ci')],
    proposals: [],
    ...extra,
  });
}

/** A delta event for `version` with defaults that change nothing. */
export function delta(
  version: number,
  extra: Partial<Extract<FleetEvent, { type: 'delta' }>> = {},
): FleetEvent {
  return {
    type: 'delta',
    version,
    at: NOW + version,
    upserted: [],
    removed: [],
    sources: [],
    runners: null,
    proposals: null,
    ...extra,
  };
}
