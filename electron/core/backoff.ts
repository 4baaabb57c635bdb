/** Bounds for retry delays after failures. */
export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs: number;
  /** Never wait longer than this. */
  maxMs: number;
  /** Fraction of the delay added or removed at random, so many clients do not retry in step. */
  jitter: number;
}

/**
 * Delay before the next attempt after `failures` consecutive failures: exponential,
 * clamped, jittered, and never shorter than what the server asked for (Retry-After).
 * Pure: the random source is a parameter.
 */
export function backoffDelay(
  failures: number,
  options: BackoffOptions,
  random: () => number,
  serverHintMs?: number,
): number {
  const exponent = Math.max(0, failures - 1);
  const raw = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(exponent, 30));
  const spread = raw * options.jitter;
  const jittered = raw - spread + random() * 2 * spread;
  return Math.round(Math.max(jittered, serverHintMs ?? 0, 0));
}
