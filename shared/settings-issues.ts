import type { z } from 'zod';

/** Writes a zod path the way a person reads a JSON document: `fleets[0].reaper.samples`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key))
      out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/**
 * One zod issue as one line naming the JSON path and what was expected. Values from the
 * file are never echoed, only their type: a token pasted inline where a reference belongs
 * must not reach a terminal or a log.
 */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  const at = (text: string) => (where ? `${where}: ${text}` : text);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const names = issue.keys.map((key) => formatPath([...issue.path, key]));
      return names.length === 1
        ? `unknown field ${names[0]}`
        : `unknown fields ${names.join(', ')}`;
    }
    case 'invalid_type': {
      const expected = describeType(issue.expected);
      if (issue.input === undefined) return at(`missing (expected ${expected})`);
      return at(`expected ${expected}, got ${typeOf(issue.input)}`);
    }
    case 'too_small':
      return at(`expected ${bound(issue.origin, issue.minimum, issue.inclusive !== false, 'min')}`);
    case 'too_big':
      return at(`expected ${bound(issue.origin, issue.maximum, issue.inclusive !== false, 'max')}`);
    case 'invalid_value':
      return at(`expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`);
    case 'invalid_format':
      if (issue.format === 'url')
        return at('expected an http:// or https:// URL such as https://gitlab.example.com');
      if (issue.format === 'regex') return at(issue.message);
      return at(`expected ${issue.format} format`);
    case 'invalid_union':
      if (isSecretRefUnion(issue)) {
        return at(
          typeof issue.input === 'string'
            ? 'secrets are never written inline: use {"env": "NAME"} or {"file": "PATH"}'
            : 'expected a secret reference {"env": "NAME"} or {"file": "PATH"}',
        );
      }
      return at('matches none of the allowed forms');
    case 'not_multiple_of':
      return at(`expected a multiple of ${String(issue.divisor)}`);
    default:
      return at(issue.message);
  }
}

/** Formats the first issue and says how many more there are, still on one line. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const [first, ...rest] = issues;
  if (!first) return 'invalid settings';
  const more =
    rest.length === 0 ? '' : ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})`;
  return formatIssue(first) + more;
}

function describeType(expected: string): string {
  switch (expected) {
    case 'int':
      return 'a whole number';
    case 'array':
      return 'a list';
    case 'object':
      return 'an object';
    case 'string':
    case 'number':
    case 'boolean':
      return `a ${expected}`;
    default:
      return expected;
  }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a fraction';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function bound(
  origin: string,
  limit: number | bigint,
  inclusive: boolean,
  side: 'min' | 'max',
): string {
  const n = String(limit);
  if (origin === 'string')
    return side === 'min'
      ? `at least ${n} character${n === '1' ? '' : 's'}`
      : `at most ${n} characters`;
  if (origin === 'array' || origin === 'set')
    return side === 'min' ? `at least ${n} item${n === '1' ? '' : 's'}` : `at most ${n} items`;
  const op = side === 'min' ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<';
  return `a number ${op} ${n}`;
}

/** The only unions in Settings are secret references; recognise them by their branches. */
function isSecretRefUnion(issue: z.core.$ZodIssueInvalidUnion): boolean {
  const text = JSON.stringify(issue.errors);
  return (
    text.includes('"env"') ||
    text.includes('"file"') ||
    /token|passphrase/i.test(String(issue.path.at(-1)))
  );
}

/** One settings problem at a path of the document, as the Settings view shows it. */
export interface SettingsProblem {
  /** Path into the settings, e.g. `['gitlab', 0, 'url']`; empty for the whole document. */
  path: (string | number)[];
  /** What is wrong, without the path (the field it stands next to names it). */
  message: string;
}

/**
 * Cross-references the schema cannot check: fleet ids that sources point to, and ids that
 * must be unique because sources and machines are keyed by them. Pure, for the config
 * loader and the Settings view alike.
 */
