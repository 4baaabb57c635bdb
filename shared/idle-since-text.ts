import type { Evidence } from './proposal';

/**
 * What a proposal's idle time counts from, in words ("since GitLab job #812 finished"),
 * the same in the CLI summary, the tray and the window; null when it was watched (or the
 * machine is not idle), which needs no explanation.
 */
export function idleSinceText(
  evidence: Pick<Evidence, 'idleSinceMs' | 'idleSinceSource' | 'idleSinceJobId'>,
): string | null {
  if (evidence.idleSinceMs === null) return null;
  const job = evidence.idleSinceJobId ?? null;
  switch (evidence.idleSinceSource) {
    case 'gitlab-job':
      return `since GitLab job #${job ?? '?'} finished`;
    case 'container-exit':
      return job === null
        ? 'since a job container stopped'
        : `since the container of job #${job} stopped`;
    case 'created':
      return 'since created, no GitLab job on it';
    case 'gitlab-window':
      return 'at least: no GitLab job on it in its job history';
    default:
      return null;
  }
}
