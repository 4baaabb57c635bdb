import { describe, expect, it } from 'vitest';
import {
  inQuietHours,
  initialNotifyState,
  nextNotifications,
  type NotifyInput,
  type NotifyState,
} from '../../../electron/core/notify/notification-rules';
import type { AuditRecord } from '../../../shared/audit';
import type { FleetSnapshot } from '../../../shared/fleet';
import type { Machine } from '../../../shared/machine';
import type { Proposal } from '../../../shared/proposal';
import { NotificationSettings } from '../../../shared/settings';
import type { SourceHealth } from '../../../shared/source';
import { ciFleet, disk, fresh, testMachine, testSnapshot } from '../../support/machines';

const options = NotificationSettings.parse({});
const NOON = 12 * 60;

function at(pct: number, observedAt: number, name = 'a'): Machine {
  return testMachine(name, { disks: fresh([disk('/', pct)], observedAt) });
}

function run(
  steps: Array<Partial<NotifyInput> & { snapshot: FleetSnapshot }>,
  state: NotifyState = initialNotifyState,
) {
  const out: string[][] = [];
  for (const step of steps) {
    const next = nextNotifications(state, {
      fleets: [ciFleet],
      records: [],
      now: 1_000,
      localMinuteOfDay: NOON,
      options,
      ...step,
    });
    state = next.state;
    out.push(next.notifications.map((n) => n.title));
  }
  return { out, state };
}

function proposal(id: string, extra: Partial<Proposal> = {}): Proposal {
  return {
    id,
    machineKey: `ci/${id}`,
    machineName: id,
    fleet: 'ci',
    rule: 'disk',
    action: 'hcloud-delete',
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
    blocked: [],
    state: 'pending',
    createdAt: 1,
    summary: '',
    ...extra,
  };
}

function result(outcome: 'ok' | 'failed', name: string, detail: string | null): AuditRecord {
  return {
    id: `r-${name}`,
    at: 1,
    type: 'result',
    fleet: 'ci',
    machineKey: `ci/${name}`,
    machineName: name,
    proposalId: `p-${name}`,
    rule: 'disk',
    action: 'hcloud-delete',
    who: 'me@host',
    outcome,
    reasons: [],
    evidence: null,
    modeFrom: null,
    modeTo: null,
    detail,
  };
}

function source(state: SourceHealth['state'], lastOkAt: number | null): SourceHealth {
  return {
    id: 'hetzner:p',
    kind: 'hetzner',
    label: 'Hetzner p',
    state,
    lastRunAt: 1,
    lastOkAt,
    nextRunAt: null,
    lastDurationMs: 1,
    consecutiveFailures: state === 'failing' ? 3 : 0,
    lastError:
      state === 'failing' ? { code: 'timeout', message: 'no answer within 15000 ms' } : null,
    warnings: [],
    intervalMs: 30_000,
  };
}

describe('disk warn notifications', () => {
  it('raise after N samples, not again while high, and re-arm only 5 points below', () => {
    const samples = [55, 56, 57, 58, 46, 44, 51, 52, 53];
    const { out } = run(samples.map((pct, i) => ({ snapshot: testSnapshot([at(pct, i + 1)]) })));
    // 46 is within 5 points of the 50 % warn level: no re-arm; 44 re-arms (back to normal).
    expect(out.flat()).toEqual(['Disk 57 % on a', 'Back to normal: a', 'Disk 53 % on a']);
    expect(out[5]).toEqual(['Back to normal: a']);
  });

  it('targets the machine, so a click opens the window on it', () => {
    let state = initialNotifyState;
    let last;
    for (let i = 1; i <= 3; i++) {
      last = nextNotifications(state, {
        snapshot: testSnapshot([at(70, i)]),
        fleets: [ciFleet],
        records: [],
        now: i,
        localMinuteOfDay: NOON,
        options,
      });
      state = last.state;
    }
    expect(last?.notifications[0]?.target).toEqual({ kind: 'machine', machineKey: 'ci/a' });
  });
});

describe('proposal and kill notifications', () => {
  it('announce a confirmable proposal once, and not a blocked one', () => {
    const snapshot = testSnapshot([], {
      proposals: [proposal('a'), proposal('b', { blocked: ['job 3 running'] })],
    });
    const { out, state } = run([{ snapshot }, { snapshot }]);
    expect(out).toEqual([['Kill proposed'], []]);
    const first = nextNotifications(initialNotifyState, {
      snapshot,
      fleets: [ciFleet],
      records: [],
      now: 1,
      localMinuteOfDay: NOON,
      options,
    }).notifications[0];
    expect(first?.body).toBe('Kill a (disk 78 %, idle 12 min): click to review and confirm.');
    expect(first?.target).toEqual({ kind: 'proposal', proposalId: 'a' });
    expect(state.proposalsSeen).toEqual(['a']);
  });

  it('tell when a kill succeeds or fails, from the audit result records', () => {
    const { out } = run([
      {
        snapshot: testSnapshot([]),
        records: [
          result('ok', 'a', 'DELETE /v1/servers/1: 204'),
          result('failed', 'b', 'Hetzner answered 503'),
          { ...result('ok', 'c', null), type: 'confirm' },
        ],
      },
    ]);
    expect(out[0]).toEqual(['Kill of a done', 'Kill of b failed']);
  });
});

