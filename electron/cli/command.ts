import type { ParseArgsConfig } from 'node:util';

/** Options of a command, as `node:util` parseArgs takes them. */
export type CliOptions = NonNullable<ParseArgsConfig['options']>;

/** Parsed option values (strings and booleans) and positionals of one invocation. */
export interface CliArgs {
  values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  positionals: readonly string[];
}

/** What a command gets from the process; tests pass their own. */
export interface CommandContext {
  /** One line to stdout (results: the URL line, scan output). */
  out(line: string): void;
  /** One line to stderr (progress, warnings). */
  err(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: stop accepting, dispose, return 0. */
  signal: AbortSignal;
  version: string;
}

/**
 * One `runner-watch` command. Adding a command is one file exporting a CliCommand and one
 * line in `commands/index.ts`.
 */
export interface CliCommand {
  /** The words that select it: `scan`, or `runners list` for a sub-command. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage line, e.g. `scan --config FILE [--json]`. */
  readonly usage: string;
  /** Option descriptions for --help, by option name (`--help` is added for every command). */
  readonly optionHelp: Readonly<Record<string, string>>;
  /** Longer help text shown under the options (exit codes, examples). */
  readonly details?: string;
  readonly options: CliOptions;
  /** Whether the command takes positional arguments. */
  readonly allowPositionals?: boolean;
  /** Returns the exit code. Throw UsageError (exit 2) for the user's mistakes. */
  run(context: CommandContext, args: CliArgs): Promise<number>;
}

/** A mistake of the user's (bad option, missing file): one line on stderr, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
