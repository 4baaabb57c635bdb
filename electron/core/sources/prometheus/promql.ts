/*
 * Small PromQL builders. Every value that comes from settings or from the fleet (machine
 * names, addresses, mount points) goes through `promString`/`regexEscape`, so it is data
 * inside the query, never query syntax.
 */

/** A PromQL double-quoted string literal. */
export function promString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Escapes RE2 metacharacters so the value matches itself (Prometheus anchors regexes). */
export function regexEscape(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `{a, b}` from matcher strings, skipping empty ones; `{}` is not valid alone, so ''. */
export function selector(...matchers: (string | undefined | null)[]): string {
  const parts = matchers.map((m) => m?.trim()).filter((m): m is string => !!m);
  return parts.length === 0 ? '' : `{${parts.join(', ')}}`;
}

/** `label=~"^(a|b)$"` for exact values, optionally followed by a `:port`. */
export function anyOf(label: string, values: readonly string[], portSuffix: boolean): string {
  const alternatives = values.map(regexEscape).join('|');
  return `${label}=~${promString(`(${alternatives})${portSuffix ? '(:[0-9]+)?' : ''}`)}`;
}

/**
 * The machine part of a label value: `10.0.0.5:9100` → `10.0.0.5`, `[fd00::5]:9100` →
 * `fd00::5`, `vm-1:9100` → `vm-1`; a bare IPv6 address is left alone.
 */
export function stripPort(value: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (v6?.[1]) return v6[1];
  const host = /^([^:]+):\d+$/.exec(value);
  return host?.[1] ?? value;
}
