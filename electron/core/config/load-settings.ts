import { Settings } from '../../../shared/settings';
import { ConfigError } from '../errors/config-error';
import { FILE_LIMITS, readBoundedText } from '../read-bounded-file';
import { findJsonSyntaxError } from './json-position';
import { findReferenceProblems } from '../../../shared/settings-issues';
import { formatIssues, formatPath } from './settings-issues';

/**
 * Reads and validates a config file (JSON, `Settings` from shared/settings.ts; unknown
 * fields are errors). Every failure is a ConfigError whose message is one line naming the
 * file and the problem, fit to print as a command's only output.
 */
export async function loadSettingsFile(path: string): Promise<Settings> {
  return parseSettingsText(await readSettingsText(path), path);
}

/** A config file's text, bounded; a ConfigError names why it cannot be read (missing, a folder…). */
export async function readSettingsText(path: string): Promise<string> {
  try {
    return await readBoundedText(path, { maxBytes: FILE_LIMITS.config, label: 'config file' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(message, { cause: error });
  }
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
 * The first cross-reference problem (fleet ids that sources point to, ids that must be
 * unique) as one line with its path, or null.
 */
export function findReferenceProblem(settings: Settings): string | null {
  const [first] = findReferenceProblems(settings);
  return first ? `${formatPath(first.path)}: ${first.message}` : null;
}
