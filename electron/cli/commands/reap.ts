import type { Proposal } from '../../../shared/proposal';
import { currentUser } from '../../core/audit/audit-log';
import { isRwError } from '../../core/errors/rw-error';
import { createReaper } from '../../core/reaper/create-reaper';
import type { Reaper } from '../../core/reaper/reaper';
import { createEnvFileSecretSource } from '../../core/config/secrets';
import { expandHome } from '../../core/config/expand-home';
import { prepareStateDir } from '../../core/config/state-dir';
import { UsageError, type CliCommand, type CommandContext } from '../command';
import { openRuntimeFromConfig } from '../open-runtime';
import { flag, intOption, requiredString, stringOption } from '../option-values';
import { dirname, resolve } from 'node:path';

/** Waits `ms`, or less when the command is interrupted; resolves false on interruption. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((done) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      done(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      done(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Proposals as text: the summary, then every blocking reason indented. */
export function formatProposals(proposals: readonly Proposal[]): string[] {
  if (proposals.length === 0) return ['no proposals: no rule fires on any machine'];
  const lines: string[] = [];
  for (const p of proposals) {
    const verdict =
      p.blocked.length === 0 ? (p.state === 'dry-run' ? 'WOULD RUN' : 'READY') : 'BLOCKED';
    lines.push(
      `${verdict.padEnd(9)} ${p.fleet}/${p.machineName}  ${p.rule} → ${p.action}  ${p.summary}  [${p.id}]`,
    );
    for (const reason of p.blocked) lines.push(`          - ${reason}`);
    if (p.acknowledge === 'unknown-job-state')
      lines.push(
        '          ! job state on the machine is unknown: confirm with --acknowledge-unknown-job-state',
      );
  }
  return lines;
}

/**
 * `reap`: runs collection cycles with the reaper attached. `--dry-run` prints the
 * proposals with their evidence and blocked reasons once enough cycles ran for the
 * sample rule, and never acts (every fleet forced to dry-run, state kept in memory).
 * `--confirm MACHINE` performs one kill of that machine's proposal, with the re-check;
 * auto mode is held back so the command does nothing else.
 */
export const reapCommand: CliCommand = {
  name: 'reap',
  summary: 'show reaper proposals (--dry-run) or kill one machine after a re-check (--confirm)',
  usage:
    'reap --config FILE (--dry-run [--json] | --confirm MACHINE [--acknowledge-unknown-job-state]) [--cycles N] [--interval S]',
  options: {
    config: { type: 'string', short: 'c' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    confirm: { type: 'string' },
    'acknowledge-unknown-job-state': { type: 'boolean' },
    cycles: { type: 'string' },
    interval: { type: 'string' },
  },
  optionHelp: {
    config: 'FILE  the JSON config (see docs/cli.md)',
    'dry-run': 'evaluate and print, never act',
    json: 'print the proposals as JSON (Proposal[] of the shared contract)',
    confirm: 'MACHINE  name or fleet/name of the machine to kill (one kill, re-checked first)',
    'acknowledge-unknown-job-state':
      'confirm an unreachable machine: its job state is unknown (GitLab shows no job on it)',
    cycles: 'N  collection cycles before deciding (default: the largest samples setting)',
    interval: 'S  seconds between cycles (default 10)',
  },
  details:
    'Exit 0 when the dry run printed or the kill succeeded; 1 when the kill was refused or\n' +
    'failed (the reasons are printed and in the audit log); 2 for a bad config or option.',
  async run(context, args) {
    const config = requiredString(args, 'config', 'FILE');
    const dryRun = flag(args, 'dry-run');
    const target = stringOption(args, 'confirm');
    if (dryRun === (target !== undefined))
      throw new UsageError('give exactly one of --dry-run and --confirm MACHINE');
    if (target === '') throw new UsageError('--confirm needs a machine name');
    const intervalMs = intOption(args, 'interval', 0, 3600, 10) * 1000;
    const { runtime, settings, configPath } = await openRuntimeFromConfig(context, {
      configPath: config,
      host: 'cli',
    });
    const maxSamples = Math.max(1, ...settings.fleets.map((f) => f.reaper.samples));
    const cycles = intOption(args, 'cycles', 1, 1000, maxSamples);
    const secrets = createEnvFileSecretSource({
      env: context.env,
      baseDir: dirname(resolve(context.cwd, configPath)),
      warn: () => undefined,
    });
    let reaper: Reaper | null = null;
    try {
      // The audit log goes there, dry run or not: one bounded line naming stateDir if it can't.
      await prepareStateDir(expandHome(settings.stateDir));
      reaper = await createReaper({
        settings,
        engine: runtime.engine,
        secrets,
        log: (line) => context.err(line),
        lockCommand: 'reap --confirm',
        ...(dryRun
          ? { modeOverride: () => 'dry-run' as const, memoryState: true }
          : { modeOverride: (mode) => (mode === 'auto' ? 'notify' : mode) }),
      });
      // SIGINT/SIGTERM: no new action starts; one running gets the grace period, then is
      // recorded as interrupted (and checked against the provider on the next start).
      const active = reaper;
      context.signal.addEventListener('abort', () => void active.dispose(), { once: true });
      // Said up front: this run will not be able to act (another process holds the state
      // directory, or the state file is unreadable); the confirmation below is refused.
      for (const warning of reaper.warnings()) context.err(`warning: ${warning}`);
      for (let i = 0; i < cycles; i++) {
        if (i > 0 && !(await pause(intervalMs, context.signal))) return 0;
        await runtime.engine.runOnce();
        await reaper.idle();
        context.err(`cycle ${i + 1} of ${cycles}: ${reaper.proposals().length} proposal(s)`);
      }
      if (context.signal.aborted) return 0;
      if (dryRun) {
        const proposals = reaper.proposals();
        if (flag(args, 'json')) context.out(JSON.stringify(proposals, null, 2));
        else for (const line of formatProposals(proposals)) context.out(line);
        return 0;
      }
      return await confirmOne(
        context,
        reaper,
        target as string,
        flag(args, 'acknowledge-unknown-job-state'),
      );
    } finally {
      await reaper?.dispose();
      await runtime.dispose();
    }
  },
};

async function confirmOne(
  context: CommandContext,
  reaper: Reaper,
  target: string,
  acknowledgeUnknownJobState: boolean,
): Promise<number> {
  const proposal = reaper
    .proposals()
    .find((p) => p.machineName === target || p.machineKey === target);
  if (!proposal) {
    context.err(
      `runner-watch reap: no proposal for ${target}: no rule fires on it now (or it is not in any fleet)`,
    );
    return 1;
  }
  let result;
  try {
    result = await reaper.confirm(proposal.id, currentUser(), { acknowledgeUnknownJobState });
  } catch (error) {
    if (!isRwError(error) || (error.code !== 'read_only' && error.code !== 'state_corrupt'))
      throw error;
    context.err(`refused: ${proposal.machineName}`);
    context.err(`  - ${error.message}`);
    return 1;
  }
  if (result.outcome === 'ok') {
    context.out(`done: ${proposal.machineName}: ${result.detail ?? ''}`.trim());
    return 0;
  }
  context.err(`${result.outcome}: ${proposal.machineName}`);
  for (const reason of result.reasons) context.err(`  - ${reason}`);
  if (result.detail) context.err(`  ${result.detail}`);
  // Stopped by SIGINT/SIGTERM: the action finished or was recorded (audit, state file);
  // a clean shutdown exits 0 like every other command.
  if (context.signal.aborted) {
    context.err('stopped by signal: the action was finished or recorded; the next start checks it');
    return 0;
  }
  return 1;
}
