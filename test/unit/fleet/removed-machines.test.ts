import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../shared/audit';
import { AuditLog, auditRecordOf } from '../../../electron/core/audit/audit-log';
import { FleetModel, REMOVAL_RETENTION_MS } from '../../../electron/core/fleet/model';
import { readRemovals, removalOf, trackRemovals } from '../../../electron/core/reaper/removals';
import type { MachineIdentity } from '../../../electron/core/sources/source';

// After a successful kill the machine is marked removed (who, when) until every inventory
// source drops it; then it leaves the model at once instead of lingering as `gone`.
const identity = (patch: Partial<MachineIdentity> = {}): MachineIdentity => ({
  kind: 'autoscaled',
  provider: 'hetzner',
  providerId: '4711',
  serverType: 'cx32',
  createdAt: 1_000,
  labels: {},
  addresses: ['127.0.5.1'],
  providerStatus: 'running',
  state: 'running',
  ...patch,
});
const removal = { by: 'alice@ws1', at: 50_000, action: 'hcloud-delete' as const, proposalId: 'p1' };

function model(): FleetModel {
  const m = new FleetModel();
  for (const id of ['hetzner:p', 'docker-machine:m']) m.registerSource(id, 10_000);
  return m;
}
const list = (m: FleetModel, source: string, at: number, id = identity()) =>
  m.apply(source, { machines: [{ fleet: 'f', name: 'vm', identity: id }], inventoryOf: ['f'] }, at);
const drop = (m: FleetModel, source: string, at: number) =>
  m.apply(source, { machines: [], inventoryOf: ['f'] }, at);

describe('FleetModel removals', () => {
  it('a deleted machine is marked while any source lists it (docker-machine in Error), then dropped at once', () => {
    const m = model();
    list(m, 'hetzner:p', 10_000);
    list(
      m,
      'docker-machine:m',
      10_000,
      identity({ provider: 'docker-machine', providerId: null, createdAt: null }),
    );
    expect(m.machines(20_000)[0]?.removed).toBeUndefined();
    m.markRemoved('f/vm', removal);
    expect(m.machines(50_000)[0]?.removed).toEqual(removal);
    drop(m, 'hetzner:p', 60_000);
    // docker-machine still lists it, as error: still the deleted machine, not a new failure.
    list(
      m,
      'docker-machine:m',
      60_000,
      identity({ provider: 'docker-machine', providerId: null, createdAt: null, state: 'error' }),
    );
    expect(m.prune(60_000)).toEqual([]);
    expect(m.machines(60_000)[0]).toMatchObject({ status: { value: 'error' }, removed: removal });
    drop(m, 'docker-machine:m', 70_000);
    // Gone everywhere: removed now, not kept 15 minutes as `gone`.
    expect(m.prune(70_000)).toEqual(['f/vm']);
    expect(m.machines(70_000)).toEqual([]);
  });

  it('a machine created after the deletion under the same name is another machine', () => {
    const m = model();
    list(m, 'hetzner:p', 10_000);
    m.markRemoved('f/vm', removal);
    list(m, 'hetzner:p', 80_000, identity({ providerId: '4712', createdAt: 70_000 }));
    expect(m.machines(80_000)[0]?.removed).toBeUndefined();
    expect(m.prune(80_000)).toEqual([]);
  });

  it('a removal known before any source lists the machine (after a restart) applies once it appears, and expires', () => {
    const m = model();
    m.markRemoved('f/vm', removal);
    list(
      m,
      'docker-machine:m',
      60_000,
      identity({ provider: 'docker-machine', providerId: null, createdAt: null }),
    );
    expect(m.machines(60_000)[0]?.removed).toEqual(removal);
    const other = model();
    other.markRemoved('f/vm', removal);
    other.prune(removal.at + REMOVAL_RETENTION_MS + 1);
    list(other, 'hetzner:p', removal.at + REMOVAL_RETENTION_MS + 2, identity({ createdAt: null }));
    expect(other.machines(removal.at + REMOVAL_RETENTION_MS + 2)[0]?.removed).toBeUndefined();
  });
});

describe('removals from the audit log', () => {
  const record = (patch: Partial<AuditRecord>): AuditRecord =>
    auditRecordOf(
      { type: 'result', machineKey: 'f/vm', machineName: 'vm', who: 'alice@ws1', ...patch },
      'id',
      5,
    ) as AuditRecord;

  it.each([
    ['a successful Hetzner delete', { outcome: 'ok', action: 'hcloud-delete' }, true],
    ['a successful docker-machine rm', { outcome: 'ok', action: 'machine-rm' }, true],
    [
      'a recovery that found the delete done',
      { type: 'recovery', outcome: 'ok', action: 'hcloud-delete' },
      true,
    ],
    ['a failed delete', { outcome: 'failed', action: 'hcloud-delete' }, false],
    ['a cleanup (nothing removed)', { outcome: 'ok', action: 'cleanup' }, false],
    [
      'a confirmation (not done yet)',
      { type: 'confirm', outcome: null, action: 'hcloud-delete' },
      false,
    ],
    ['an action start', { type: 'action-start', outcome: null, action: 'hcloud-delete' }, false],
  ] as const)('%s → %s', (_, patch, removes) => {
    const found = removalOf(record(patch as Partial<AuditRecord>));
    expect(found !== null).toBe(removes);
    if (found)
      expect(found).toMatchObject({ machineKey: 'f/vm', removal: { by: 'alice@ws1', at: 5 } });
  });

  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a tracked sink reports removals as they are written; a restart reads them back, oldest first', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-removals-'));
    let clock = 1_000;
    const log = new AuditLog({ dir, now: () => clock });
    const seen: string[] = [];
    const sink = trackRemovals(log, (r) => seen.push(`${r.machineKey} by ${r.removal.by}`));
    await sink.append({
      type: 'confirm',
      machineKey: 'f/a',
      action: 'hcloud-delete',
      who: 'alice@ws1',
    });
    await sink.append({
      type: 'result',
      outcome: 'ok',
      machineKey: 'f/a',
      action: 'hcloud-delete',
      who: 'alice@ws1',
    });
    clock = 2_000;
    await sink.append({
      type: 'result',
      outcome: 'ok',
      machineKey: 'f/b',
      action: 'machine-rm',
      who: 'auto',
    });
    await sink.append({
      type: 'result',
      outcome: 'failed',
      machineKey: 'f/c',
      action: 'hcloud-delete',
      who: 'auto',
    });
    await sink.flush?.();
    expect(seen).toEqual(['f/a by alice@ws1', 'f/b by auto']);
    const read = await readRemovals(dir, 0);
    expect(read.map((r) => [r.machineKey, r.removal.at])).toEqual([
      ['f/a', 1_000],
      ['f/b', 2_000],
    ]);
    expect((await readRemovals(dir, 1_500)).map((r) => r.machineKey)).toEqual(['f/b']);
  });
});
