import type { CliArgs } from './command';
import { UsageError } from './command';

/** A string option, or undefined when absent. */
export function stringOption(args: CliArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A string option that must be present. */
export function requiredString(args: CliArgs, name: string, hint: string): string {
  const value = stringOption(args, name);
  if (value === undefined || value === '') throw new UsageError(`--${name} ${hint} is required`);
  return value;
}

/** A boolean flag. */
export function flag(args: CliArgs, name: string): boolean {
  return args.values[name] === true;
}

/** A whole-number option within bounds, or the default. */
export function intOption(
  args: CliArgs,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw.trim()))
    throw new UsageError(`--${name} expects a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new UsageError(`--${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

const UNIT_HOURS: Readonly<Record<string, number>> = { m: 1 / 60, h: 1, d: 24, w: 168 };

/** A duration option such as `90m`, `12h`, `7d` or `1w`, in hours, within bounds. */
export function hoursOption(
  args: CliArgs,
  name: string,
  maxHours: number,
  fallback: number,
): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  const match = /^(\d{1,6})([mhdw])$/.exec(raw.trim());
  if (!match) throw new UsageError(`--${name} expects a duration like 12h or 7d, got "${raw}"`);
  const hours = Number(match[1]) * (UNIT_HOURS[match[2]!] ?? 1);
  if (hours <= 0 || hours > maxHours)
    throw new UsageError(`--${name} must be more than 0 and at most ${maxHours} h, got "${raw}"`);
  return hours;
}
