/** What the `RateLimit-*` headers of the last answer said. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** When the budget is refilled, ms since the epoch (`RateLimit-Reset` is unix seconds). */
  resetAt: number;
}

/** Reads `RateLimit-Limit/Remaining/Reset`; null when any is missing or not a number. */
export function parseRateLimit(headers: Headers): RateLimitState | null {
  const limit = intHeader(headers, 'ratelimit-limit');
  const remaining = intHeader(headers, 'ratelimit-remaining');
  const reset = intHeader(headers, 'ratelimit-reset');
  if (limit === null || remaining === null || reset === null) return null;
  return { limit, remaining, resetAt: reset * 1000 };
}

/**
 * How long to wait after a 429: `Retry-After` (seconds) when given, else until
 * `RateLimit-Reset`, at least one second so a wrong clock cannot make us hammer.
 */
export function retryAfterMs(headers: Headers, now: number): number {
  const retryAfter = intHeader(headers, 'retry-after');
  if (retryAfter !== null) return Math.max(1000, retryAfter * 1000);
  const reset = intHeader(headers, 'ratelimit-reset');
  if (reset !== null) return Math.max(1000, reset * 1000 - now);
  return 60_000;
}

/** Below this share of the hourly budget the client starts spacing its calls. */
export const LOW_REMAINING_SHARE = 0.05;

/**
 * Delay before the next call. Hetzner's budget is a bucket that refills at a steady rate
 * and is full again at `RateLimit-Reset`, so the refill rate is (limit − remaining) /
 * (time to reset). While plenty is left: no wait; when low (or empty): one refill
 * interval, so calls go at the rate the budget comes back instead of running it dry.
 * Pure, so the pacing is unit-tested without a clock.
 */
export function throttleDelayMs(state: RateLimitState | null, now: number): number {
  if (!state) return 0;
  const untilReset = state.resetAt - now;
  if (untilReset <= 0) return 0;
  if (state.remaining > Math.max(1, state.limit * LOW_REMAINING_SHARE)) return 0;
  const missing = Math.max(1, state.limit - state.remaining);
  return Math.ceil(untilReset / missing);
}

function intHeader(headers: Headers, name: string): number | null {
  const raw = headers.get(name);
  if (raw === null || !/^\s*\d+\s*$/.test(raw)) return null;
  return Number(raw.trim());
}
