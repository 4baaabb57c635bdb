import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Expands a leading `~` or `~/` to the home directory (`~user` is left alone: resolving
 * other users' homes needs the passwd database, and configs never need it).
 */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith('~\\')) return join(home, path.slice(2));
  return path;
}

/**
 * Expands `~` and makes a relative path absolute against `baseDir` (the config file's
 * folder), so a config means the same whatever directory the command runs in.
 */
export function resolveConfigPath(path: string, baseDir: string, home: string = homedir()): string {
  const expanded = expandHome(path, home);
  return isAbsolute(expanded) ? expanded : resolve(baseDir, expanded);
}
