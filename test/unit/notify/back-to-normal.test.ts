import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  initialNotifyState,
  nextNotifications,
  type DesktopNotification,
  type NotifyInput,
  type NotifyState,
} from '../../../electron/core/notify/notification-rules';
import type { AlertState } from '../../../shared/alerts';
import type { FleetSnapshot } from '../../../shared/fleet';
import type { Machine } from '../../../shared/machine';
import { FleetSettings, NotificationSettings, type SettingsInput } from '../../../shared/settings';
import { findReferenceProblems } from '../../../shared/settings-issues';
import { ciFleet, disk, fresh, testMachine, testSnapshot } from '../../support/machines';

const NOON = 12 * 60;
const noisyFleet = FleetSettings.parse({ id: 'noisy' });

/** A machine of `fleet` whose `/` is `pct` full, read at `observedAt` (each step a new sample). */
function at(pct: number, observedAt: number, name = 'a', fleet = 'ci'): Machine {
  return testMachine(name, {
    key: `${fleet}/${name}`,
    fleet,
    disks: fresh([disk('/', pct)], observedAt),
  });
}

interface Step {
  snapshot: FleetSnapshot;
  now?: number;
  alerts?: AlertState;
}

/** Runs evaluations one per step (time advancing a minute each) and returns what each showed. */
function run(
  steps: Step[],
  notifications: z.input<typeof NotificationSettings> = {},
  state: NotifyState = initialNotifyState,
) {
  const options = NotificationSettings.parse(notifications);
  const out: DesktopNotification[][] = [];
  steps.forEach((step, i) => {
    const input: NotifyInput = {
      fleets: [ciFleet, noisyFleet],
      records: [],
      now: step.now ?? 60_000 * (i + 1),
      localMinuteOfDay: NOON,
      options,
      snapshot: step.snapshot,
      ...(step.alerts ? { alerts: step.alerts } : {}),
    };
    const next = nextNotifications(state, input);
    state = next.state;
    out.push(next.notifications);
  });
  return { titles: out.map((list) => list.map((n) => n.title)), out, state };
}

/** One step per disk reading of machine `a` in fleet `ci`. */
function diskSteps(pcts: number[], alerts?: AlertState): Step[] {
  return pcts.map((pct, i) => ({
    snapshot: testSnapshot([at(pct, i + 1)]),
    ...(alerts ? { alerts } : {}),
  }));
}

const ack = (until: number, severity: 'warning' | 'critical' = 'warning'): AlertState => ({
  acks: [{ alertKey: 'disk:ci/a', severity, by: 'me@host', at: 0, until }],
  mutes: [],
});

