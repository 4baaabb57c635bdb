import { useState } from 'react';
import { ReaperMode } from '../../shared/proposal';
import { useConnected } from '../api/useFleet';
import { useSetMode } from '../api/useReaper';

const MODE_TEXT: Record<ReaperMode, string> = {
  off: 'off — propose nothing executable',
  notify: 'notify — a person confirms each kill',
  'dry-run': 'dry-run — record what would be done',
  auto: 'auto — kill on its own, within every guard',
};

/**
 * A fleet's reaper mode with a switch. Switching to `auto` asks once more, because from
 * then on machines are deleted without a person confirming. The server audits the switch.
 */
export function ModeSwitch(props: { fleet: string; mode: ReaperMode | null }) {
  const setMode = useSetMode();
  const connected = useConnected();
  const [askAuto, setAskAuto] = useState(false);
  const selectId = `mode-${props.fleet}`;
  return (
    <div className="mode-switch" data-testid="mode-switch" data-fleet={props.fleet}>
      <label htmlFor={selectId}>Reaper mode of {props.fleet}</label>
      <select
        id={selectId}
        value={props.mode ?? ''}
        disabled={setMode.isPending || !connected}
        onChange={(event) => {
          const parsed = ReaperMode.safeParse(event.target.value);
          if (!parsed.success) return;
          if (parsed.data === 'auto') setAskAuto(true);
          else setMode.mutate({ fleet: props.fleet, mode: parsed.data });
        }}
      >
        {props.mode === null ? (
          // Only from a host that does not send fleet policies (older than this renderer).
          <option value="" disabled>
            mode unknown: the host does not report it
          </option>
        ) : null}
        {ReaperMode.options.map((mode) => (
          <option key={mode} value={mode}>
            {MODE_TEXT[mode]}
          </option>
        ))}
      </select>
      {askAuto ? (
        <span role="alert" className="auto-confirm" data-testid="auto-confirm">
          Auto deletes machines in {props.fleet} without asking anyone.{' '}
          <button
            type="button"
            className="danger"
            onClick={() => {
              setAskAuto(false);
              setMode.mutate({ fleet: props.fleet, mode: 'auto' });
            }}
          >
            Switch to auto
          </button>{' '}
          <button type="button" onClick={() => setAskAuto(false)}>
            Keep {props.mode ?? 'the current mode'}
          </button>
        </span>
      ) : null}
      {setMode.isError ? (
        <span role="alert" className="error-text small">
          Mode not switched: {setMode.error.message}
        </span>
      ) : null}
    </div>
  );
}
