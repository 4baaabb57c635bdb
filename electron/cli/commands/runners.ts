import { dirname, resolve } from 'node:path';
import { collectOnce } from '../collect-once';
import type { PruneOutcome, Runner } from '../../../shared/runner';
import type { Settings } from '../../../shared/settings';
import { sleep } from '../../core/abortable-sleep';
import { AuditLog, currentUser } from '../../core/audit/audit-log';
import { StateDirLock } from '../../core/state-lock/state-dir-lock';
import { loadSettingsForRun } from '../../core/config/corrupt-settings';
import { createEnvFileSecretSource } from '../../core/config/secrets';
import { expandHome } from '../../core/config/expand-home';
import { prepareStateDir } from '../../core/config/state-dir';
import { Engine } from '../../core/engine';
import { previewPrune, pruneRunners } from '../../core/runners/prune';
import { createGitLabSources } from '../../core/sources/gitlab/create-gitlab-sources';
import type { GitLabSource } from '../../core/sources/gitlab/gitlab-source';
import { PRUNE_LIMITS, PruneRequest, type PruneReport } from '../../../shared/runner';
import { UsageError, type CliArgs, type CliCommand, type CommandContext } from '../command';
import { flag, intOption, requiredString, stringOption } from '../option-values';

interface Collected {
  settings: Settings;
  sources: GitLabSource[];
  runners: Runner[];
  engine: Engine;
}

/**
 * Loads the config, runs one collection over its GitLab instances only (runners do not
 * need the Hetzner or SSH sources) and reports failing instances on stderr.
 */
async function collectRunners(context: CommandContext, args: CliArgs): Promise<Collected | null> {
  const configPath = resolve(context.cwd, requiredString(args, 'config', 'FILE'));
  const settings = await loadSettingsForRun(configPath);
  if (settings.gitlab.length === 0)
    throw new UsageError(`config ${configPath} has no "gitlab" instances`);
  const secrets = createEnvFileSecretSource({
    env: context.env,
    baseDir: dirname(configPath),
    warn: (message) => context.err(`warning: ${message}`),
  });
  const sources = createGitLabSources(settings, secrets);
  const engine = new Engine({ sources });
  const snapshot = await collectOnce(engine, context.signal);
  if (snapshot === null) {
    await engine.dispose();
    return null;
  }
  for (const health of snapshot.sources) {
    if (health.lastError) context.err(`warning: ${health.id}: ${health.lastError.message}`);
    for (const warning of health.warnings) context.err(`warning: ${health.id}: ${warning}`);
  }
  if (snapshot.sources.every((s) => s.lastError !== null)) {
    await engine.dispose();
    throw new UsageError('every GitLab instance failed (see the warnings above)');
  }
  return { settings, sources, runners: snapshot.runners, engine };
}