describe('back to normal', () => {
  it('is sent once when a notified disk re-arms, never while it hovers at the threshold', () => {
    // A disk hovering around the 50 % warn level: one warning, then no flapping until it
    // falls 5 points under (45), then one back-to-normal.
    const { titles } = run(diskSteps([51, 52, 50, 49, 51, 48, 50, 46, 47, 44, 43, 42]));
    expect(titles.flat()).toEqual(['Disk 50 % on a', 'Back to normal: a']);
    expect(titles[9]).toEqual(['Back to normal: a']);
  });

  it('says the disk figure now and the level it is back under, and opens the machine', () => {
    const { out } = run(diskSteps([60, 60, 60, 40]));
    const notice = out[3]?.[0];
    expect(notice).toMatchObject({
      reason: 'back-to-normal',
      body: 'Disk 40 %, back under the 50 % warn level.',
      target: { kind: 'machine', machineKey: 'ci/a' },
    });
  });

  it('is not sent for a problem that was never notified (switched off or below min severity)', () => {
    expect(run(diskSteps([55, 55, 55, 30]), { diskWarnings: false }).titles.flat()).toEqual([]);
    const critOnly = { fleets: [{ fleet: 'ci', minSeverity: 'critical' as const }] };
    expect(run(diskSteps([55, 55, 55, 30]), critOnly).titles.flat()).toEqual([]);
  });

  it('is not sent for an acknowledged alert, nor for one acknowledged after it was shown', () => {
    // Acknowledged from the start: silent on the way up and on the way down.
    expect(run(diskSteps([55, 55, 55, 30], ack(10_000_000))).titles.flat()).toEqual([]);
    // Shown, then acknowledged; the acknowledgement ends when the alert clears (the store
    // drops it), and still no back-to-normal follows: the person chose quiet.
    const steps = diskSteps([55, 55, 55, 56, 30]);
    steps[3] = { ...steps[3]!, alerts: ack(10_000_000) };
    expect(run(steps).titles.flat()).toEqual(['Disk 55 % on a']);
  });

  it('is not sent for a muted fleet', () => {
    const mute: AlertState = {
      acks: [],
      mutes: [
        {
          id: 'm',
          scope: { fleet: 'ci' },
          by: 'me@host',
          at: 0,
          until: 10_000_000,
          includeCritical: false,
        },
      ],
    };
    const steps = diskSteps([55, 55, 55, 56, 30]);
    steps[3] = { ...steps[3]!, alerts: mute };
    steps[4] = { ...steps[4]!, alerts: mute };
    expect(run(steps).titles.flat()).toEqual(['Disk 55 % on a']);
  });

  it('can be switched off globally and per fleet', () => {
    expect(run(diskSteps([55, 55, 55, 30]), { backToNormal: false }).titles.flat()).toEqual([
      'Disk 55 % on a',
    ]);
    const perFleet = { fleets: [{ fleet: 'ci', backToNormal: false }] };
    expect(run(diskSteps([55, 55, 55, 30]), perFleet).titles.flat()).toEqual(['Disk 55 % on a']);
    // The fleet may also turn it on where the global setting is off.
    const onForCi = { backToNormal: false, fleets: [{ fleet: 'ci', backToNormal: true }] };
    expect(run(diskSteps([55, 55, 55, 30]), onForCi).titles.flat()).toEqual([
      'Disk 55 % on a',
      'Back to normal: a',
    ]);
  });

  it('is not sent for a machine that went away (deleted, gone)', () => {
    const steps = diskSteps([55, 55, 55]);
    steps.push({ snapshot: testSnapshot([]) });
    steps.push({
      snapshot: testSnapshot([{ ...at(20, 9), status: fresh('gone' as const) }]),
    });
    expect(run(steps).titles.flat()).toEqual(['Disk 55 % on a']);
  });

  it('follows quiet hours: held, and part of the summary when they end', () => {
    const options = NotificationSettings.parse({});
    let state = initialNotifyState;
    const titles: string[] = [];
    const pcts = [55, 55, 55, 30];
    pcts.forEach((pct, i) => {
      const next = nextNotifications(state, {
        fleets: [ciFleet],
        records: [],
        now: (i + 1) * 60_000,
        // The warning is shown at noon; it clears during the night's quiet hours.
        localMinuteOfDay: i < 3 ? NOON : 23 * 60,
        options: { ...options, quietHours: { start: '22:00', end: '07:00' } },
        snapshot: testSnapshot([at(pct, i + 1)]),
      });
      state = next.state;
      titles.push(...next.notifications.map((n) => n.title));
    });
    expect(titles).toEqual(['Disk 55 % on a']);
    expect(state.held.map((n) => n.reason)).toEqual(['back-to-normal']);
  });
});

describe('an acknowledgement that ends while the problem lasts', () => {
  it('stays quiet until it expires, then speaks once, and back-to-normal follows', () => {
    const until = 4 * 60_000 + 1;
    const { titles, out } = run(diskSteps([55, 55, 55, 56, 57, 58, 30], ack(until)));
    // Quiet for steps 1–4; the acknowledgement ran out before step 5.
    expect(titles.slice(0, 4).flat()).toEqual([]);
    expect(titles[4]).toEqual(['Disk 55 % on a']);
    expect(out[4]?.[0]?.body).toContain('no longer acknowledged or muted');
    expect(titles[5]).toEqual([]);
    expect(titles[6]).toEqual(['Back to normal: a']);
  });

  it('a disk acknowledged as a warning that reaches the kill threshold speaks at once', () => {
    const { titles } = run(diskSteps([55, 55, 55, 58, 61, 62], ack(10_000_000)));
    expect(titles.flat()).toEqual(['Disk 61 % on a (at the kill threshold)']);
  });
});

