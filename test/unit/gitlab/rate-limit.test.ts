import { describe, expect, it } from 'vitest';
import {
  parseRateLimit,
  parseRetryAfter,
  slowDownMs,
} from '../../../electron/core/sources/gitlab/rate-limit';

describe('rate-limit headers', () => {
  it('reads GitLab RateLimit-* headers (reset in unix seconds)', () => {
    expect(
      parseRateLimit({
        'ratelimit-limit': '600',
        'ratelimit-remaining': '12',
        'ratelimit-reset': '1700000060',
        'ratelimit-observed': '588',
      }),
    ).toEqual({ limit: 600, remaining: 12, resetAt: 1_700_000_060_000 });
  });

  it('returns null when the set is missing or unreadable', () => {
    expect(parseRateLimit({})).toBeNull();
    expect(
      parseRateLimit({
        'ratelimit-limit': 'many',
        'ratelimit-remaining': '1',
        'ratelimit-reset': '1',
      }),
    ).toBeNull();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('30', 0)).toBe(30_000);
    expect(parseRetryAfter(new Date(1_700_000_010_000).toUTCString(), 1_700_000_000_000)).toBe(
      10_000,
    );
    expect(parseRetryAfter('soon', 0)).toBeNull();
    expect(parseRetryAfter(null, 0)).toBeNull();
  });

  it('slows down only when the budget is nearly spent, until the window resets', () => {
    const now = 1_000_000;
    expect(slowDownMs({ limit: 100, remaining: 50, resetAt: now + 30_000 }, now)).toBe(0);
    expect(slowDownMs({ limit: 100, remaining: 10, resetAt: now + 30_000 }, now)).toBe(30_000);
    expect(slowDownMs({ limit: 100, remaining: 0, resetAt: now - 1 }, now)).toBe(0);
    expect(slowDownMs(null, now)).toBe(0);
  });
});
