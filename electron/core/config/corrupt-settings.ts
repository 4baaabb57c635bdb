import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Settings } from '../../../shared/settings';
import { ConfigError } from '../errors/config-error';
import { writeFileAtomic } from './atomic-file';
import { parseSettingsText, readSettingsText } from './load-settings';

/*
 * A settings file that was read but does not parse or validate (torn by a crash,
 * hand-edited wrong, another version's fields) is corrupt. The hosts that run on it never
 * fall back to defaults in its place — default kill settings on a fleet someone had set
 * to `off` would be the worst outcome — and never rewrite it: they refuse to start, keep
 * a copy beside it (the user's next save or editor session cannot lose what was there),
 * and say that nothing runs until the file is fixed.
 */

/** Copies kept per file at most; older identical copies are reused, not repeated. */
const MAX_COPIES_CHECKED = 50;

/** Where the copy of a corrupt file goes: `<file>.corrupt-<UTC time>`. */
export function corruptCopyPath(path: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  return `${path}.corrupt-${stamp}`;
}

/**
 * Keeps a copy of a corrupt settings file's text beside it (mode 0600: it names secret
 * references), unless a copy with the same text is there already: a host restarted in a
 * loop on the same broken file keeps one copy, not one per start. Resolves to the copy's
 * path, or to why none could be made (a read-only or full folder).
 */
export async function keepCorruptCopy(
  path: string,
  text: string,
  now: number = Date.now(),
): Promise<{ copy: string } | { failed: string }> {
  const prefix = `${basename(path)}.corrupt-`;
  try {
    const siblings = (await fs.readdir(dirname(path)))
      .filter((name) => name.startsWith(prefix))
      .sort()
      .reverse()
      .slice(0, MAX_COPIES_CHECKED);
    for (const name of siblings) {
      const existing = join(dirname(path), name);
      const same = await fs.readFile(existing, 'utf8').then(
        (old) => old === text,
        () => false,
      );
      if (same) return { copy: existing };
    }
    const copy = corruptCopyPath(path, now);
    await writeFileAtomic(copy, text, { mode: 0o600, forceMode: true });
    return { copy };
  } catch (error) {
    return { failed: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The error a host reports for a corrupt settings file: the problem, where the copy is,
 * and that nothing runs on the file. `text` is the file as read; when absent (the file
 * was parsed by a library) it is read again, and a file that cannot be read gets no copy.
 */
export async function corruptSettingsError(
  path: string,
  problem: ConfigError,
  text?: string,
  now: number = Date.now(),
): Promise<ConfigError> {
  const body = text ?? (await readSettingsText(path).catch(() => undefined));
  const kept = body === undefined ? null : await keepCorruptCopy(path, body, now);
  const copy =
    kept === null
      ? ''
      : 'copy' in kept
        ? `; a copy is kept at ${kept.copy}`
        : `; no copy could be kept (${kept.failed})`;
  return new ConfigError(
    `${problem.message}${copy}; nothing runs on this file until it is fixed: no machine is watched and the reaper does nothing (defaults are never used in its place)`,
    { cause: problem },
  );
}

/**
 * Loads the settings file a host runs on: like `loadSettingsFile`, but a file that was
 * read and does not parse is reported with `corruptSettingsError` (copy kept, nothing runs).
 * A missing or unreadable file is reported as it is: there is nothing to keep.
 */
export async function loadSettingsForRun(path: string): Promise<Settings> {
  const text = await readSettingsText(path);
  try {
    return parseSettingsText(text, path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw await corruptSettingsError(path, error, text);
  }
}
