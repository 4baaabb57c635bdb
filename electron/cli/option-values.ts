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
