/** What GitLab's `RateLimit-*` headers said on the last answer. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** When the window resets, ms since the epoch. */
  resetAt: number;
}

/**
 * Reads `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (unix seconds).
 * Returns null when the answer carries no usable set (not every endpoint or version does).
 * Header names are expected in lower case, as fetch's Headers give them.
 */
export function parseRateLimit(headers: Record<string, string>): RateLimitState | null {
  const limit = Number(headers['ratelimit-limit']);
  const remaining = Number(headers['ratelimit-remaining']);
  const reset = Number(headers['ratelimit-reset']);
  if (!Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset))
    return null;
  if (headers['ratelimit-limit'] === undefined || headers['ratelimit-remaining'] === undefined)
    return null;
  return { limit, remaining, resetAt: reset * 1000 };
}

/**
 * `Retry-After` as milliseconds from `now`: either delta-seconds or an HTTP date.
 * Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/**
 * How long to hold back before the next request so the budget is not exhausted: zero
 * while more than `reserve` of the window is left, else until the window resets. Keeping
 * a reserve leaves room for the user's own actions (a prune, a confirm dialog's re-check).
 */
export function slowDownMs(
  state: RateLimitState | null,
  now: number,
  reserveFraction = 0.1,
): number {
  if (!state || state.limit <= 0) return 0;
  const reserve = Math.max(1, Math.floor(state.limit * reserveFraction));
  if (state.remaining > reserve) return 0;
  return Math.max(0, state.resetAt - now);
}
