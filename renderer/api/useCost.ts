import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { CostReport, JobCost } from '../../shared/cost';
import { useRefetchOnFleetChange } from './follow-fleet';
import { queryKeys } from './queryKeys';
import type { TransportError } from './transport';
import { useTransport } from './TransportProvider';
import { useFleet } from './useFleet';

/** A week of jobs: the longest period the project table sums up. */
export const COST_SINCE_HOURS = 168;
/** Cost follows the fleet, but a report reads every job: at most this often. */
const COST_REFRESH_MIN_MS = 15_000;

/**
 * Keeps the cost report following the fleet; called once, by the always-shown header, so
 * the several readers of the report do not each refetch it.
 */
export function useCostFollowsFleet(sinceHours = COST_SINCE_HOURS): void {
  const { query } = useFleet();
  useRefetchOnFleetChange(queryKeys.cost(sinceHours), query.data?.version, COST_REFRESH_MIN_MS);
}

/** What one job cost, by its `<instance>/<job id>` key, from the cached report. */
export function useJobCosts(): { byKey: ReadonlyMap<string, JobCost>; currency: string } | null {
  const report = useCostReport().data;
  return useMemo(
    () =>
      report
        ? { byKey: new Map(report.jobs.map((j) => [j.key, j])), currency: report.currency }
        : null,
    [report],
  );
}

/** Fleet cost per hour and the jobs' cost of the last week (`rw:cost:report`). */
export function useCostReport(sinceHours = COST_SINCE_HOURS) {
  const transport = useTransport();
  return useQuery<CostReport, TransportError>({
    queryKey: queryKeys.cost(sinceHours),
    queryFn: () => transport.invoke('rw:cost:report', { sinceHours }),
    // The figures on screen stay while a newer report loads: no flash, no layout jump.
    placeholderData: (previous) => previous,
  });
}
