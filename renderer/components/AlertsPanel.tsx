import { useState } from 'react';
import type { AlertMute, AlertsView, RaisedAlertInfo } from '../../shared/alerts';
import { useAckAlert, useAlerts, useEndAlertQuiet, useMuteAlerts } from '../api/useAlerts';
import { formatDateTime } from '../format';

/** Durations offered for an acknowledgement or mute; the host caps them at a week. */
export const QUIET_DURATIONS = [
  { minutes: 30, text: '30 min' },
  { minutes: 60, text: '1 hour' },
  { minutes: 240, text: '4 hours' },
  { minutes: 1_440, text: '1 day' },
  { minutes: 10_080, text: '1 week' },
] as const;

/** What a mute and an acknowledgement leave audible; one line on a short window, whole in its tooltip. */
const QUIET_RULES =
  'Critical alerts still come through a mute; an acknowledged alert speaks again when it gets worse, clears and returns, or the time is up.';

const SEVERITY_TEXT: Record<RaisedAlertInfo['severity'], string> = {
  info: 'info',
  warning: 'warning',
  critical: 'critical',
};

/**
 * The alerts raised now, with "I'm on it" (acknowledge until a time), mute of a machine or
 * a fleet, and the way back (end the acknowledgement, unmute). Quiet alerts stay listed,
 * greyed, with who quieted them and until when: nothing is hidden from the window.
 */
export function AlertsPanel() {
  const alerts = useAlerts();
  const ack = useAckAlert();
  const mute = useMuteAlerts();
  const end = useEndAlertQuiet();
  const [minutes, setMinutes] = useState<number>(60);
  const view = alerts.data;
  const busy = ack.isPending || mute.isPending || end.isPending;
  const error = ack.error ?? mute.error ?? end.error;
  if (!view) {
    return (
      <p className="muted" data-testid="alerts-loading">
        {alerts.error ? `Alerts unavailable: ${alerts.error.message}` : 'Loading alerts…'}
      </p>
    );
  }
  return (
    <div className="alerts-panel" data-testid="alerts-panel">
      <div className="insight-toolbar">
        <label>
          Acknowledge or mute for{' '}
          <select
            value={minutes}
            onChange={(event) => setMinutes(Number(event.target.value))}
            data-testid="quiet-duration"
          >
            {QUIET_DURATIONS.map((d) => (
              <option key={d.minutes} value={d.minutes}>
                {d.text}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small insight-note" title={QUIET_RULES}>
          {QUIET_RULES}
        </span>
      </div>
      {view.problem ? (
        <p className="warn-text small" role="alert">
          {view.problem}
        </p>
      ) : null}
      {error ? (
        <p className="error-text small" role="alert">
          Not changed: {error.message}
        </p>
      ) : null}
      {view.raised.length === 0 ? (
        <p className="ok-text" data-testid="alerts-none">
          No alerts raised now.
        </p>
      ) : (
        <div className="insight-scroll">
          <table className="insight-table" aria-label="Alerts raised now">
            <colgroup>
              <col className="col-severity" />
              <col />
              <col className="col-state" />
              <col className="col-actions" />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Alert</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {view.raised.map((alert) => (
                <tr
                  key={alert.key}
                  data-testid="alert-row"
                  data-alert-key={alert.key}
                  className={alert.quiet ? 'alert-quiet' : undefined}
                >
                  <td>
                    <span className={`badge severity-${alert.severity}`}>
                      {SEVERITY_TEXT[alert.severity]}
                    </span>
                  </td>
                  <td>{alert.title}</td>
                  <td className="small" data-testid="alert-state">
                    {alert.quiet
                      ? `${alert.quiet.reason === 'acknowledged' ? 'acknowledged' : 'muted'} by ${alert.quiet.by} until ${formatDateTime(alert.quiet.until)}`
                      : 'notifying'}
                  </td>
                  <td className="alert-actions">
                    <AlertActions
                      alert={alert}
                      view={view}
                      busy={busy}
                      onAck={() =>
                        ack.mutate({ alertKey: alert.key, severity: alert.severity, minutes })
                      }
                      onEndAck={() => end.mutate({ alertKey: alert.key })}
                      onMute={(machineKey) =>
                        alert.fleet &&
                        mute.mutate({
                          scope: machineKey
                            ? { fleet: alert.fleet, machineKey }
                            : { fleet: alert.fleet },
                          minutes,
                          includeCritical: false,
                        })
                      }
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MuteList
        mutes={view.state.mutes}
        busy={busy}
        onUnmute={(id) => end.mutate({ muteId: id })}
      />
    </div>
  );
}

function AlertActions(props: {
  alert: RaisedAlertInfo;
  view: AlertsView;
  busy: boolean;
  onAck(): void;
  onEndAck(): void;
  onMute(machineKey: string | null): void;
}) {
  const { alert, view, busy } = props;
  const acked = view.state.acks.some((a) => a.alertKey === alert.key);
  return (
    <div className="alert-action-row">
      {acked ? (
        <button
          type="button"
          disabled={busy}
          onClick={props.onEndAck}
          title="End the acknowledgement: the alert notifies again"
          data-testid="alert-end-ack"
        >
          End ack
        </button>
      ) : (
        <button
          type="button"
          disabled={busy}
          onClick={props.onAck}
          title="I'm on it: quiet until the chosen time or until it gets worse"
          data-testid="alert-ack"
        >
          Acknowledge
        </button>
      )}
      {alert.fleet && alert.machineKey ? (
        <button
          type="button"
          disabled={busy}
          onClick={() => props.onMute(alert.machineKey)}
          title={`Mute the alerts of ${alert.machineKey} for the chosen time`}
          data-testid="alert-mute-machine"
        >
          Mute machine
        </button>
      ) : null}
      {alert.fleet ? (
        <button
          type="button"
          disabled={busy}
          onClick={() => props.onMute(null)}
          // The fleet's name is in the name and tooltip, not the label: a long one would
          // stretch the row's buttons into a column on a narrow window.
          aria-label={`Mute fleet ${alert.fleet}`}
          title={`Mute the alerts of fleet ${alert.fleet} for the chosen time`}
          data-testid="alert-mute-fleet"
        >
          Mute fleet
        </button>
      ) : null}
    </div>
  );
}

function MuteList(props: {
  mutes: readonly AlertMute[];
  busy: boolean;
  onUnmute(id: string): void;
}) {
  if (props.mutes.length === 0) return null;
  return (
    <ul className="mute-list small" aria-label="Mutes in force" data-testid="mute-list">
      {props.mutes.map((m) => (
        <li key={m.id} data-testid="mute-row">
          Muted{' '}
          <strong>
            {m.scope.machineKey ? `machine ${m.scope.machineKey}` : `fleet ${m.scope.fleet}`}
          </strong>{' '}
          until {formatDateTime(m.until)} by {m.by}
          {m.includeCritical ? ' (critical too)' : ''}{' '}
          <button
            type="button"
            disabled={props.busy}
            onClick={() => props.onUnmute(m.id)}
            data-testid="unmute"
          >
            Unmute
          </button>
        </li>
      ))}
    </ul>
  );
}