describe('per-fleet notification rules', () => {
  it('minSeverity critical keeps routine warnings off the desktop but not the kill-level one', () => {
    const rules = { fleets: [{ fleet: 'ci', minSeverity: 'critical' as const }] };
    const { titles, out } = run(diskSteps([55, 55, 55, 58, 61, 62, 50, 40]), rules);
    expect(titles.flat()).toEqual(['Disk 61 % on a (at the kill threshold)', 'Back to normal: a']);
    expect(out[4]?.[0]?.alert?.severity).toBe('critical');
  });

  it('a fleet disk level replaces the fleet warn level for its notifications only', () => {
    const rules = { fleets: [{ fleet: 'ci', diskWarnPct: 70 }] };
    // 55 % (over the fleet's 50 %) never notifies; 71 % does; the other fleet keeps 50 %.
    const steps: Step[] = [1, 2, 3].map((i) => ({
      snapshot: testSnapshot([at(55, i), at(55, i, 'b', 'noisy')]),
    }));
    for (const i of [4, 5, 6]) steps.push({ snapshot: testSnapshot([at(71, i)]) });
    expect(run(steps, rules).titles.flat()).toEqual([
      'Disk 55 % on b',
      'Disk 71 % on a (at the kill threshold)',
    ]);
  });

  it('an hourly limit holds a noisy fleet back, says so once, and never holds critical ones', () => {
    const rules = { fleets: [{ fleet: 'noisy', maxPerHour: 2 }] };
    // Five noisy machines cross one after another; a ci machine crosses in between.
    const steps: Step[] = [];
    const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
    names.forEach((name, k) => {
      for (let s = 1; s <= 3; s++) {
        steps.push({ snapshot: testSnapshot([at(55, s, name, 'noisy')]), now: k * 600_000 + s });
      }
    });
    steps.push(
      ...[1, 2, 3].map((s) => ({ snapshot: testSnapshot([at(55, s)]), now: 3_000_000 + s })),
    );
    // A critical one of the noisy fleet still comes through.
    steps.push(
      ...[1, 2, 3].map((s) => ({
        snapshot: testSnapshot([at(65, s, 'n6', 'noisy')]),
        now: 3_100_000 + s,
      })),
    );
    // Critical ones count too: only once two of the three shown left the hour does it lift.
    steps.push(
      ...[1, 2, 3].map((s) => ({
        snapshot: testSnapshot([at(55, s, 'n7', 'noisy')]),
        now: 4_400_000 + s,
      })),
    );
    const { titles } = run(steps, rules);
    expect(titles.flat()).toEqual([
      'Disk 55 % on n1',
      'Disk 55 % on n2',
      'Fleet noisy: 2 notifications this hour',
      'Disk 55 % on a',
      'Disk 65 % on n6 (at the kill threshold)',
      'Disk 55 % on n7',
    ]);
  });

  it('validates: severities, ranges, one rule per fleet, only fleets that exist', () => {
    expect(
      NotificationSettings.safeParse({ fleets: [{ fleet: 'ci', minSeverity: 'loud' }] }).success,
    ).toBe(false);
    expect(
      NotificationSettings.safeParse({ fleets: [{ fleet: 'ci', diskWarnPct: 0 }] }).success,
    ).toBe(false);
    expect(
      NotificationSettings.safeParse({ fleets: [{ fleet: 'ci', diskWarnPct: 101 }] }).success,
    ).toBe(false);
    expect(
      NotificationSettings.safeParse({ fleets: [{ fleet: 'ci', maxPerHour: 0 }] }).success,
    ).toBe(false);
    expect(NotificationSettings.safeParse({ fleets: [{ fleet: 'ci', extra: 1 }] }).success).toBe(
      false,
    );
    expect(NotificationSettings.safeParse({ fleets: [{ fleet: '' }] }).success).toBe(false);
    expect(NotificationSettings.parse({ fleets: [{ fleet: 'ci' }] }).fleets[0]).toEqual({
      fleet: 'ci',
      minSeverity: 'info',
      diskWarnPct: null,
      maxPerHour: null,
      backToNormal: null,
    });
    const settings: Pick<SettingsInput, 'notifications'> &
      Parameters<typeof findReferenceProblems>[0] = {
      fleets: [{ id: 'ci' }],
      hetzner: [],
      gitlab: [],
      sshHosts: [],
      notifications: { fleets: [{ fleet: 'ci' }, { fleet: 'ci' }, { fleet: 'nope' }] },
    };
    expect(findReferenceProblems(settings)).toEqual([
      { path: ['notifications', 'fleets', 1, 'fleet'], message: 'duplicate rules for fleet "ci"' },
      {
        path: ['notifications', 'fleets', 2, 'fleet'],
        message: 'no fleet with id "nope" (defined: ci)',
      },
    ]);
  });
});