describe('source failing notifications', () => {
  it('raise once the outage is longer than the bound, and again only after recovery', () => {
    const bound = options.sourceFailingMinutes * 60_000;
    const { out } = run([
      { snapshot: testSnapshot([], { sources: [source('failing', 0)] }), now: bound - 1 },
      { snapshot: testSnapshot([], { sources: [source('failing', 0)] }), now: bound },
      { snapshot: testSnapshot([], { sources: [source('failing', 0)] }), now: bound * 2 },
      { snapshot: testSnapshot([], { sources: [source('ok', bound * 2)] }), now: bound * 2 + 1 },
      {
        snapshot: testSnapshot([], { sources: [source('failing', bound * 2)] }),
        now: bound * 3 + 1,
      },
    ]);
    expect(out).toEqual([
      [],
      ['Hetzner p failing for 5 min'],
      [],
      ['Back to normal: Hetzner p'],
      ['Hetzner p failing for 5 min'],
    ]);
  });

  it('measure a source that never succeeded from when it was first seen failing', () => {
    const { out } = run([
      { snapshot: testSnapshot([], { sources: [source('failing', null)] }), now: 10_000 },
      { snapshot: testSnapshot([], { sources: [source('failing', null)] }), now: 10_000 + 299_999 },
      { snapshot: testSnapshot([], { sources: [source('failing', null)] }), now: 10_000 + 300_000 },
    ]);
    expect(out).toEqual([[], [], ['Hetzner p failing for 5 min']]);
  });
});

describe('summaries and quiet hours', () => {
  it('sum up more than summaryAfter notifications into one that opens the fleet', () => {
    const snapshot = testSnapshot([], {
      proposals: ['a', 'b', 'c', 'd'].map((id) => proposal(id)),
    });
    const next = nextNotifications(initialNotifyState, {
      snapshot,
      fleets: [ciFleet],
      records: [],
      now: 1,
      localMinuteOfDay: NOON,
      options,
    });
    expect(next.notifications).toHaveLength(1);
    expect(next.notifications[0]).toMatchObject({
      reason: 'summary',
      title: '4 alerts at once',
      target: { kind: 'fleet' },
      machineKeys: ['ci/a', 'ci/b', 'ci/c', 'ci/d'],
    });
    expect(next.notifications[0]?.body).toMatch(/^4 proposed for a kill\. /);
  });

  it('hold everything during quiet hours and give one summary when they end', () => {
    const quiet = { ...options, quietHours: { start: '22:00', end: '07:00' } };
    const { out } = run([
      {
        snapshot: testSnapshot([], { proposals: [proposal('a')] }),
        localMinuteOfDay: 23 * 60,
        options: quiet,
      },
      {
        snapshot: testSnapshot([], { proposals: [proposal('a')] }),
        records: [result('failed', 'b', 'boom')],
        localMinuteOfDay: 3 * 60,
        options: quiet,
      },
      {
        snapshot: testSnapshot([], { proposals: [proposal('a')] }),
        localMinuteOfDay: 7 * 60,
        options: quiet,
      },
      {
        snapshot: testSnapshot([], { proposals: [proposal('a')] }),
        localMinuteOfDay: 7 * 60 + 1,
        options: quiet,
      },
    ]);
    expect(out).toEqual([[], [], ['2 alerts during quiet hours'], []]);
  });

  it('show nothing and keep nothing when notifications are off', () => {
    const off = { ...options, enabled: false };
    const { out, state } = run([
      { snapshot: testSnapshot([], { proposals: [proposal('a')] }), options: off },
    ]);
    expect(out).toEqual([[]]);
    expect(state.held).toEqual([]);
    // Turned back on, an already-seen proposal is not announced late.
    expect(
      run([{ snapshot: testSnapshot([], { proposals: [proposal('a')] }) }], state).out,
    ).toEqual([[]]);
  });

  it('quiet hours span midnight when start is after end', () => {
    const q = { start: '22:00', end: '07:00' };
    expect([21 * 60 + 59, 22 * 60, 0, 6 * 60 + 59, 7 * 60].map((m) => inQuietHours(m, q))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
    expect(inQuietHours(13 * 60, { start: '12:00', end: '14:00' })).toBe(true);
    expect(inQuietHours(14 * 60, { start: '12:00', end: '14:00' })).toBe(false);
    expect(inQuietHours(0, null)).toBe(false);
  });

  it('reject quiet hours that are not HH:MM', () => {
    expect(
      NotificationSettings.safeParse({ quietHours: { start: '25:00', end: '07:00' } }).success,
    ).toBe(false);
    expect(
      NotificationSettings.safeParse({ quietHours: { start: '7', end: '07:00' } }).success,
    ).toBe(false);
  });

  it('keep acknowledged and muted alerts quiet, as every host shows them', () => {
    const alerts = {
      acks: [
        { alertKey: 'proposal:ci/a', severity: 'info' as const, by: 'me', at: 0, until: 10_000 },
      ],
      mutes: [
        {
          id: 'm1',
          scope: { fleet: 'ci', machineKey: 'ci/b' },
          by: 'me',
          at: 0,
          until: 10_000,
          includeCritical: false,
        },
      ],
    };
    const snapshot = testSnapshot([], {
      proposals: [proposal('a'), proposal('b'), proposal('c')],
    });
    const next = nextNotifications(initialNotifyState, {
      snapshot,
      fleets: [ciFleet],
      records: [result('failed', 'b', 'boom')],
      now: 1_000,
      localMinuteOfDay: NOON,
      options,
      alerts,
    });
    // a is acknowledged, b is muted (but its failed kill is critical and still speaks).
    expect(next.notifications.map((n) => n.title)).toEqual(['Kill proposed', 'Kill of b failed']);
    expect(next.notifications[0]?.target).toEqual({ kind: 'proposal', proposalId: 'c' });
    // Once the acknowledgement ran out, a new proposal of the same machine speaks again.
    const later = nextNotifications(initialNotifyState, {
      snapshot,
      fleets: [ciFleet],
      records: [],
      now: 20_000,
      localMinuteOfDay: NOON,
      options,
      alerts,
    });
    expect(later.notifications).toHaveLength(3);
  });
});
