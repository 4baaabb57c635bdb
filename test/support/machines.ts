import type { FleetSnapshot } from '../../shared/fleet';
import type { DiskUsage, Machine, Observed } from '../../shared/machine';
import { FleetSettings } from '../../shared/settings';

/** An observed value read at `at`, fresh. */
export function fresh<T>(value: T | null, at = 1_000): Observed<T> {
  return { value, observedAt: at, stale: false, error: null, source: 'test' };
}

/** A disk of the given use on a mount. */
export function disk(mount: string, usedPct: number): DiskUsage {
  return {
    mount,
    sizeBytes: 100_000,
    usedBytes: usedPct * 1_000,
    availBytes: (100 - usedPct) * 1_000,
    usedPct,
    inodesTotal: null,
    inodesUsed: null,
    inodesUsedPct: null,
  };
}

/** A running autoscaled VM in fleet `ci` with the given disks. */
export function testMachine(name: string, overrides: Partial<Machine> = {}): Machine {
  return {
    key: `ci/${name}`,
    name,
    fleet: 'ci',
    kind: 'autoscaled',
    provider: 'hetzner',
    providerId: '1',
    serverType: 'cx22',
    createdAt: 0,
    labels: {},
    addresses: ['127.0.1.1'],
    status: fresh('running'),
    providerStatus: 'running',
    disks: fresh([disk('/', 10)]),
    jobs: fresh([]),
    gitlabJobs: fresh([]),
    load: fresh(null),
    seenBy: ['test'],
    firstSeenAt: 0,
    lastSeenAt: 1_000,
    ...overrides,
  };
}

/** A snapshot of the given machines with healthy sources. */
export function testSnapshot(
  machines: Machine[],
  extra: Partial<FleetSnapshot> = {},
): FleetSnapshot {
  return {
    version: 1,
    generatedAt: 1_000,
    machines,
    runners: [],
    sources: [],
    proposals: [],
    ...extra,
  };
}

/** Fleet `ci` with defaults (warn 50 %, kill threshold 60 %, 3 samples). */
export const ciFleet = FleetSettings.parse({ id: 'ci' });