function ago(ms: number | null): string {
  if (ms === null) return 'never';
  const minutes = Math.max(0, Math.round((Date.now() - ms) / 60_000));
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

/** Aligned columns, one runner per line. */
function runnerTable(runners: readonly Runner[]): string[] {
  const rows = [
    ['RUNNER', 'STATUS', 'VERSION', 'CONTACT', 'JOBS', 'MANAGERS', 'DESCRIPTION', 'STALE'],
    ...runners.map((r) => [
      r.key,
      r.paused ? `${r.status} (paused)` : r.status,
      r.version ?? '?',
      ago(r.contactedAt),
      r.runningJobs === null ? '?' : String(r.runningJobs),
      String(r.managers.length),
      r.description ?? '',
      r.staleReason ?? '',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** `runners list`: every runner of every configured GitLab instance. */
export const runnersListCommand: CliCommand = {
  name: 'runners list',
  summary: 'list the GitLab runners of every configured instance',
  usage: 'runners list --config FILE [--json]',
  options: {
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    config: 'FILE  the JSON config (see docs/cli.md)',
    json: 'print the runners as a JSON array (the Runner schema of shared/runner.ts)',
  },
  details:
    'Exit 0 when at least one instance answered (failures on stderr), 2 when the config is bad or every instance failed.',
  async run(context, args) {
    const collected = await collectRunners(context, args);
    if (!collected) return 0;
    try {
      if (flag(args, 'json')) context.out(JSON.stringify(collected.runners, null, 2));
      else for (const line of runnerTable(collected.runners)) context.out(line);
      return 0;
    } finally {
      await collected.engine.dispose();
    }
  },
};

function outcomeLine(outcome: PruneOutcome): string {
  const name = outcome.description ? ` (${outcome.description})` : '';
  return `${outcome.result.padEnd(12)} ${outcome.key}${name}: ${outcome.reason}`;
}

/** `runners prune`: preview stale runners, then delete or pause them in batches. */
export const runnersPruneCommand: CliCommand = {
  name: 'runners prune',
  summary: 'delete (or pause) stale GitLab runners in batches; --dry-run lists them only',
  usage:
    'runners prune --config FILE [--dry-run] [--pause] [--batch N] [--pause-ms N] [--instance ID] [--json]',
  options: {
    config: { type: 'string', short: 'c' },
    'dry-run': { type: 'boolean' },
    pause: { type: 'boolean' },
    batch: { type: 'string' },
    'pause-ms': { type: 'string' },
    instance: { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    config: 'FILE  the JSON config (see docs/cli.md)',
    'dry-run': 'list the stale runners and why, touch nothing',
    pause: 'pause the runners instead of deleting them',
    batch: 'N  runners per batch (1-100, default 10)',
    'pause-ms':
      'N  milliseconds between batches (0-60000, default 2000; the rate limit may ask for more)',
    instance: 'ID  only this GitLab instance (its id in the config)',
    json: 'print the PruneReport as JSON',
  },
  details:
    "A runner is stale when GitLab says so or its last contact is older than the instance's\n" +
    'staleAfterDays. Each runner is re-checked right before it is touched; one that came back\n' +
    'online is skipped. Every delete and pause is written to the audit log in stateDir.\n' +
    'Exit 0 when nothing failed, 1 when some runners failed (listed), 2 for a bad config.',
  async run(context, args) {
    const batchSize = intOption(args, 'batch', 1, 100, 10);
    const pauseMs = intOption(args, 'pause-ms', 0, PRUNE_LIMITS.maxPauseMs, 2_000);
    const instance = stringOption(args, 'instance');
    const dryRun = flag(args, 'dry-run');
    const json = flag(args, 'json');
    const collected = await collectRunners(context, args);
    if (!collected) return 0;
    const stateDir = expandHome(collected.settings.stateDir);
    const audit = new AuditLog({ dir: stateDir });
    let lock: StateDirLock | null = null;
    try {
      await prepareStateDir(stateDir);
      if (instance !== undefined && !collected.settings.gitlab.some((g) => g.id === instance)) {
        throw new UsageError(`--instance ${instance} is not a GitLab instance of this config`);
      }
      const preview = previewPrune(collected.runners, collected.sources, instance);
      for (const block of preview.blocked)
        context.err(`warning: ${block.instance}: ${block.reason}`);
      const action = flag(args, 'pause') ? 'pause' : 'delete';
      if (preview.candidates.length === 0) {
        if (json) context.out(JSON.stringify({ action, dryRun, results: [], batches: 0 }, null, 2));
        else context.out('no stale runners');
        return 0;
      }
      if (!dryRun) {
        // Pruning acts: only the process holding the state directory does (docs/cli.md).
        lock = await StateDirLock.open({ dir: stateDir, command: 'runners prune' });
        const readOnly = lock.readOnlyReason();
        if (readOnly) {
          context.err(`runner-watch runners prune: refused: ${readOnly}`);
          return 1;
        }
      }
      // A request holds at most PRUNE_LIMITS.maxKeys keys; more stale runners take several.
      const keys = preview.candidates.map((c) => c.key);
      const report: PruneReport = { action, dryRun, results: [], batches: 0 };
      for (let start = 0; start < keys.length && !context.signal.aborted;) {
        if (start > 0) await sleep(pauseMs, context.signal).catch(() => undefined);
        const chunk = keys.slice(start, start + PRUNE_LIMITS.maxKeys);
        start += chunk.length;
        const request = PruneRequest.parse({ keys: chunk, action, batchSize, pauseMs, dryRun });
        const part = await pruneRunners(request, {
          admins: collected.sources,
          audit,
          who: currentUser(),
          signal: context.signal,
          ...(json
            ? {}
            : { onOutcome: (outcome: PruneOutcome) => context.out(outcomeLine(outcome)) }),
        });
        report.results.push(...part.results);
        report.batches += part.batches;
      }
      if (json) context.out(JSON.stringify(report, null, 2));
      const failed = report.results.filter((r) => r.result === 'failed');
      if (failed.length > 0)
        context.err(`runner-watch: ${failed.length} of ${report.results.length} runners failed`);
      return failed.length > 0 ? 1 : 0;
    } finally {
      await lock?.dispose();
      await audit.dispose();
      await collected.engine.dispose();
    }
  },
};
