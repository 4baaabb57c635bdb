import { describe, expect, it } from 'vitest';
import { diffMachine } from '../../../electron/core/fleet/machine-diff';
import type { Machine } from '../../../shared/machine';
import type { OrphanStatus } from '../../../shared/orphan';
import { applyMachineRefresh, MachineRefresh } from '../../../shared/machine-refresh';
import { disk, machine, NOW, seen } from '../renderer/fixtures';

/** The same machine read `ms` later with the same values. */
function later(m: Machine, ms: number): Machine {
  const move = <T extends { observedAt: number | null }>(o: T): T => ({
    ...o,
    observedAt: (o.observedAt ?? 0) + ms,
  });
  return {
    ...m,
    status: move(m.status),
    disks: move(m.disks),
    load: move(m.load),
    ...(m.readings
      ? {
          readings: m.readings.map((r) => ({
            ...r,
            disks: r.disks && move(r.disks),
            load: r.load && move(r.load),
          })),
        }
      : {}),
    lastSeenAt: m.lastSeenAt + ms,
  };
}

const orphan: OrphanStatus = {
  state: 'orphan',
  managers: ['mgr'],
  managerSources: ['docker-machine:mgr'],
  notYet: [],
  unknown: [],
  noJobSince: NOW - 7_200_000,
  lastJobId: null,
  perHour: 0.01,
  costSoFar: 0.02,
  currency: 'EUR',
  unpricedReason: null,
};

const withReadings = machine('runner-a', {
  readings: [
    { source: 'prometheus:ci', disks: seen([disk('/', 41)], 5_000, 'prometheus:ci'), load: null },
    { source: 'ssh:ci', disks: seen([disk('/', 41)]), load: seen(null) },
  ],
});

describe('diffMachine', () => {
  it('finds nothing when nothing moved', () => {
    const m = machine('runner-a');
    expect(diffMachine(m, { ...m, disks: { ...m.disks, value: [disk('/', 41)] } })).toEqual({
      kind: 'same',
    });
  });

  it('carries only the read times that moved, per field and per reading', () => {
    const next = later(withReadings, 30_000);
    const change = diffMachine(withReadings, next);
    expect(change).toEqual({
      kind: 'refreshed',
      patch: {
        observedAt: { status: NOW + 25_000, disks: NOW + 25_000, load: NOW + 25_000 },
        readings: {
          'prometheus:ci': { disks: NOW + 25_000 },
          'ssh:ci': { disks: NOW + 25_000, load: NOW + 25_000 },
        },
        lastSeenAt: NOW + 25_000,
      },
    });
    if (change.kind !== 'refreshed') return;
    const refresh = { keys: [withReadings.key], ...change.patch };
    expect(MachineRefresh.parse(refresh)).toEqual(refresh);
    // Applied to the old copy, the refresh gives the new machine exactly.
    expect(applyMachineRefresh(withReadings, change.patch)).toEqual(next);
  });

  it.each<[string, (m: Machine) => Machine]>([
    ['a disk value', (m) => ({ ...m, disks: { ...m.disks, value: [disk('/', 42)] } })],
    ['a stale flag', (m) => ({ ...m, load: { ...m.load, stale: true } })],
    ['an error', (m) => ({ ...m, jobs: { ...m.jobs, error: 'docker ps failed' } })],
    ['the source of a field', (m) => ({ ...m, disks: { ...m.disks, source: 'prometheus:ci' } })],
    ['a plain field', (m) => ({ ...m, providerStatus: 'stopping' })],
    ['a field that appears', (m) => ({ ...m, deleteProtected: true })],
    [
      'an observed field that appears',
      (m) => ({
        ...m,
        containerExits: seen({ lastExitAt: null, lastExitJobId: null, active: 0, exited: 0 }),
      }),
    ],
    ['a reading that goes', (m) => ({ ...m, readings: m.readings?.slice(1) })],
    [
      'a reading value',
      (m) => ({
        ...m,
        readings: m.readings?.map((r) =>
          r.source === 'ssh:ci'
            ? {
                ...r,
                load: seen({
                  load1: 1,
                  load5: 1,
                  load15: 1,
                  cpus: 2,
                  memTotalBytes: null,
                  memAvailableBytes: null,
                }),
              }
            : r,
        ),
      }),
    ],
    ['an orphan status that appears', (m) => ({ ...m, orphan })],
  ])('sends the machine whole when %s changes, even with times moved too', (_what, edit) => {
    expect(diffMachine(withReadings, edit(withReadings)).kind).toBe('changed');
    expect(diffMachine(withReadings, edit(later(withReadings, 30_000))).kind).toBe('changed');
  });

  it("carries an orphan's growing cost so far as a refresh, and any other orphan change whole", () => {
    const was = machine('runner-o', { orphan });
    const costed = { ...was, orphan: { ...orphan, costSoFar: 0.03 } };
    const change = diffMachine(was, costed);
    expect(change).toEqual({
      kind: 'refreshed',
      patch: { observedAt: {}, costSoFar: 0.03 },
    });
    if (change.kind === 'refreshed') expect(applyMachineRefresh(was, change.patch)).toEqual(costed);
    expect(diffMachine(was, { ...was, orphan: { ...orphan, state: 'unlisted' } }).kind).toBe(
      'changed',
    );
    expect(
      diffMachine(was, { ...was, orphan: { ...orphan, perHour: null, costSoFar: null } }).kind,
    ).toBe('changed');
  });
});

describe('applyMachineRefresh', () => {
  it('refuses a refresh that does not fit the machine (the copy is out of step)', () => {
    const m = machine('runner-a');
    expect(applyMachineRefresh(m, { observedAt: { containerExits: NOW } })).toBeNull();
    expect(
      applyMachineRefresh(m, {
        observedAt: {},
        readings: { 'ssh:ci': { disks: NOW } },
      }),
    ).toBeNull();
    expect(applyMachineRefresh(m, { observedAt: {}, costSoFar: 1 })).toBeNull();
    expect(
      applyMachineRefresh(withReadings, {
        observedAt: {},
        readings: { 'prometheus:ci': { load: NOW } },
      }),
    ).toBeNull();
  });

  it('leaves the input as it was', () => {
    const m = machine('runner-a');
    const out = applyMachineRefresh(m, { observedAt: { disks: NOW } });
    expect(out?.disks.observedAt).toBe(NOW);
    expect(m.disks.observedAt).toBe(NOW - 5_000);
  });

  it.each([
    ['a field that is not an observed one', { keys: ['k'], observedAt: { seenBy: 1 } }],
    ['a time that is not one', { keys: ['k'], observedAt: { disks: -1 } }],
    ['no keys', { keys: [], observedAt: {} }],
    ['an empty key', { keys: [''], observedAt: {} }],
    [
      'a reading part it does not know',
      { keys: ['k'], observedAt: {}, readings: { s: { jobs: 1 } } },
    ],
  ])('the contract refuses %s', (_what, input) => {
    expect(MachineRefresh.safeParse(input).success).toBe(false);
  });
});
