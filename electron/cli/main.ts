import { parseArgs } from 'node:util';
import { isRwError } from '../core/errors/rw-error';
import { redactor } from '../core/errors/redact';
import { UsageError, type CliArgs, type CliCommand, type CommandContext } from './command';
import { commands as defaultCommands } from './commands/index';
import { formatCommandHelp, formatOverview } from './help-text';
import { packageVersion } from './project-paths';

/** What `main` uses of the process; tests and the bin pass their own. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Install SIGINT/SIGTERM handlers (the bin does; in-process tests do not). */
  handleSignals: boolean;
  commands: readonly CliCommand[];
  /** How long a clean shutdown may take after the first signal (default `SHUTDOWN_BOUND_MS`). */
  shutdownBoundMs: number;
}

/**
 * After SIGINT/SIGTERM the command gets this long to stop cleanly (abort collections,
 * flush state); then the process exits anyway (130/143), whatever step it was stuck in.
 * docs/cli.md states this bound.
 */
export const SHUTDOWN_BOUND_MS = 10_000;

/**
 * Runs `runner-watch` with the given arguments and resolves to the exit code: 0 done,
 * 1 internal error, 2 the user's mistake (bad option, bad config, every source failed).
 * User errors are one line on stderr, never a stack trace.
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const out = io.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const commands = io.commands ?? defaultCommands;
  const version = packageVersion();

  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? findCommand(commands, argv.slice(1)) : null;
    for (const line of topic ? formatCommandHelp(topic.command) : formatOverview(commands, version))
      out(line);
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v') {
    out(version);
    return 0;
  }
  const found = findCommand(commands, argv);
  if (!found) {
    const group = commands.filter((c) => c.name.startsWith(`${first} `));
    if (group.length > 0) {
      const subs = group.map((c) => c.name.slice(first.length + 1)).join(', ');
      err(`runner-watch ${first}: needs a sub-command (${subs}; see runner-watch --help)`);
      return 2;
    }
    const names = commands.map((c) => c.name).join(', ');
    err(
      `runner-watch: unknown command "${argv.join(' ')}" (commands: ${names}; see runner-watch --help)`,
    );
    return 2;
  }
  const { command, rest } = found;

  const abort = new AbortController();
  const shutdownBoundMs = io.shutdownBoundMs ?? SHUTDOWN_BOUND_MS;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    // A second signal means "now": the first one's clean shutdown is taking too long.
    if (abort.signal.aborted) process.exit(code);
    abort.abort();
    // A step that does not listen to the signal must not keep the process alive for good.
    setTimeout(() => {
      err(`runner-watch ${command.name}: did not stop within ${shutdownBoundMs} ms; exiting`);
      process.exit(code);
    }, shutdownBoundMs).unref();
  };
  if (io.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const context: CommandContext = {
    out,
    err,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    signal: abort.signal,
    version,
  };
  try {
    const args = parseCommandArgs(command, rest);
    if (args.values.help === true) {
      for (const line of formatCommandHelp(command)) out(line);
      return 0;
    }
    return await command.run(context, args);
  } catch (error) {
    return reportError(command, error, context);
  } finally {
    if (io.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/** The command whose name words start the argument list (longest match wins). */
function findCommand(
  commands: readonly CliCommand[],
  argv: readonly string[],
): { command: CliCommand; rest: string[] } | null {
  let best: { command: CliCommand; rest: string[] } | null = null;
  let bestLength = 0;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.length > bestLength && words.every((word, i) => argv[i] === word)) {
      best = { command, rest: argv.slice(words.length) };
      bestLength = words.length;
    }
  }
  return best;
}

function parseCommandArgs(command: CliCommand, rest: string[]): CliArgs {
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(describeParseError(error, command));
  }
}

/** Node's parseArgs messages are long and multi-sentence; keep the first, in our words. */
function describeParseError(error: unknown, command: CliCommand): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) return `unknown option ${unknown[1]}`;
  const missing = /Option '([^']+)' argument missing/.exec(message);
  if (missing) return `option ${missing[1]?.replace(/ <value>$/, '')} needs a value`;
  const ambiguous = /Option '([^']+)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    const given = ambiguous[1]?.replace(/ <value>$/, '').replace(/^-\w, /, '') ?? '';
    const short = /^-(\w)$/.exec(given)?.[1];
    const long = short
      ? Object.entries(command.options).find(([, option]) => option.short === short)?.[0]
      : given.replace(/^--/, '');
    const name = long ? `--${long}` : given;
    return `option ${given} needs a value; for one that starts with "-", write ${name}=VALUE`;
  }
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument "${positional[1]}"`;
  return oneLine(message.split('. ')[0] ?? message);
}

function reportError(command: CliCommand, error: unknown, context: CommandContext): number {
  if (error instanceof UsageError) {
    context.err(
      `runner-watch ${command.name}: ${redactor.redact(error.message)} (see runner-watch ${command.name} --help)`,
    );
    return 2;
  }
  if (isRwError(error) && error.code !== 'internal') {
    context.err(`runner-watch ${command.name}: ${redactor.redact(oneLine(error.message))}`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  context.err(`runner-watch ${command.name}: internal error: ${redactor.redact(oneLine(message))}`);
  if (context.env.RW_DEBUG && error instanceof Error && error.stack) {
    context.err(redactor.redact(error.stack));
  }
  return 1;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
