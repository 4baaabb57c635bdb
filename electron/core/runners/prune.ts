import type {
  PruneCandidate,
  PruneOutcome,
  PrunePreview,
  PruneReport,
  PruneRequest,
  Runner,
} from '../../../shared/runner';
import type { AuditInput, AuditSink } from '../audit/audit-log';
import { toApiError } from '../errors/rw-error';
import type { RunnerAdmin } from './admin';

/** Stale runners (those with a `staleReason`), optionally of one instance. Pure. */
export function pruneCandidates(runners: readonly Runner[], instance?: string): PruneCandidate[] {
  return runners
    .filter((r) => r.staleReason !== null && (instance === undefined || r.instance === instance))
    .map((r) => ({
      key: r.key,
      instance: r.instance,
      id: r.id,
      description: r.description,
      status: r.status,
      contactedAt: r.contactedAt,
      reason: r.staleReason ?? '',
    }));
}

/** The dry-run list, plus every instance whose token cannot prune and why. */
export function previewPrune(
  runners: readonly Runner[],
  admins: readonly RunnerAdmin[],
  instance?: string,
): PrunePreview {
  const candidates = pruneCandidates(runners, instance);
  const blocked: PrunePreview['blocked'] = [];
  for (const name of new Set(candidates.map((c) => c.instance))) {
    const reason = blockReason(
      admins.find((a) => a.instance === name),
      name,
    );
    if (reason) blocked.push({ instance: name, reason });
  }
  return { candidates, blocked };
}

function blockReason(admin: RunnerAdmin | undefined, instance: string): string | null {
  if (!admin) return `no GitLab instance "${instance}" is configured`;
  if (admin.canManage() === false)
    return 'token lacks manage_runner: deleting and pausing runners is unavailable';
  return null;
}

/** What pruning needs besides the request. */
export interface PruneDeps {
  admins: readonly RunnerAdmin[];
  /** Every delete and pause (and every skip and failure) is recorded here. */
  audit: AuditSink | null;
  /** Who asked: `user@host`, or `auto`. */
  who: string;
  signal: AbortSignal;
  /** Injected for tests; defaults to an abortable timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called as each runner is done, for progress output. */
  onOutcome?: (outcome: PruneOutcome) => void;
}

/**
 * Deletes (or pauses) the requested runners in batches with a pause between batches,
 * holding back further while an instance's rate-limit budget runs low. Each runner is
 * re-checked right before it is touched: one that is gone or no longer stale (it came
 * back online) is skipped. A failure is reported for that runner and the rest go on.
 */
export async function pruneRunners(request: PruneRequest, deps: PruneDeps): Promise<PruneReport> {
  const sleep = deps.sleep ?? abortableSleep;
  const results: PruneOutcome[] = [];
  const keys = [...new Set(request.keys)];
  // Dry runs audit each real candidate; keys that name nothing are summed up in one record.
  const unknown: PruneOutcome[] = [];
  let batches = 0;
  for (let start = 0; start < keys.length; start += request.batchSize) {
    const batch = keys.slice(start, start + request.batchSize);
    if (start > 0 && !deps.signal.aborted) {
      const budgetWait = Math.max(0, ...deps.admins.map((a) => a.slowDownMs()));
      await sleep(Math.max(request.pauseMs, budgetWait), deps.signal).catch(() => undefined);
    }
    if (deps.signal.aborted) {
      for (const key of keys.slice(start)) results.push(stopped(key));
      break;
    }
    batches += 1;
    for (const key of batch) {
      const outcome = deps.signal.aborted
        ? stopped(key)
        : await pruneOne(key, request, deps, sleep, unknown);
      results.push(outcome);
      deps.onOutcome?.(outcome);
    }
  }
  if (unknown.length > 0) await recordUnknown(deps, request, unknown).catch(() => undefined);
  return { action: request.action, dryRun: request.dryRun, results, batches };
}

/** One audit record for every dry-run key that named no runner (or could not be checked). */
async function recordUnknown(
  deps: PruneDeps,
  request: PruneRequest,
  unknown: readonly PruneOutcome[],
): Promise<void> {
  if (!deps.audit) return;
  const reasons = [...new Set(unknown.map((o) => o.reason))].slice(0, 10);
  const sample = unknown
    .slice(0, 5)
    .map((o) => o.key)
    .join(', ');
  await deps.audit.append({
    type: 'dry-run',
    fleet: null,
    machineKey: null,
    machineName: null,
    who: deps.who,
    outcome: 'dry-run',
    reasons,
    detail: `dry-run ${request.action} of GitLab runners: ${unknown.length} requested key${unknown.length === 1 ? '' : 's'} named no runner that could be checked (${sample}${unknown.length > 5 ? ', …' : ''})`,
  });
}

