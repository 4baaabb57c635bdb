import type { ExpendablePattern } from '../../../shared/settings';
import type { RunningJob } from '../../../shared/machine';

const cache = new Map<string, RegExp>();

/**
 * Compiles a glob to an anchored RegExp: `**` matches anything including `/`, `*` anything
 * but `/`, `?` one character but `/`; every other character is literal (so `.`, `+`, `(`
 * in project paths and refs mean themselves).
 */
export function globToRegExp(glob: string): RegExp {
  const hit = cache.get(glob);
  if (hit) return hit;
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        source += '.*';
        i++;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
    }
  }
  const regex = new RegExp(`^${source}$`, 's');
  cache.set(glob, regex);
  return regex;
}

/** True when `value` matches the whole glob. */
export function globMatch(glob: string, value: string): boolean {
  return globToRegExp(glob).test(value);
}

/**
 * True when the job matches the pattern: every part the pattern gives must match, and a
 * part the job does not know (not yet linked by GitLab) never matches — unknown is not
 * expendable. A pattern that gives no part matches nothing, so `{}` cannot make every job
 * expendable by accident.
 */
export function isExpendable(job: RunningJob, patterns: readonly ExpendablePattern[]): boolean {
  return patterns.some((pattern) => {
    const parts: [string | undefined, string | null][] = [
      [pattern.project, job.projectPath],
      [pattern.job, job.name],
      [pattern.ref, job.ref],
    ];
    if (parts.every(([glob]) => glob === undefined)) return false;
    return parts.every(
      ([glob, value]) => glob === undefined || (value !== null && globMatch(glob, value)),
    );
  });
}
