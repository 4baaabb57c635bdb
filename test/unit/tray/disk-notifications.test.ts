import { describe, expect, it } from 'vitest';
import {
  initialDiskAlertState,
  nextDiskNotifications,
  type DiskAlertState,
} from '../../../electron/core/notify/disk-notifications';
import type { Machine } from '../../../shared/machine';
import { ciFleet, disk, fresh, testMachine, testSnapshot } from '../../support/machines';

function at(pct: number | null, observedAt: number, name = 'a'): Machine {
  return testMachine(name, { disks: fresh(pct === null ? null : [disk('/', pct)], observedAt) });
}

function feed(samples: Machine[][], state: DiskAlertState = initialDiskAlertState) {
  const titles: string[] = [];
  for (const machines of samples) {
    const next = nextDiskNotifications(state, testSnapshot(machines), [ciFleet]);
    state = next.state;
    titles.push(...next.notifications.map((n) => n.title));
  }
  return { titles, state };
}

describe('disk notifications', () => {
  it('raises once after N consecutive new samples over the warn level', () => {
    const { titles } = feed([[at(55, 1)], [at(56, 2)], [at(57, 3)], [at(58, 4)], [at(59, 5)]]);
    expect(titles).toEqual(['Disk 57 % on a']);
  });

  it('does not count the same sample twice', () => {
    const { titles } = feed([[at(55, 1)], [at(55, 1)], [at(55, 1)], [at(55, 2)]]);
    expect(titles).toEqual([]);
  });

  it('re-arms only after falling 5 points below the warn level', () => {
    const over = [[at(55, 1)], [at(55, 2)], [at(55, 3)]];
    const dipSmall = [[at(47, 4)], [at(55, 5)], [at(55, 6)], [at(55, 7)]];
    const first = feed([...over, ...dipSmall]);
    expect(first.titles).toEqual(['Disk 55 % on a']);
    const second = feed([[at(44, 8)], [at(55, 9)], [at(55, 10)], [at(55, 11)]], first.state);
    expect(second.titles).toEqual(['Disk 55 % on a']);
  });

  it('neither counts nor re-arms on unknown readings', () => {
    const { titles } = feed([[at(55, 1)], [at(null, 2)], [at(55, 3)], [at(55, 4)]]);
    expect(titles).toEqual(['Disk 55 % on a']);
  });

  it('sends one summary when many machines cross at once', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const round = (t: number) => names.map((n) => at(70, t, n));
    const { titles } = feed([round(1), round(2), round(3)]);
    expect(titles).toEqual(['5 machines over their disk warn level']);
  });
});

describe('disk notifications with the settings’ notification options', () => {
  const run = (options: Parameters<typeof nextDiskNotifications>[3], samples: Machine[][]) => {
    let state = initialDiskAlertState;
    const titles: string[] = [];
    for (const machines of samples) {
      const next = nextDiskNotifications(state, testSnapshot(machines), [ciFleet], options);
      state = next.state;
      titles.push(...next.notifications.map((n) => n.title));
    }
    return titles;
  };
  const over = [[at(55, 1)], [at(55, 2)], [at(55, 3)]];

  it('raises nothing when disk warnings are off', () => {
    expect(run({ diskWarnings: false }, over)).toEqual([]);
    expect(run({ diskWarnings: true }, over)).toEqual(['Disk 55 % on a']);
  });

  it('re-arms after the configured number of points', () => {
    // A dip to 47 (3 below the warn level 50) re-arms with 2 points, not with the default 5.
    const again = [[at(47, 4)], [at(55, 5)], [at(55, 6)], [at(55, 7)]];
    expect(run({ rearmPoints: 2 }, [...over, ...again])).toEqual([
      'Disk 55 % on a',
      'Disk 55 % on a',
    ]);
    expect(run({}, [...over, ...again])).toEqual(['Disk 55 % on a']);
  });
});
