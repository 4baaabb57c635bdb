import { jobCostsToCsv } from '../../../shared/cost-csv';
import type { CostReport } from '../../../shared/cost';
import { UsageError, type CliCommand } from '../command';
import { flag, hoursOption, requiredString } from '../option-values';
import { collectOnce, keepingJobsFor } from '../collect-once';
import { openRuntimeFromConfig } from '../open-runtime';

/** GitLab sources keep at most a week of finished jobs (`timelineHours` ≤ 168). */
const MAX_HOURS = 168;

/** `cost`: the fleet's cost per hour now, and what the jobs of a window cost. */
export const costCommand: CliCommand = {
  name: 'cost',
  summary: 'fleet cost per hour, and job cost per job and project (Hetzner prices)',
  usage: 'cost --config FILE [--since 24h] [--json | --csv]',
  options: {
    config: { type: 'string', short: 'c' },
    since: { type: 'string' },
    json: { type: 'boolean' },
    csv: { type: 'boolean' },
  },
  optionHelp: {
    config: 'FILE  the JSON config (see docs/cli.md)',
    since: 'DURATION  jobs finished within this window: 90m, 12h, 7d (at most 7d; default 24h)',
    json: 'print the CostReport as JSON',
    csv: 'print one CSV line per job (the same format as the UI download)',
  },
  details:
    'Prices come from each Hetzner project (GET /server_types), cached for a day in the state\n' +
    'dir. A machine or job whose price cannot be known is listed as unpriced, never as 0.\n' +
    'Exit 0 with a report, 2 when the config is bad.',
  async run(context, args) {
    const config = requiredString(args, 'config', 'FILE');
    const sinceHours = hoursOption(args, 'since', MAX_HOURS, 24);
    if (flag(args, 'json') && flag(args, 'csv'))
      throw new UsageError('choose one of --json and --csv');
    const { runtime } = await openRuntimeFromConfig(context, {
      configPath: config,
      host: 'cli',
      // The GitLab sources must read back as far as the window asks.
      adjust: keepingJobsFor(sinceHours),
    });
    try {
      const cycle = await collectOnce(runtime.engine, context.signal);
      if (cycle === null) return 0;
      const report = await runtime.api['rw:cost:report']({ sinceHours });
      if (flag(args, 'json')) context.out(JSON.stringify(report, null, 2));
      else if (flag(args, 'csv')) context.out(jobCostsToCsv(report).trimEnd());
      else for (const line of formatCostText(report)) context.out(line);
      for (const warning of report.warnings) context.err(`warning: ${warning}`);
      return 0;
    } finally {
      await runtime.dispose();
    }
  },
};

/** The report as a few readable lines: fleets, then projects per day, then unpriced counts. */
export function formatCostText(report: CostReport): string[] {
  const money = (value: number) => `${value.toFixed(value < 1 ? 4 : 2)} ${report.currency}`;
  const lines = [`fleet cost now: ${money(report.fleetPerHour)}/h (${report.basis} prices)`];
  for (const fleet of report.fleets) {
    const unpriced = fleet.unpriced > 0 ? `, ${fleet.unpriced} unpriced` : '';
    lines.push(
      `  ${fleet.fleet}: ${money(fleet.perHour)}/h, ${fleet.machines} machines${unpriced}`,
    );
  }
  const days = report.projects.filter((p) => p.period === 'day');
  lines.push(`job cost since ${new Date(report.since).toISOString()}: ${report.jobs.length} jobs`);
  for (const row of days) {
    const unpriced = row.unpricedJobs > 0 ? ` (+${row.unpricedJobs} unpriced)` : '';
    lines.push(
      `  ${new Date(row.start).toISOString().slice(0, 10)}  ${row.projectPath}: ${money(row.cost)}, ${row.jobs} jobs${unpriced}`,
    );
  }
  return lines;
}
