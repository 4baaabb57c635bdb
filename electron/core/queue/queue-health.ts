import type { QueueHealth, QueueWait } from '../../../shared/queue';
import type { Runner, RunnerJob } from '../../../shared/runner';

/** When a wait counts as a problem. */
export interface QueueThresholds {
  /** A p95 wait at or above this many seconds is worth a look… */
  warnSec: number;
  /** …when the median at least doubled against the window before (or there was none). */
  growth: number;
}

/** Defaults: jobs waiting 5 minutes for a runner, twice as long as before. */
export const DEFAULT_QUEUE_THRESHOLDS: QueueThresholds = { warnSec: 300, growth: 2 };

/** The q-quantile of sorted values (nearest rank), or null for none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? null;
}

const minutes = (sec: number) =>
  sec < 90 ? `${Math.round(sec)} s` : `${Math.round(sec / 60)} min`;

/**
 * Pick-up waits per runner and per tag over the last `windowHours`, against the window
 * before it. A wait that grows is the signal that the fleet is too small or stuck: warned
 * when the p95 reaches `warnSec` and the median grew by `growth` (or had no baseline),
 * or when the p95 reaches three times `warnSec` whatever the trend.
 */
export function queueHealth(
  jobs: readonly RunnerJob[],
  runners: readonly Runner[],
  now: number,
  windowHours: number,
  thresholds: QueueThresholds = DEFAULT_QUEUE_THRESHOLDS,
): QueueHealth {
  const window = windowHours * 3_600_000;
  const runnerByKey = new Map(runners.map((r) => [r.key, r]));
  const groups = new Map<
    string,
    { scope: QueueWait['scope']; key: string; label: string; current: number[]; previous: number[] }
  >();
  const add = (
    scope: QueueWait['scope'],
    key: string,
    label: string,
    wait: number,
    current: boolean,
  ) => {
    const id = `${scope}\n${key}`;
    const group = groups.get(id) ?? { scope, key, label, current: [], previous: [] };
    (current ? group.current : group.previous).push(wait);
    groups.set(id, group);
  };
  for (const job of jobs) {
    const wait = job.queuedSec;
    if (job.startedAt === null || wait === null || wait === undefined) continue;
    const age = now - job.startedAt;
    if (age < 0 || age >= 2 * window) continue;
    const current = age < window;
    const runnerKey = `${job.instance}/${job.runnerId}`;
    const runner = runnerByKey.get(runnerKey);
    add('runner', runnerKey, runner?.description ?? `runner ${job.runnerId}`, wait, current);
    const tags = job.tags && job.tags.length > 0 ? job.tags : (runner?.tags ?? []);
    for (const tag of new Set(tags)) add('tag', tag, tag, wait, current);
  }
  const rows = [...groups.values()].map((group): QueueWait => {
    const current = [...group.current].sort((a, b) => a - b);
    const previous = [...group.previous].sort((a, b) => a - b);
    const p50 = quantile(current, 0.5);
    const p95 = quantile(current, 0.95);
    const previousP50 = quantile(previous, 0.5);
    return {
      scope: group.scope,
      key: group.key,
      label: group.label,
      jobs: current.length,
      p50Sec: p50,
      p95Sec: p95,
      maxSec: current.length > 0 ? (current[current.length - 1] ?? null) : null,
      previousP50Sec: previousP50,
      warning: warningFor(p50, p95, previousP50, thresholds),
    };
  });
  rows.sort(
    (a, b) =>
      Number(b.warning !== null) - Number(a.warning !== null) ||
      (b.p95Sec ?? -1) - (a.p95Sec ?? -1) ||
      a.scope.localeCompare(b.scope) ||
      a.key.localeCompare(b.key),
  );
  return { generatedAt: now, windowHours, rows };
}

function warningFor(
  p50: number | null,
  p95: number | null,
  previousP50: number | null,
  t: QueueThresholds,
): string | null {
  if (p50 === null || p95 === null || p95 < t.warnSec) return null;
  if (p95 >= 3 * t.warnSec) {
    return `p95 wait ${minutes(p95)}${previousP50 === null ? '' : `, median ${minutes(p50)} (was ${minutes(previousP50)})`}`;
  }
  if (previousP50 === null) return `p95 wait ${minutes(p95)}, no jobs in the window before`;
  if (p50 >= t.growth * Math.max(previousP50, 1)) {
    return `p95 wait ${minutes(p95)}, median up from ${minutes(previousP50)} to ${minutes(p50)}`;
  }
  return null;
}
