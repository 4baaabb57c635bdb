import { ConfigError } from '../errors/config-error';
import { directoryProblem } from '../ensure-directory';

/**
 * Makes sure `stateDir` is a writable directory, creating it (0700) and its missing
 * parents one level at a time, bounded (see `directoryProblem`); every failure is one
 * line naming `stateDir`.
 */
export async function prepareStateDir(dir: string): Promise<void> {
  const problem = await directoryProblem(dir, true);
  if (problem) throw new ConfigError(`stateDir: ${problem}`);
}

/**
 * What is wrong with `stateDir` for a command that only reads (`scan` warns with it), or
 * null when it is a writable directory or could be created. Creates nothing.
 */
export async function stateDirProblem(dir: string): Promise<string | null> {
  return directoryProblem(dir, false);
}
