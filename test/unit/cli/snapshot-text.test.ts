import { describe, expect, it } from 'vitest';
import type { FleetSnapshot } from '../../../shared/fleet';
import type { Machine } from '../../../shared/machine';
import { formatSnapshotText } from '../../../electron/cli/snapshot-text';

const unknown = { value: null, observedAt: null, stale: true, error: 'unreachable', source: null };

function machine(name: string, patch: Partial<Machine> = {}): Machine {
  return {
    key: `ci/${name}`,
    name,
    fleet: 'ci',
    kind: 'autoscaled',
    provider: 'hetzner',
    providerId: '1',
    serverType: 'cx22',
    createdAt: 1,
    labels: {},
    addresses: [],
    status: { value: 'running', observedAt: 1, stale: false, error: null, source: 'hetzner:p' },
    providerStatus: 'running',
    disks: unknown,
    jobs: unknown,
    gitlabJobs: unknown,
    load: unknown,
    seenBy: ['hetzner:p'],
    firstSeenAt: 1,
    lastSeenAt: 1,
    ...patch,
  };
}

const snapshot = (machines: Machine[]): FleetSnapshot => ({
  version: 1,
  generatedAt: 1,
  machines,
  runners: [],
  proposals: [],
  sources: [
    {
      id: 'ssh:ci',
      kind: 'ssh',
      label: 'probe',
      state: 'failing',
      lastRunAt: 1,
      lastOkAt: null,
      nextRunAt: null,
      lastDurationMs: 12,
      consecutiveFailures: 1,
      lastError: { code: 'unreachable', message: 'connection refused' },
      warnings: [],
      intervalMs: 30_000,
    },
  ],
});

describe('formatSnapshotText', () => {
  it('prints unknown as ? and never as 0', () => {
    const lines = formatSnapshotText(snapshot([machine('vm-1')]));
    expect(lines[0]).toMatch(/^FLEET\s+MACHINE\s+STATUS\s+DISK\s+JOBS\s+LOAD\s+SEEN BY$/);
    expect(lines[1]).toMatch(/^ci\s+vm-1\s+running\s+\?\s+\?\s+\?\s+hetzner:p$/);
    expect(lines).toContain('  ssh:ci  failing: unreachable: connection refused (12 ms)');
  });

  it('prints known disks, jobs and load', () => {
    const at = { observedAt: 1, stale: false, error: null, source: 'ssh:ci' };
    const lines = formatSnapshotText(
      snapshot([
        machine('vm-2', {
          disks: {
            ...at,
            value: [
              {
                mount: '/',
                sizeBytes: 10,
                usedBytes: 7,
                availBytes: 3,
                usedPct: 70,
                inodesTotal: null,
                inodesUsed: null,
                inodesUsedPct: null,
              },
            ],
          },
          jobs: { ...at, value: [] },
          load: {
            ...at,
            value: {
              load1: 0.5,
              load5: 0,
              load15: 0,
              cpus: 2,
              memTotalBytes: null,
              memAvailableBytes: null,
            },
          },
        }),
      ]),
    );
    expect(lines[1]).toMatch(/^ci\s+vm-2\s+running\s+\/ 70%\s+0\s+0\.50\s+hetzner:p$/);
  });

  it('says when there are no machines', () => {
    expect(formatSnapshotText(snapshot([]))[0]).toBe('no machines found');
  });
});

describe('formatSnapshotText orphans', () => {
  const status = {
    managers: ['docker-machine on mgr-1'],
    managerSources: ['docker-machine:dm'],
    lastJobId: null,
    currency: 'EUR',
  };
  it('lists orphans with age, idle time and cost, and unlisted servers with why not yet', () => {
    const day = 24 * 3_600_000;
    const base = { ...snapshot([]), generatedAt: 3 * day + 1 };
    const lines = formatSnapshotText({
      ...base,
      machines: [
        machine('vm-orphan', {
          orphan: {
            ...status,
            state: 'orphan',
            notYet: [],
            unknown: [],
            noJobSince: 1,
            perHour: 0.01,
            costSoFar: 0.72,
            unpricedReason: null,
          },
        }),
        machine('vm-unlisted', {
          orphan: {
            ...status,
            state: 'unlisted',
            notYet: [],
            unknown: ['docker-machine on mgr-1: last listing failed: exit 1'],
            noJobSince: null,
            perHour: null,
            costSoFar: null,
            unpricedReason: 'no price for cx22 in ash',
          },
        }),
      ],
    });
    expect(lines.find((l) => l.includes('vm-orphan') && l.includes('running orphan'))).toBeTruthy();
    expect(lines).toContain('ORPHANS (servers no runner manager lists)');
    expect(lines).toContain(
      '  vm-orphan  orphan, age 3 d, no job for 3 d, 0.72 EUR so far (0.0100/h)',
    );
    expect(lines).toContain(
      '  vm-unlisted  unlisted, age 3 d, cost unknown: no price for cx22 in ash',
    );
    expect(lines).toContain(
      '    not an orphan yet: docker-machine on mgr-1: last listing failed: exit 1',
    );
    // A machine without orphan status adds no section.
    expect(formatSnapshotText(snapshot([machine('vm-1')]))).not.toContain(
      'ORPHANS (servers no runner manager lists)',
    );
  });
});
