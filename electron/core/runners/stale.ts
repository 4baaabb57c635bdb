import type { RunnerStatus } from '../../../shared/runner';

const DAY_MS = 86_400_000;

/**
 * Why a runner counts as stale, or null when it does not: GitLab says `stale`, or the
 * last contact is older than `staleAfterDays`. A runner that never contacted GitLab is
 * stale only when GitLab says so (it may have been registered minutes ago). Pure.
 */
export function staleReason(
  status: RunnerStatus,
  contactedAt: number | null,
  now: number,
  staleAfterDays: number,
): string | null {
  const days = contactedAt === null ? null : (now - contactedAt) / DAY_MS;
  const since = days === null ? 'never contacted' : `last contact ${formatDays(days)} ago`;
  if (status === 'stale') return `GitLab reports it stale (${since})`;
  if (status === 'online') return null;
  if (days !== null && days > staleAfterDays) {
    return `no contact for ${formatDays(days)} (limit ${staleAfterDays} days)`;
  }
  return null;
}

function formatDays(days: number): string {
  if (days < 1) return `${Math.max(1, Math.round(days * 24))} h`;
  return `${Math.floor(days)} days`;
}
