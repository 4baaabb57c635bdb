import { describe, expect, it } from 'vitest';
import { staleReason } from '../../../electron/core/runners/stale';

const DAY = 86_400_000;
const now = 100 * DAY;

describe('staleReason', () => {
  it('trusts GitLab when it says stale', () => {
    expect(staleReason('stale', now - 9 * DAY, now, 30)).toBe(
      'GitLab reports it stale (last contact 9 days ago)',
    );
    expect(staleReason('stale', null, now, 7)).toBe('GitLab reports it stale (never contacted)');
  });

  it('counts a runner stale after the configured days without contact', () => {
    expect(staleReason('offline', now - 4 * DAY, now, 3)).toBe(
      'no contact for 4 days (limit 3 days)',
    );
    expect(staleReason('offline', now - 2 * DAY, now, 3)).toBeNull();
  });

  it('never calls an online runner or a freshly registered one stale', () => {
    expect(staleReason('online', now - 10 * DAY, now, 3)).toBeNull();
    expect(staleReason('never_contacted', null, now, 3)).toBeNull();
  });
});
