import type { Notification, NotificationConstructorOptions } from 'electron';
import type { AlertState } from '../shared/alerts';
import type { AuditRecord } from '../shared/audit';
import type { FleetSettings, NotificationSettings } from '../shared/settings';
import type { Engine } from './core/engine';
import { DisposableStore, type Disposable } from './core/lifecycle';
import {
  initialNotifyState,
  nextNotifications,
  type DesktopNotification,
  type NotificationTarget,
} from './core/notify/notification-rules';

/** The Notification methods the adapter calls; tests pass a double with the same signatures. */
export type NotificationLike = Pick<Notification, 'show'> & {
  on(event: 'click', listener: () => void): unknown;
  on(event: 'close', listener: () => void): unknown;
};

/** What the notification adapter needs; main.ts passes Electron's `Notification`. */
export interface NotifyDeps {
  engine: Pick<Engine, 'onEvent' | 'snapshot'>;
  fleets: readonly FleetSettings[];
  /** Read at every evaluation, so a change in Settings applies at once. */
  options: () => NotificationSettings;
  /** Audit records as they are written (kill results); the runtime's `onAudit`. */
  onAudit(listener: (record: AuditRecord) => void): Disposable;
  createNotification(options: NotificationConstructorOptions): NotificationLike;
  /** Acknowledgements and mutes made in any host; quieted alerts are not shown. */
  alertState?: () => AlertState;
  /** Opens the window on what the notification is about. */
  onClick(target: NotificationTarget): void;
  now?: () => number;
  /** Minutes since local midnight; the local clock by default. */
  localMinuteOfDay?: (now: number) => number;
}

function localMinute(now: number): number {
  const date = new Date(now);
  return date.getHours() * 60 + date.getMinutes();
}

/**
 * Raises desktop notifications from engine events and audit records. Every rule is in
 * core (`nextNotifications`); this keeps the state between evaluations and shows what
 * the rules return. Shown notifications are kept referenced until closed: Electron drops
 * the click handler of a garbage-collected Notification.
 */
export function registerNotifications(deps: NotifyDeps): Disposable {
  const store = new DisposableStore();
  const now = deps.now ?? Date.now;
  const minuteOf = deps.localMinuteOfDay ?? localMinute;
  const live = new Set<NotificationLike>();
  let state = initialNotifyState;
  let records: AuditRecord[] = [];

  const show = (n: DesktopNotification) => {
    const notification = deps.createNotification({
      title: n.title,
      body: n.body,
      urgency: n.reason === 'kill-failed' || n.reason === 'source-failing' ? 'critical' : 'normal',
    });
    live.add(notification);
    notification.on('click', () => deps.onClick(n.target));
    notification.on('close', () => live.delete(notification));
    notification.show();
  };
  const evaluate = () => {
    if (store.isDisposed) return;
    const at = now();
    const next = nextNotifications(state, {
      snapshot: deps.engine.snapshot(),
      fleets: deps.fleets,
      records,
      now: at,
      localMinuteOfDay: minuteOf(at),
      options: deps.options(),
      ...(deps.alertState ? { alerts: deps.alertState() } : {}),
    });
    records = [];
    state = next.state;
    for (const notification of next.notifications) show(notification);
  };
  store.add(deps.engine.onEvent(evaluate));
  store.add(
    deps.onAudit((record) => {
      records.push(record);
      evaluate();
    }),
  );
  return store;
}
