import type { AlertsView } from '../../../shared/alerts';
import { collectOnce } from '../collect-once';
import { UsageError, type CliCommand } from '../command';
import { flag, hoursOption, requiredString, stringOption } from '../option-values';
import { openRuntimeFromConfig } from '../open-runtime';

/** `alerts`: what is raised now, and acknowledging or muting it. */
export const alertsCommand: CliCommand = {
  name: 'alerts',
  summary: 'raised alerts; acknowledge one or mute a machine or fleet for a while',
  usage:
    'alerts --config FILE [--ack KEY | --mute FLEET[/MACHINE] [--include-critical] | --end KEY|MUTE-ID] [--for 2h] [--json]',
  options: {
    config: { type: 'string', short: 'c' },
    ack: { type: 'string' },
    mute: { type: 'string' },
    end: { type: 'string' },
    for: { type: 'string' },
    'include-critical': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    config: 'FILE  the JSON config (see docs/cli.md)',
    ack: 'KEY  "I\'m on it": keep this alert quiet (until it clears, gets worse or --for ends)',
    mute: 'FLEET[/MACHINE]  keep a fleet or one machine quiet for --for',
    end: 'KEY|MUTE-ID  end an acknowledgement or a mute now',
    for: 'DURATION  how long: 30m, 2h, 1d (at most 7d; default 1h)',
    'include-critical':
      'the mute silences critical alerts too (by default they still come through)',
    json: 'print the AlertsView as JSON',
  },
  details:
    'Acknowledgements and mutes are kept in the state dir and hold across restarts for every\n' +
    'host. Exit 0; 2 for a bad config or option, or an unknown alert key.',
  async run(context, args) {
    const config = requiredString(args, 'config', 'FILE');
    const ack = stringOption(args, 'ack');
    const mute = stringOption(args, 'mute');
    const end = stringOption(args, 'end');
    if ([ack, mute, end].filter((v) => v !== undefined).length > 1)
      throw new UsageError('choose one of --ack, --mute and --end');
    const minutes = Math.round(hoursOption(args, 'for', 168, 1) * 60);
    const { runtime } = await openRuntimeFromConfig(context, { configPath: config, host: 'cli' });
    try {
      const cycle = await collectOnce(runtime.engine, context.signal);
      if (cycle === null) return 0;
      let view = await runtime.api['rw:alerts:list']({});
      if (ack !== undefined) {
        const alert = view.raised.find((a) => a.key === ack);
        if (!alert)
          throw new UsageError(`no raised alert ${ack}: list them with runner-watch alerts`);
        view = await runtime.api['rw:alerts:ack']({
          alertKey: ack,
          severity: alert.severity,
          minutes,
        });
      } else if (mute !== undefined) {
        const [fleet, ...rest] = mute.split('/');
        if (!fleet || !runtime.settings.fleets.some((f) => f.id === fleet))
          throw new UsageError(`--mute: no fleet "${fleet ?? ''}" in the config`);
        view = await runtime.api['rw:alerts:mute']({
          scope: rest.length > 0 ? { fleet, machineKey: mute } : { fleet },
          minutes,
          includeCritical: flag(args, 'include-critical'),
        });
      } else if (end !== undefined) {
        const isMute = view.state.mutes.some((m) => m.id === end);
        view = await runtime.api['rw:alerts:end'](isMute ? { muteId: end } : { alertKey: end });
      }
      if (flag(args, 'json')) context.out(JSON.stringify(view, null, 2));
      else for (const line of formatAlertsText(view)) context.out(line);
      if (view.problem) context.err(`warning: ${view.problem}`);
      return 0;
    } finally {
      await runtime.dispose();
    }
  },
};

/** One line per raised alert, then the mutes in force. */
export function formatAlertsText(view: AlertsView): string[] {
  const time = (at: number) => new Date(at).toISOString().slice(0, 16).replace('T', ' ');
  const lines = view.raised.map((alert) => {
    const quiet = alert.quiet
      ? `  [${alert.quiet.reason} by ${alert.quiet.by} until ${time(alert.quiet.until)} UTC]`
      : '';
    return `${alert.severity.padEnd(8)} ${alert.key}  ${alert.title}${quiet}`;
  });
  if (lines.length === 0) lines.push('no alert raised');
  for (const mute of view.state.mutes) {
    const scope = mute.scope.machineKey ?? `fleet ${mute.scope.fleet}`;
    lines.push(
      `mute ${mute.id}: ${scope} until ${time(mute.until)} UTC by ${mute.by}${mute.includeCritical ? ' (critical too)' : ''}`,
    );
  }
  return lines;
}
