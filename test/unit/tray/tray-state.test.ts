import { describe, expect, it } from 'vitest';
import { computeTrayState } from '../../../electron/core/tray/tray-state';
import type { SourceHealth } from '../../../shared/source';
import { ciFleet, disk, fresh, testMachine, testSnapshot } from '../../support/machines';

const failing: SourceHealth = {
  id: 'hetzner:p',
  kind: 'hetzner',
  label: 'Hetzner p',
  state: 'failing',
  lastRunAt: 1,
  lastOkAt: null,
  nextRunAt: null,
  lastDurationMs: 1,
  consecutiveFailures: 2,
  lastError: { code: 'unauthorized', message: 'bad token' },
  warnings: [],
  intervalMs: 1000,
};

describe('computeTrayState', () => {
  it('is ok when every disk is under the warn level', () => {
    const state = computeTrayState(testSnapshot([testMachine('a')]), [ciFleet]);
    expect(state.icon).toBe('ok');
    expect(state.tooltip).toBe('Runner Watch — 1 machine');
  });

  it('warns over the warn level and is critical at the kill threshold', () => {
    const warn = testMachine('a', { disks: fresh([disk('/', 55)]) });
    expect(computeTrayState(testSnapshot([warn]), [ciFleet]).icon).toBe('warning');
    const full = testMachine('b', { disks: fresh([disk('/', 10), disk('/var/lib/docker', 60)]) });
    const state = computeTrayState(testSnapshot([warn, full]), [ciFleet]);
    expect(state.icon).toBe('critical');
    expect(state.machines.map((m) => m.label)).toEqual(['b — disk 60 %', 'a — disk 55 %']);
  });

  it('ignores unwatched mounts and stale readings', () => {
    const unwatched = testMachine('a', { disks: fresh([disk('/boot', 99)]) });
    const stale = testMachine('b', { disks: { ...fresh([disk('/', 99)]), stale: true } });
    const state = computeTrayState(testSnapshot([unwatched, stale]), [ciFleet]);
    expect(state.icon).toBe('ok');
    expect(state.machines.map((m) => m.label)).toEqual(['a — disk unknown', 'b — disk unknown']);
  });

  it('leaves out a machine this app deleted, whatever its last disk reading', () => {
    const deleted = testMachine('gone-vm', {
      disks: fresh([disk('/', 95)]),
      removed: { by: 'alice@ws1', at: 1, action: 'hcloud-delete', proposalId: 'p' },
    });
    const state = computeTrayState(testSnapshot([testMachine('a'), deleted]), [ciFleet]);
    expect(state.icon).toBe('ok');
    expect(state.machines.map((m) => m.label)).toEqual(['a — disk 10 %']);
  });

  it('shows disconnected when a source fails, whatever the disks say', () => {
    const full = testMachine('a', { disks: fresh([disk('/', 90)]) });
    const state = computeTrayState(testSnapshot([full], { sources: [failing] }), [ciFleet]);
    expect(state.icon).toBe('disconnected');
    expect(state.tooltip).toContain('1 source failing: Hetzner p');
  });

  it('lists only unblocked pending proposals in the menu', () => {
    const base = {
      machineKey: 'ci/a',
      machineName: 'a',
      fleet: 'ci',
      rule: 'disk' as const,
      action: 'hcloud-delete' as const,
      evidence: {
        diskPct: 78,
        diskMount: '/',
        samplesOver: 3,
        idleSinceMs: 720_000,
        runningContainers: 0,
        runningJobIds: [],
        ageMs: null,
        observedAt: 1,
      },
      createdAt: 1,
      summary: 'Kill a (disk 78 %, idle 12 min)',
    };
    const state = computeTrayState(
      testSnapshot([testMachine('a')], {
        proposals: [
          { ...base, id: 'p1', blocked: [], state: 'pending' },
          { ...base, id: 'p2', blocked: ['job 7 running'], state: 'pending' },
        ],
      }),
      [ciFleet],
    );
    expect(state.proposals).toEqual([
      { label: 'Kill a (disk 78 %, idle 12 min)…', proposalId: 'p1' },
    ]);
  });
});
