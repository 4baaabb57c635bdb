import { z } from 'zod';
import { Timestamp } from './time';

/** How bad an alert is. Critical ones (a failed kill, a disk at the kill level) are the rare important ones. */
export const AlertSeverity = z.enum(['info', 'warning', 'critical']);
/** How bad an alert is. */
export type AlertSeverity = z.infer<typeof AlertSeverity>;

/** A problem raised now, with whether an acknowledgement or mute keeps it quiet. */
export const RaisedAlertInfo = z.object({
  key: z.string(),
  severity: AlertSeverity,
  fleet: z.string().nullable(),
  machineKey: z.string().nullable(),
  title: z.string(),
  /** Why it is not notified now; null when it is. */
  quiet: z
    .object({ reason: z.enum(['acknowledged', 'muted']), by: z.string(), until: Timestamp })
    .nullable(),
});
/** A problem raised now. */
export type RaisedAlertInfo = z.infer<typeof RaisedAlertInfo>;

/** What an alert is about: a fleet, or one machine of it. */
export const AlertScope = z.strictObject({
  fleet: z.string().min(1).max(64),
  /** `<fleet>/<name>`; absent: the whole fleet. */
  machineKey: z.string().min(1).max(300).optional(),
});
/** What an alert is about. */
export type AlertScope = z.infer<typeof AlertScope>;

/** "I'm on it": an alert that stays quiet until it expires, clears, or gets worse. */
export const AlertAck = z.object({
  /** The alert's stable key, e.g. `disk:ci/runner-1`. */
  alertKey: z.string().min(1).max(400),
  /** The severity that was acknowledged: a worse one notifies again. */
  severity: AlertSeverity,
  by: z.string(),
  at: Timestamp,
  until: Timestamp,
  note: z.string().max(500).optional(),
});
/** An acknowledged alert. */
export type AlertAck = z.infer<typeof AlertAck>;

/** A mute of a machine or fleet for a while. Critical alerts still come through unless asked. */
export const AlertMute = z.object({
  id: z.string(),
  scope: AlertScope,
  by: z.string(),
  at: Timestamp,
  until: Timestamp,
  includeCritical: z.boolean(),
});
/** A mute of a machine or fleet. */
export type AlertMute = z.infer<typeof AlertMute>;

/** Acknowledgements and mutes, persisted across restarts. */
export const AlertState = z.object({
  acks: z.array(AlertAck),
  mutes: z.array(AlertMute),
});
/** Acknowledgements and mutes. */
export type AlertState = z.infer<typeof AlertState>;

/** At most a week: a mute or acknowledgement that never ends would hide the next real problem. */
const MAX_MINUTES = 7 * 24 * 60;

/** Request of the acknowledge channel. */
export const AckAlertRequest = z.strictObject({
  alertKey: z.string().min(1).max(400),
  severity: AlertSeverity,
  minutes: z.number().int().min(1).max(MAX_MINUTES),
  note: z.string().max(500).optional(),
});
/** Request of the acknowledge channel. */
export type AckAlertRequest = z.infer<typeof AckAlertRequest>;

/** Request of the mute channel. */
export const MuteAlertsRequest = z.strictObject({
  scope: AlertScope,
  minutes: z.number().int().min(1).max(MAX_MINUTES),
  includeCritical: z.boolean().default(false),
});
/** Request of the mute channel. */
export type MuteAlertsRequest = z.infer<typeof MuteAlertsRequest>;

/** Ends an acknowledgement (by alert key) or a mute (by id) early. */
export const EndAlertQuietRequest = z.union([
  z.strictObject({ alertKey: z.string().min(1).max(400) }),
  z.strictObject({ muteId: z.string().min(1).max(100) }),
]);
/** Ends an acknowledgement or a mute early. */
export type EndAlertQuietRequest = z.infer<typeof EndAlertQuietRequest>;

/** Raised alerts and the acknowledgements and mutes in force: the alerts channel's answer. */
export const AlertsView = z.object({
  raised: z.array(RaisedAlertInfo),
  state: AlertState,
  /** Set when the stored acknowledgements could not be read at start (file kept aside). */
  problem: z.string().nullable(),
});
/** Raised alerts with their quiet state. */
export type AlertsView = z.infer<typeof AlertsView>;