async function pruneOne(
  key: string,
  request: PruneRequest,
  deps: PruneDeps,
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  unknown: PruneOutcome[],
): Promise<PruneOutcome> {
  const [instance = '', idText = ''] = key.split('/');
  const id = Number(idText);
  const base = { key, instance, id, description: null as string | null };
  const admin = deps.admins.find((a) => a.instance === instance);
  const blocked = blockReason(admin, instance);
  if (!admin || blocked) {
    const outcome: PruneOutcome = { ...base, result: 'failed', reason: blocked ?? 'unavailable' };
    if (request.dryRun) unknown.push(outcome);
    else await record(deps, outcome, request, admin);
    return outcome;
  }
  try {
    const wait = admin.slowDownMs();
    if (wait > 0) await sleep(wait, deps.signal);
    const current = await admin.check(id, deps.signal);
    if (current === null) {
      const outcome: PruneOutcome = {
        ...base,
        result: 'skipped',
        reason: 'already gone from GitLab',
      };
      if (request.dryRun) unknown.push(outcome);
      else await record(deps, outcome, request, admin);
      return outcome;
    }
    base.description = current.description;
    if (current.staleReason === null) {
      const contact =
        current.contactedAt === null
          ? ''
          : `, last contact ${new Date(current.contactedAt).toISOString()}`;
      const why =
        current.status === 'online'
          ? 'came back online'
          : `no longer stale (status ${current.status}${contact})`;
      const outcome: PruneOutcome = { ...base, result: 'skipped', reason: why };
      await record(deps, outcome, request, admin);
      return outcome;
    }
    if (request.dryRun) {
      const outcome: PruneOutcome = {
        ...base,
        result: request.action === 'delete' ? 'would-delete' : 'would-pause',
        reason: current.staleReason,
      };
      await record(deps, outcome, request, admin);
      return outcome;
    }
    await record(
      deps,
      {
        ...base,
        result: request.action === 'delete' ? 'deleted' : 'paused',
        reason: current.staleReason,
      },
      request,
      admin,
      'start',
    );
    if (request.action === 'delete') await admin.remove(id, deps.signal);
    else await admin.pause(id, deps.signal);
    const outcome: PruneOutcome = {
      ...base,
      result: request.action === 'delete' ? 'deleted' : 'paused',
      reason: current.staleReason,
    };
    await record(deps, outcome, request, admin);
    return outcome;
  } catch (error) {
    const outcome: PruneOutcome = { ...base, result: 'failed', reason: toApiError(error).message };
    if (request.dryRun) unknown.push(outcome);
    else await record(deps, outcome, request, admin).catch(() => undefined);
    return outcome;
  }
}

function stopped(key: string): PruneOutcome {
  const [instance = '', idText = ''] = key.split('/');
  return {
    key,
    instance,
    id: Number(idText),
    description: null,
    result: 'skipped',
    reason: 'stopped before it was handled',
  };
}

/**
 * Writes one audit record. The audit schema is machine-oriented: a runner goes into
 * `machineKey` as `gitlab-runner:<instance>/<id>` so the log's machine filter finds it.
 */
async function record(
  deps: PruneDeps,
  outcome: PruneOutcome,
  request: PruneRequest,
  admin: RunnerAdmin | undefined,
  phase: 'start' | 'end' = 'end',
): Promise<void> {
  if (!deps.audit) return;
  const where = admin ? ` on ${admin.label}` : '';
  const name = `runner ${outcome.key}${outcome.description ? ` (${outcome.description})` : ''}`;
  const input: AuditInput = {
    type: phase === 'start' ? 'action-start' : recordType(outcome),
    fleet: null,
    machineKey: `gitlab-runner:${outcome.key}`,
    machineName: outcome.description ?? `runner ${outcome.id}`,
    who: deps.who,
    outcome: phase === 'start' ? null : auditOutcome(outcome),
    reasons: [outcome.reason],
    detail:
      phase === 'start'
        ? `${request.action} GitLab ${name}${where}: starting`
        : `${request.dryRun ? 'dry-run ' : ''}${request.action} GitLab ${name}${where}: ${outcome.result}`,
  };
  await deps.audit.append(input);
}

function recordType(outcome: PruneOutcome): AuditInput['type'] {
  if (outcome.result === 'would-delete' || outcome.result === 'would-pause') return 'dry-run';
  if (outcome.result === 'skipped') return 'refusal';
  return 'result';
}

function auditOutcome(outcome: PruneOutcome): NonNullable<AuditInput['outcome']> {
  switch (outcome.result) {
    case 'deleted':
    case 'paused':
      return 'ok';
    case 'would-delete':
    case 'would-pause':
      return 'dry-run';
    case 'skipped':
      return 'refused';
    case 'failed':
      return 'failed';
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