export function findReferenceProblems(settings: {
  fleets: readonly { id: string; probe?: string }[];
  hetzner: readonly { id: string; fleet: string }[];
  gitlab: readonly { id: string }[];
  sshHosts: readonly { alias: string; fleet: string }[];
  dockerMachine?: readonly { id: string; fleet: string }[];
  prometheus?: readonly { id: string; fleet: string }[];
  runnerMetrics?: readonly { id: string; fleet: string }[];
  notifications?: { fleets?: readonly { fleet: string }[] };
}): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  const duplicates = (label: string, keys: readonly string[], field: string) => {
    const seen = new Set<string>();
    for (const [index, key] of keys.entries()) {
      if (seen.has(key))
        problems.push({ path: [label, index, field], message: `duplicate ${field} "${key}"` });
      seen.add(key);
    }
  };
  const fleetIds = settings.fleets.map((fleet) => fleet.id);
  duplicates('fleets', fleetIds, 'id');
  duplicates(
    'hetzner',
    settings.hetzner.map((h) => h.id),
    'id',
  );
  duplicates(
    'gitlab',
    settings.gitlab.map((g) => g.id),
    'id',
  );
  duplicates(
    'sshHosts',
    settings.sshHosts.map((s) => s.alias),
    'alias',
  );
  duplicates(
    'prometheus',
    (settings.prometheus ?? []).map((p) => p.id),
    'id',
  );
  duplicates(
    'runnerMetrics',
    (settings.runnerMetrics ?? []).map((r) => r.id),
    'id',
  );
  const known = new Set(fleetIds);
  const defined =
    fleetIds.length === 0 ? 'no fleets are defined' : `defined: ${fleetIds.join(', ')}`;
  const refs: [string, readonly { fleet: string }[]][] = [
    ['hetzner', settings.hetzner],
    ['sshHosts', settings.sshHosts],
    ['dockerMachine', settings.dockerMachine ?? []],
    ['prometheus', settings.prometheus ?? []],
    ['runnerMetrics', settings.runnerMetrics ?? []],
  ];
  for (const [label, list] of refs) {
    for (const [index, entry] of list.entries()) {
      if (!known.has(entry.fleet)) {
        problems.push({
          path: [label, index, 'fleet'],
          message: `no fleet with id "${entry.fleet}" (${defined})`,
        });
      }
    }
  }
  // `probe: "none"` opens no SSH connection to the fleet's machines: Prometheus must read
  // their disks instead, and no dedicated host (read by the probe alone) can belong to it.
  const unprobed = new Set(
    settings.fleets.filter((fleet) => fleet.probe === 'none').map((f) => f.id),
  );
  const scraped = new Set((settings.prometheus ?? []).map((p) => p.fleet));
  for (const [index, fleet] of settings.fleets.entries()) {
    if (fleet.probe !== 'none' || scraped.has(fleet.id)) continue;
    problems.push({
      path: ['fleets', index, 'probe'],
      message: `probe "none" needs a Prometheus source for fleet "${fleet.id}" (a prometheus entry with "fleet": "${fleet.id}"): without SSH or Prometheus its disks are never read, so nothing warns when they fill up; add one or set probe to "ssh"`,
    });
  }
  for (const [index, host] of settings.sshHosts.entries()) {
    if (!unprobed.has(host.fleet)) continue;
    problems.push({
      path: ['sshHosts', index, 'fleet'],
      message: `fleet "${host.fleet}" has probe "none" (no SSH to its machines), but an SSH host is only read over SSH: put ${host.alias} in a fleet with probe "ssh"`,
    });
  }
  // Per-fleet notification rules: one per fleet, and only for fleets that exist.
  const rules = settings.notifications?.fleets ?? [];
  const ruled = new Set<string>();
  for (const [index, rule] of rules.entries()) {
    const path = ['notifications', 'fleets', index, 'fleet'];
    if (ruled.has(rule.fleet))
      problems.push({ path, message: `duplicate rules for fleet "${rule.fleet}"` });
    else if (!known.has(rule.fleet))
      problems.push({ path, message: `no fleet with id "${rule.fleet}" (${defined})` });
    ruled.add(rule.fleet);
  }
  return problems;
}

/**
 * Every problem of a settings document, each at its path: schema issues first (in the
 * words of `formatIssue`, without the path), then cross-references once the schema passes.
 * What the Settings view shows next to each field, and what the host re-checks on save.
 */
export function settingsProblems<T extends Parameters<typeof findReferenceProblems>[0]>(
  result: { success: true; data: T } | { success: false; error: { issues: z.core.$ZodIssue[] } },
): SettingsProblem[] {
  if (!result.success) {
    return result.error.issues.map((issue) => ({
      path: issue.path.filter((key): key is string | number => typeof key !== 'symbol'),
      message: stripPath(formatIssue(issue), formatPath(issue.path)),
    }));
  }
  return findReferenceProblems(result.data);
}

function stripPath(text: string, where: string): string {
  return where && text.startsWith(`${where}: `) ? text.slice(where.length + 2) : text;
}
