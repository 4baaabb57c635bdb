import type { FleetSnapshot } from '../../../shared/fleet';
import { collectOnce } from '../collect-once';
import { expandHome } from '../../core/config/expand-home';
import { stateDirProblem } from '../../core/config/state-dir';
import type { CliCommand } from '../command';
import { flag, requiredString } from '../option-values';
import { openRuntimeFromConfig } from '../open-runtime';
import { formatSnapshotText } from '../snapshot-text';

/** `scan`: one collection cycle, printed as a table or as the FleetSnapshot JSON. */
export const scanCommand: CliCommand = {
  name: 'scan',
  summary: 'collect once from every source and print the fleet',
  usage: 'scan --config FILE [--json]',
  options: {
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    config: 'FILE  the JSON config (see docs/cli.md)',
    json: 'print the FleetSnapshot as JSON instead of a table',
  },
  details:
    'Exit 0 when at least one source answered (failures are listed on stderr), 2 when the\n' +
    'config is bad or every source failed.',
  async run(context, args) {
    const config = requiredString(args, 'config', 'FILE');
    const { runtime, settings } = await openRuntimeFromConfig(context, {
      configPath: config,
      host: 'cli',
    });
    try {
      // scan writes nothing there but the price cache (for orphans), while serve and reap
      // will: say so now.
      const stateProblem = await stateDirProblem(expandHome(settings.stateDir));
      if (stateProblem) context.err(`warning: stateDir: ${stateProblem}`);
      let snapshot = await collectOnce(runtime.engine, context.signal);
      if (snapshot === null) return 0;
      // Orphans are shown with their cost so far: read the price lists they need.
      if (snapshot.machines.some((m) => m.orphan && m.orphan.perHour === null)) {
        await runtime.refreshPrices();
        snapshot = runtime.engine.snapshot();
      }
      const failed = failingSources(snapshot);
      if (failed.length > 0 && answeringSources(snapshot) === 0) {
        context.err(`runner-watch: all sources failed: ${failed.join('; ')}`);
        return 2;
      }
      if (flag(args, 'json')) {
        context.out(JSON.stringify(snapshot, null, 2));
      } else {
        for (const line of formatSnapshotText(snapshot)) context.out(line);
      }
      for (const failure of failed) context.err(`warning: source ${failure}`);
      return 0;
    } finally {
      await runtime.dispose();
    }
  },
};

/**
 * Sources that answered with something. A probe (SSH, Prometheus) that succeeded with no
 * machine to probe — because the inventory sources failed — answered nothing, so a failed
 * Hetzner project plus an idle probe still counts as "every source failed".
 */
function answeringSources(snapshot: FleetSnapshot): number {
  const probeKinds = new Set(['ssh', 'prometheus']);
  return snapshot.sources.filter(
    (s) => s.lastError === null && !(probeKinds.has(s.kind) && snapshot.machines.length === 0),
  ).length;
}

/** `<source id>: <error>` for every source whose last run failed. */
function failingSources(snapshot: FleetSnapshot): string[] {
  return snapshot.sources
    .filter((s) => s.lastError !== null)
    .map((s) => `${s.id}: ${s.lastError?.message ?? 'failed'}`);
}
