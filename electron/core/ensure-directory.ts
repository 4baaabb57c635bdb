import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Deeper than any real path; bounds the walk up to an existing ancestor. */
const MAX_DEPTH = 256;

/**
 * What keeps `dir` from being a writable directory, or null when it is one. With `create`,
 * missing folders are made (0700) one level at a time: Node's own `mkdir({recursive:
 * true})` loops forever where a parent exists but refuses children with ENOENT
 * (`/proc/self/nope`), and fails with a raw ENOTDIR where a path component is a file.
 * Without `create` nothing is made, and a missing folder is fine if its parent is writable.
 */
export async function directoryProblem(dir: string, create: boolean): Promise<string | null> {
  const target = resolve(dir);
  const missing: string[] = [];
  let current = target;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) return `${target} is nested too deeply`;
    const found = await stat(current).then(
      (info) => (info.isDirectory() ? 'dir' : 'other'),
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    );
    if (found === 'dir') break;
    if (found === 'other')
      return current === target
        ? `${target} exists and is not a directory`
        : `${target} cannot be created: ${current} is a file, not a directory`;
    if (found !== 'ENOENT' && found !== 'ENOTDIR')
      return `${current} cannot be examined (${found})`;
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) return `${target} cannot be created: no existing parent folder`;
    current = parent;
  }
  if (!create) {
    // Missing is fine for a reader: the first writer creates it, if the parent lets it.
    const problem = await writableProblem(current);
    if (problem && missing.length > 0) return `${target} cannot be created: ${problem}`;
    return problem;
  }
  for (const path of missing) {
    try {
      await mkdir(path, { mode: 0o700 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      if (
        code === 'EEXIST' &&
        (await stat(path).then(
          (s) => s.isDirectory(),
          () => false,
        ))
      )
        continue;
      return `${target} cannot be created (${code} at ${path})`;
    }
  }
  return writableProblem(target);
}

async function writableProblem(dir: string): Promise<string | null> {
  try {
    await access(dir, constants.W_OK | constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return `${dir} is not writable (${code})`;
  }
}
