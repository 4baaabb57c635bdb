import { RwError } from '../../errors/rw-error';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one argument for a POSIX shell (sh, bash, dash, zsh; also fish): safe words stay
 * as they are, anything else goes in single quotes with embedded quotes spliced as `'\''`.
 * Remote commands always pass through the login shell, so every argument goes through here.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new RwError('bad_input', 'a command argument contains a NUL byte');
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins argv into one command line for the remote shell, every argument quoted. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new RwError('bad_input', 'empty command');
  return argv.map(shellQuote).join(' ');
}
