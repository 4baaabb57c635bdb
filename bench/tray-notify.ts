// Cost of what the desktop app does on every engine event: the tray state and menu
// (computeTrayState + trayMenuModel) and the notification rules (nextNotifications), for
// 16 … 5,000 machines with a tenth changing their disk each event. Pure functions, no I/O.
// Run: npx tsx bench/tray-notify.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { initialNotifyState, nextNotifications } from '../electron/core/notify/notification-rules';
import { trayMenuModel } from '../electron/core/tray/tray-menu';
import { computeTrayState } from '../electron/core/tray/tray-state';
import { NotificationSettings } from '../shared/settings';
import { ciFleet, disk, fresh, testMachine, testSnapshot } from '../test/support/machines';

const options = NotificationSettings.parse({});

function snapshotAt(size: number, event: number) {
  const machines = [];
  for (let i = 0; i < size; i++) {
    const used = 20 + ((i + (i % 10 === event % 10 ? event : 0)) % 75);
    machines.push(
      testMachine(`runner-${i}`, {
        disks: fresh([disk('/', used), disk('/var/lib/docker', used)], event),
      }),
    );
  }
  return testSnapshot(machines);
}

function measure(size: number, events: number) {
  const snapshots = Array.from({ length: events }, (_, e) => snapshotAt(size, e + 1));
  let state = initialNotifyState;
  const tray: number[] = [];
  const notify: number[] = [];
  for (const [e, snapshot] of snapshots.entries()) {
    let t = performance.now();
    trayMenuModel(computeTrayState(snapshot, [ciFleet]));
    tray.push(performance.now() - t);
    t = performance.now();
    state = nextNotifications(state, {
      snapshot,
      fleets: [ciFleet],
      records: [],
      now: e,
      localMinuteOfDay: 720,
      options,
    }).state;
    notify.push(performance.now() - t);
  }
  const median = (xs: number[]) =>
    Number([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(3));
  return { machines: size, events, medianTrayMs: median(tray), medianNotifyMs: median(notify) };
}

const results = [16, 100, 1000, 5000].map((size) => measure(size, size >= 5000 ? 10 : 30));
console.table(results);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/tray-notify.json',
  `${JSON.stringify({ bench: 'tray-notify', node: process.version, at: new Date().toISOString(), results }, null, 2)}\n`,
);
console.log('wrote bench/results/tray-notify.json');
