import { describe, expect, it } from 'vitest';
import { trayMenuModel } from '../../../electron/core/tray/tray-menu';
import { computeTrayState, proposalMenuLabel } from '../../../electron/core/tray/tray-state';
import type { Proposal } from '../../../shared/proposal';
import { ciFleet, disk, fresh, testMachine, testSnapshot } from '../../support/machines';

function proposal(id: string, overrides: Partial<Proposal> = {}): Proposal {
  return {
    id,
    machineKey: `ci/${id}`,
    machineName: `runner-${id}`,
    fleet: 'ci',
    rule: 'disk',
    action: 'hcloud-delete',
    evidence: {
      diskPct: 78,
      diskMount: '/',
      samplesOver: 3,
      idleSinceMs: 12 * 60_000 + 59_000,
      runningContainers: 0,
      runningJobIds: [],
      ageMs: null,
      observedAt: 1,
    },
    blocked: [],
    state: 'pending',
    createdAt: 1,
    summary: 'free text the label does not depend on',
    ...overrides,
  };
}

describe('proposalMenuLabel', () => {
  it('says what will happen and why, from the evidence', () => {
    expect(proposalMenuLabel(proposal('a'))).toBe('Kill runner-a (disk 78 %, idle 12 min)…');
    expect(
      proposalMenuLabel(
        proposal('b', {
          action: 'cleanup',
          evidence: { ...proposal('b').evidence, idleSinceMs: null },
        }),
      ),
    ).toBe('Clean up runner-b (disk 78 %)…');
    expect(
      proposalMenuLabel(
        proposal('c', {
          rule: 'unreachable',
          evidence: { ...proposal('c').evidence, diskPct: null, idleSinceMs: null },
        }),
      ),
    ).toBe('Kill runner-c (unreachable)…');
  });

  it('names an orphan as such, with its cost so far', () => {
    const evidence = { ...proposal('o').evidence, diskPct: null, idleSinceMs: null };
    const orphan = {
      state: 'orphan' as const,
      managers: ['docker-machine on mgr-1'],
      managerSources: ['docker-machine:dm'],
      notYet: [],
      unknown: [],
      noJobSince: 1,
      lastJobId: null,
      perHour: 0.01,
      costSoFar: 2.226,
      currency: 'EUR',
      unpricedReason: null,
    };
    expect(
      proposalMenuLabel(proposal('o', { rule: 'orphan', evidence: { ...evidence, orphan } })),
    ).toBe('Delete orphan runner-o (2.23 EUR so far)…');
    // Unpriced: no cost is made up.
    expect(
      proposalMenuLabel(
        proposal('p', {
          rule: 'orphan',
          evidence: { ...evidence, orphan: { ...orphan, perHour: null, costSoFar: null } },
        }),
      ),
    ).toBe('Delete orphan runner-p…');
  });
});

describe('tray state counts and tooltip', () => {
  it('counts critical, warning and unknown machines apart and never as ok', () => {
    const snapshot = testSnapshot(
      [
        testMachine('a', { disks: fresh([disk('/', 70)]) }),
        testMachine('b', { disks: fresh([disk('/', 55)]) }),
        testMachine('c', { disks: fresh(null) }),
        testMachine('d'),
        testMachine('gone', { status: fresh('gone') }),
      ],
      { proposals: [proposal('a')] },
    );
    const state = computeTrayState(snapshot, [ciFleet]);
    expect(state.counts).toEqual({
      machines: 4,
      critical: 1,
      warning: 1,
      unknown: 1,
      failingSources: 0,
      pendingProposals: 1,
    });
    expect(state.tooltip).toBe(
      [
        'Runner Watch — 4 machines',
        '1 over kill threshold',
        '1 over warn level',
        '1 disk unknown',
        '1 proposal waiting for confirmation',
      ].join('\n'),
    );
  });

  it('shows disconnected and says so while monitoring is paused', () => {
    const state = computeTrayState(testSnapshot([testMachine('a')]), [ciFleet], { paused: true });
    expect(state.icon).toBe('disconnected');
    expect(state.tooltip).toContain('Monitoring paused');
  });

  it('keeps the tooltip within a platform limit', () => {
    const machines = Array.from({ length: 3 }, (_, i) =>
      testMachine(`m${i}`, { disks: fresh([disk('/', 90)]) }),
    );
    const proposals = machines.map((_, i) => proposal(`m${i}`));
    const state = computeTrayState(testSnapshot(machines, { proposals }), [ciFleet], {
      maxTooltipLength: 40,
    });
    expect(state.tooltip.length).toBe(40);
    expect(state.tooltip.endsWith('…')).toBe(true);
  });

  it('marks a failed kill critical even when the disks are fine', () => {
    const state = computeTrayState(
      testSnapshot([testMachine('a')], { proposals: [proposal('a', { state: 'failed' })] }),
      [ciFleet],
    );
    expect(state.icon).toBe('critical');
    expect(state.tooltip).toContain('1 kill failed');
  });
});

describe('trayMenuModel', () => {
  it('lists open, the fullest machines, proposals, pause and quit in that order', () => {
    const machines = Array.from({ length: 7 }, (_, i) =>
      testMachine(`m${i}`, { disks: fresh([disk('/', 40 + i)]) }),
    );
    const state = computeTrayState(
      testSnapshot(machines, {
        proposals: [proposal('m6'), proposal('x', { blocked: ['job 4 running'] })],
      }),
      [ciFleet],
    );
    const menu = trayMenuModel(state);
    expect(menu.map((e) => (e.kind === 'separator' ? '---' : `${e.kind}:${e.label}`))).toEqual([
      'open:Open Runner Watch',
      'check:Check now',
      '---',
      'heading:Fullest disks (5 of 7)',
      'machine:m6 — disk 46 %',
      'machine:m5 — disk 45 %',
      'machine:m4 — disk 44 %',
      'machine:m3 — disk 43 %',
      'machine:m2 — disk 42 %',
      '---',
      'heading:Waiting for confirmation',
      'proposal:Kill runner-m6 (disk 78 %, idle 12 min)…',
      '---',
      'pause:Pause monitoring',
      'quit:Quit Runner Watch',
    ]);
    expect(menu.find((e) => e.kind === 'proposal')).toMatchObject({ proposalId: 'm6' });
    expect(menu.find((e) => e.kind === 'machine')).toMatchObject({ machineKey: 'ci/m6' });
  });

  it('offers resume instead of pause while paused, and no empty groups', () => {
    const state = computeTrayState(testSnapshot([]), [ciFleet], { paused: true });
    expect(trayMenuModel(state).map((e) => e.kind)).toEqual([
      'open',
      'check',
      'separator',
      'resume',
      'quit',
    ]);
  });

  it('disables Check now while a check runs and says so', () => {
    const idle = trayMenuModel(computeTrayState(testSnapshot([]), [ciFleet]));
    expect(idle.find((e) => e.kind === 'check')).toEqual({
      kind: 'check',
      label: 'Check now',
      enabled: true,
    });
    const busy = trayMenuModel(computeTrayState(testSnapshot([]), [ciFleet], { checking: true }));
    expect(busy.find((e) => e.kind === 'check')).toEqual({
      kind: 'check',
      label: 'Checking now…',
      enabled: false,
    });
  });
});
