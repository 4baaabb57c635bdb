import { Settings, type SecretRef } from '../shared/settings';
import type { SettingsIssue } from '../shared/settings-api';
import { formatPath, settingsProblems } from '../shared/settings-issues';

/** A path into the settings document. */
export type Path = readonly (string | number)[];

/** The key problems and typed secrets are filed under: `gitlab[0].token`. */
export function pathKey(path: Path): string {
  return formatPath(path);
}

/** The value at a path, or undefined. */
export function getAt(root: unknown, path: Path): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/**
 * A copy of `root` with `value` at `path` (undefined removes the key, so the default
 * applies). Only the objects along the path are copied.
 */
export function setAt<T>(root: T, path: Path, value: unknown): T {
  const [head, ...rest] = path;
  if (head === undefined) return value as T;
  const node = (typeof root === 'object' && root !== null ? root : {}) as Record<
    string | number,
    unknown
  >;
  const copy: Record<string | number, unknown> = Array.isArray(node)
    ? ([...node] as unknown as Record<number, unknown>)
    : { ...node };
  const next = setAt(node[head], rest, value);
  if (next === undefined && !Array.isArray(copy)) delete copy[head];
  else copy[head] = next;
  return copy as T;
}

/** Problems of a draft, by path key; a typed secret counts as a valid reference. */
export function validateDraft(
  draft: unknown,
  typedSecrets: ReadonlyMap<string, { path: Path; value: string }>,
): Map<string, string[]> {
  let candidate = draft;
  const placeholder: SecretRef = { file: 'typed in the Settings view' };
  for (const { path } of typedSecrets.values()) candidate = setAt(candidate, path, placeholder);
  return groupIssues(settingsProblems(Settings.safeParse(candidate)));
}

/** Issues by path key, several per field possible. */
export function groupIssues(issues: readonly SettingsIssue[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const issue of issues) {
    const key = pathKey(issue.path);
    out.set(key, [...(out.get(key) ?? []), issue.message]);
  }
  return out;
}

/** Problems at a path or inside it (a section's count). */
export function problemsUnder(problems: ReadonlyMap<string, string[]>, path: Path): number {
  const prefix = pathKey(path);
  let n = 0;
  for (const [key, list] of problems) {
    if (key === prefix || key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`))
      n += list.length;
  }
  return n;
}
