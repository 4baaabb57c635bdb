import { z } from 'zod';
import { Timestamp } from './time';

/**
 * A server of an autoscaled fleet that its provider lists and no runner manager's list
 * (`docker-machine ls` of every manager that could own it) includes. `orphan`: that is
 * proven — the listings are fresh and newer than the grace period, no job container runs
 * on it, no GitLab job was linked to it for `orphanAfterMinutes`. `unlisted`: not listed,
 * but not proven (`notYet`: too young or used too recently; `unknown`: a reading is
 * missing). Unknown is never an orphan.
 */
export const OrphanStatus = z.object({
  state: z.enum(['orphan', 'unlisted']),
  /** Labels of the runner manager listings that could own it, none of which lists it. */
  managers: z.array(z.string()),
  /** Their source ids (`docker-machine:<id>`): a re-check reads these lists again. */
  managerSources: z.array(z.string()),
  /** Why it is not an orphan yet although nothing is unknown (grace period, recent job). */
  notYet: z.array(z.string()),
  /** Readings that are missing or stale, each of which keeps it from being called an orphan. */
  unknown: z.array(z.string()),
  /** At least since then no GitLab job ran on it (last linked job's finish, or the history's start); null: unknown. */
  noJobSince: Timestamp.nullable(),
  /** The last GitLab job linked to it, when the history has one. */
  lastJobId: z.number().int().nullable(),
  /** Hourly price of the server, in `currency`; null when unpriced. */
  perHour: z.number().nonnegative().nullable(),
  /** What it has cost since it was created (perHour × age) at evaluation time; null when unpriced. */
  costSoFar: z.number().nonnegative().nullable(),
  /** ISO 4217 code of the figures (the cost settings). */
  currency: z.string().nullable(),
  /** Why it is unpriced ("no price for cx22 in ash"); null when priced. */
  unpricedReason: z.string().nullable(),
});
/** Whether no runner manager accounts for a server, and what it costs. */
export type OrphanStatus = z.infer<typeof OrphanStatus>;

/**
 * A duration in its largest whole unit — `42 min`, `5 h`, `3 d` — as orphan texts say how
 * old a server is and how long no job ran on it (the proposal summary, CLI, Fleet view).
 */
export function roughSpan(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 120) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h`;
  return `${Math.floor(minutes / (24 * 60))} d`;
}

/** What the server has cost since it was created, at `now` (the status's price); null unpriced. */
export function orphanCostAt(
  status: Pick<OrphanStatus, 'perHour'>,
  createdAt: number | null,
  now: number,
): number | null {
  if (status.perHour === null || createdAt === null) return null;
  return (status.perHour * Math.max(0, now - createdAt)) / 3_600_000;
}
