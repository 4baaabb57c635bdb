import { Settings } from '../../../shared/settings';
import { ConfigError } from '../errors/config-error';
import { FILE_LIMITS, readBoundedText } from '../read-bounded-file';
import { findJsonSyntaxError } from './json-position';
import { formatIssues, formatPath } from './settings-issues';

/**
 * Reads and validates a config file (JSON, `Settings` from shared/settings.ts; unknown
 * fields are errors). Every failure is a ConfigError whose message is one line naming the
 * file and the problem, fit to print as a command's only output.
 */
export async function loadSettingsFile(path: string): Promise<Settings> {
  let text: string;
  try {
    text = await readBoundedText(path, { maxBytes: FILE_LIMITS.config, label: 'config file' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(message, { cause: error });
  }
  return parseSettingsText(text, path);
}

/** Parses config text; `origin` names it in messages (a file path, "simulated fleet"). */
export function parseSettingsText(text: string, origin: string): Settings {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '')
    throw new ConfigError(`config file ${origin} is empty (expected a JSON object)`);
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    const problem = findJsonSyntaxError(body);
    const detail = problem
      ? `line ${problem.line}, column ${problem.column}: ${problem.reason}`
      : 'not valid JSON';
    throw new ConfigError(`config file ${origin} is not valid JSON at ${detail}`, { cause: error });
  }
  return parseSettings(data, origin);
}

/** Validates already-parsed settings (a file's JSON, or the simulated fleet's settings). */
export function parseSettings(data: unknown, origin: string): Settings {
  const result = Settings.safeParse(data, { reportInput: true });
  if (!result.success)
    throw new ConfigError(`config ${origin}: ${formatIssues(result.error.issues)}`);
  const problem = findReferenceProblem(result.data);
  if (problem) throw new ConfigError(`config ${origin}: ${problem}`);
  return result.data;
}

/**
 * Cross-references the schema cannot check: fleet ids that sources point to, and ids that
 * must be unique because sources and machines are keyed by them.
 */
export function findReferenceProblem(settings: Settings): string | null {
  const duplicate = (label: string, keys: string[], field: string): string | null => {
    const seen = new Set<string>();
    for (const [index, key] of keys.entries()) {
      if (seen.has(key)) return `${formatPath([label, index, field])}: duplicate ${field} "${key}"`;
      seen.add(key);
    }
    return null;
  };
  const fleetIds = settings.fleets.map((fleet) => fleet.id);
  const problem =
    duplicate('fleets', fleetIds, 'id') ??
    duplicate(
      'hetzner',
      settings.hetzner.map((h) => h.id),
      'id',
    ) ??
    duplicate(
      'gitlab',
      settings.gitlab.map((g) => g.id),
      'id',
    ) ??
    duplicate(
      'sshHosts',
      settings.sshHosts.map((s) => s.alias),
      'alias',
    ) ??
    duplicate(
      'prometheus',
      settings.prometheus.map((p) => p.id),
      'id',
    ) ??
    duplicate(
      'runnerMetrics',
      settings.runnerMetrics.map((r) => r.id),
      'id',
    );
  if (problem) return problem;
  const known = new Set(fleetIds);
  const defined =
    fleetIds.length === 0 ? 'no fleets are defined' : `defined: ${fleetIds.join(', ')}`;
  const refs: [string, { fleet: string }[]][] = [
    ['hetzner', settings.hetzner],
    ['sshHosts', settings.sshHosts],
    ['prometheus', settings.prometheus],
    ['runnerMetrics', settings.runnerMetrics],
  ];
  for (const [label, list] of refs) {
    for (const [index, entry] of list.entries()) {
      if (!known.has(entry.fleet)) {
        return `${formatPath([label, index, 'fleet'])}: no fleet with id "${entry.fleet}" (${defined})`;
      }
    }
  }
  return null;
}
