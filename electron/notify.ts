import type { FleetSettings } from '../shared/settings';
import type { Engine } from './core/engine';
import { toDisposable, type Disposable } from './core/lifecycle';
import {
  initialDiskAlertState,
  nextDiskNotifications,
  type DiskNotification,
} from './core/notify/disk-notifications';

/** Shows one notification; main.ts passes a function over Electron's `Notification`. */
export type ShowNotification = (notification: DiskNotification) => void;

/** Raises disk notifications from engine events; the rules live in core. */
export function registerNotifications(
  engine: Pick<Engine, 'onEvent' | 'snapshot'>,
  fleets: readonly FleetSettings[],
  show: ShowNotification,
): Disposable {
  let state = initialDiskAlertState;
  const subscription = engine.onEvent(() => {
    const next = nextDiskNotifications(state, engine.snapshot(), fleets);
    state = next.state;
    for (const notification of next.notifications) show(notification);
  });
  return toDisposable(() => subscription.dispose());
}
