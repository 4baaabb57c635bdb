import type { QueueHealth } from '../../../shared/queue';
import type { CliCommand } from '../command';
import { flag, hoursOption, requiredString } from '../option-values';
import { collectOnce, keepingJobsFor } from '../collect-once';
import { openRuntimeFromConfig } from '../open-runtime';

/** `queue`: how long jobs waited for a runner, per runner and per tag. */
export const queueCommand: CliCommand = {
  name: 'queue',
  summary: 'job pick-up waits per runner and tag, with a warning when they grow',
  usage: 'queue --config FILE [--window 1h] [--json]',
  options: {
    config: { type: 'string', short: 'c' },
    window: { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    config: 'FILE  the JSON config (see docs/cli.md)',
    window: 'DURATION  the window compared with the one before it: 30m, 1h, 6h (at most 24h)',
    json: 'print the QueueHealth as JSON',
  },
  details:
    "Waits are GitLab's queued_duration of jobs that started in the window. A p95 of 5 min\n" +
    'or more whose median doubled (or 15 min or more in any case) is warned: the fleet is\n' +
    'too small or stuck. Exit 0, or 1 when any row is warned; 2 when the config is bad.',
  async run(context, args) {
    const config = requiredString(args, 'config', 'FILE');
    const windowHours = hoursOption(args, 'window', 24, 1);
    const { runtime } = await openRuntimeFromConfig(context, {
      configPath: config,
      host: 'cli',
      // Two windows of jobs: the current one and the one it is compared with.
      adjust: keepingJobsFor(2 * windowHours),
    });
    try {
      const cycle = await collectOnce(runtime.engine, context.signal);
      if (cycle === null) return 0;
      const health = await runtime.api['rw:queue:health']({ windowHours });
      if (flag(args, 'json')) context.out(JSON.stringify(health, null, 2));
      else for (const line of formatQueueText(health)) context.out(line);
      return health.rows.some((row) => row.warning !== null) ? 1 : 0;
    } finally {
      await runtime.dispose();
    }
  },
};

/** One line per runner and tag: jobs, median and p95 wait, the warning. */
export function formatQueueText(health: QueueHealth): string[] {
  const sec = (value: number | null) =>
    value === null ? '–' : value < 90 ? `${Math.round(value)} s` : `${Math.round(value / 60)} min`;
  if (health.rows.length === 0) return [`no job started in the last ${health.windowHours} h`];
  return health.rows.map(
    (row) =>
      `${row.warning ? '!' : ' '} ${row.scope} ${row.label}: ${row.jobs} jobs, median ${sec(row.p50Sec)}, p95 ${sec(row.p95Sec)} (before: ${sec(row.previousP50Sec)})${row.warning ? ` — ${row.warning}` : ''}`,
  );
}
