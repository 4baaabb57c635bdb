import {
  invokeChannels,
  isInvokeChannel,
  type ApiHandlers,
  type AppInfo,
  type CallContext,
  type ChannelDef,
  type InvokeChannel,
} from '../../shared/api';
import type { ApiError } from '../../shared/errors';
import type { SecretMigrationReport } from '../../shared/secrets';
import type { AuditListRequest, AuditRecord } from '../../shared/audit';
import type { RunnerJob } from '../../shared/runner';
import type { ExecutionResult, Proposal, ReaperMode, RecheckResult } from '../../shared/proposal';
import type { AlertService } from './alerts/alert-service';
import type { CostService } from './cost/cost-service';
import type { Engine } from './engine';
import { queueHealth } from './queue/queue-health';
import { RwError, toApiError } from './errors/rw-error';
import { previewPrune } from './runners/prune';
import type { RunnerService } from './runners/runner-service';
import type { TimelineService } from './timeline/timeline-service';
import type { JobMetricsService } from './job-metrics/service';
import type { SettingsService } from './settings/settings-service';

/** What the API needs besides the engine. Each later feature adds its service here. */
export interface ApiContext {
  engine: Engine;
  info: AppInfo;
  /** Runners and stale-runner pruning; without it runners are read-only (from the snapshot). */
  runners?: RunnerService;
  /** The reaper service (`electron/core/reaper/reaper.ts`); without it proposals are read-only. */
  reaper?: ReaperApi;
  /** Job metrics from Prometheus and the local store. */
  jobMetrics?: Pick<JobMetricsService, 'get'>;
  /** The desktop app's encrypted secret store; hosts without one refuse `rw:secrets:migrate`. */
  secretStore?: { migrate(): Promise<SecretMigrationReport> };
  /** The fleet timeline (`electron/core/timeline/timeline-service.ts`). */
  timeline?: Pick<TimelineService, 'get' | 'openJob'>;
  /** Acknowledgements and mutes of alerts (persisted in the state dir). */
  alerts?: AlertService;
  /** Fleet and job cost from the Hetzner projects' price lists. */
  cost?: CostService;
  /** Recent jobs of every GitLab instance (running and finished), for cost and queue health. */
  jobs?: () => readonly RunnerJob[];
  now?: () => number;
  /** The warnings of this moment (they change, e.g. when this process takes over the state directory). */
  warnings?: () => string[];
  /** The Settings view's channels; without it the settings cannot be read or changed here. */
  settings?: SettingsApi;
}

/** What the settings channels need; `SettingsService` provides it. */
export type SettingsApi = Pick<
  SettingsService,
  'document' | 'update' | 'importToml' | 'checkGitLab' | 'hostKey' | 'trustHostKey'
>;

function needSettings(context: ApiContext): SettingsApi {
  if (!context.settings)
    throw new RwError(
      'refused',
      'this host has no settings store: the settings cannot be edited here',
    );
  return context.settings;
}

/** What the reaper channels need; `Reaper` and `readAudit` provide it. */
export interface ReaperApi {
  proposals(): Proposal[];
  recheck(proposalId: string): Promise<RecheckResult>;
  confirm(
    proposalId: string,
    who: string,
    options?: { acknowledgeUnknownJobState?: boolean },
  ): Promise<ExecutionResult>;
  setMode(fleet: string, mode: ReaperMode, who: string): Promise<void>;
  mode(fleet: string): ReaperMode;
  audit(request: AuditListRequest): Promise<AuditRecord[]>;
  /** Who confirms from this host: `user@hostname` of the process owner. */
  who(): string;
}

function needTimeline(context: ApiContext): Pick<TimelineService, 'get' | 'openJob'> {
  if (!context.timeline) throw new RwError('refused', 'the timeline is not available in this host');
  return context.timeline;
}

function needReaper(context: ApiContext): ReaperApi {
  if (!context.reaper) throw new RwError('refused', 'the reaper is not running in this host');
  return context.reaper;
}

function needAlerts(context: ApiContext): AlertService {
  if (!context.alerts) throw new RwError('refused', 'alerts are not kept in this host');
  return context.alerts;
}

/** The engine's API, one handler per contract channel (the type fails when one is missing). */
export function createApiHandlers(context: ApiContext): ApiHandlers {
  return {
    'rw:app:info': async () =>
      context.warnings ? { ...context.info, warnings: context.warnings() } : context.info,
    'rw:fleet:snapshot': async () => context.engine.snapshot(),
    'rw:engine:refresh': async () => context.engine.checkNow(),
    'rw:runners:list': async () => context.runners?.list() ?? context.engine.snapshot().runners,
    'rw:runners:prune-preview': async (request) =>
      context.runners?.preview(request) ??
      previewPrune(context.engine.snapshot().runners, [], request.instance),
    'rw:runners:prune': async (request, call) => {
      if (!context.runners) {
        throw new RwError(
          'refused',
          'runner pruning is not available in this host: no GitLab instance is set up for actions',
        );
      }
      // A client that goes away stops its prune, so the one-prune lock is released.
      return context.runners.prune(request, call?.signal);
    },
    'rw:reaper:proposals': async () =>
      context.reaper?.proposals() ?? context.engine.snapshot().proposals,
    'rw:reaper:recheck': async (request) => needReaper(context).recheck(request.proposalId),
    'rw:reaper:confirm': async (request) => {
      const reaper = needReaper(context);
      return reaper.confirm(request.proposalId, reaper.who(), {
        acknowledgeUnknownJobState: request.acknowledgeUnknownJobState === true,
      });
    },
    'rw:reaper:set-mode': async (request) => {
      const reaper = needReaper(context);
      await reaper.setMode(request.fleet, request.mode, reaper.who());
      return { fleet: request.fleet, mode: reaper.mode(request.fleet) };
    },
    'rw:jobs:metrics': async (request) => {
      if (!context.jobMetrics)
        throw new RwError('refused', 'job metrics are not available in this host');
      return context.jobMetrics.get(request);
    },
    'rw:audit:list': async (request) => (context.reaper ? context.reaper.audit(request) : []),
    'rw:secrets:migrate': async () => {
      if (!context.secretStore) {
        throw new RwError(
          'refused',
          'secrets can be moved into the OS keychain only in the desktop app; here keep {"env"} or {"file"} references',
        );
      }
      return context.secretStore.migrate();
    },
    'rw:timeline:get': async (request) => needTimeline(context).get(request),
    'rw:timeline:open-job': async (request) => needTimeline(context).openJob(request.jobKey),
    'rw:settings:get': async () => needSettings(context).document(),
    'rw:settings:update': async (request) => needSettings(context).update(request),
    'rw:settings:import-toml': async (request) => needSettings(context).importToml(request),
    'rw:settings:check-gitlab': async (request) => needSettings(context).checkGitLab(request),
    'rw:settings:host-key': async (request) => needSettings(context).hostKey(request),
    'rw:settings:trust-host-key': async (request) => needSettings(context).trustHostKey(request),
    'rw:alerts:list': async () => needAlerts(context).view(),
    'rw:alerts:ack': async (request) => needAlerts(context).ack(request),
    'rw:alerts:mute': async (request) => needAlerts(context).mute(request),
    'rw:alerts:end': async (request) => needAlerts(context).end(request),
    'rw:cost:report': async (request) => {
      if (!context.cost)
        throw new RwError('refused', 'cost figures are not available in this host');
      return context.cost.report(request.sinceHours);
    },
    'rw:queue:health': async (request) =>
      queueHealth(
        context.jobs?.() ?? [],
        context.engine.snapshot().runners,
        (context.now ?? Date.now)(),
        request.windowHours,
      ),
  };
}

/** Result of a dispatched call: the parsed response, or an error body safe to send. */
export type DispatchResult = { ok: true; value: unknown } | { ok: false; error: ApiError };

/**
 * Validates a call from a host (IPC or HTTP), runs its handler and validates the answer.
 * Both hosts go through here, so the renderer never reaches a handler with unparsed input.
 */
export async function dispatch(
  handlers: ApiHandlers,
  channel: string,
  input: unknown,
  call: CallContext = {},
): Promise<DispatchResult> {
  if (!isInvokeChannel(channel)) {
    return { ok: false, error: { code: 'not_found', message: `unknown channel ${channel}` } };
  }
  const def = invokeChannels[channel];
  // Only a missing body means "no input"; a JSON null is a request, and a wrong one.
  const parsed = def.request.safeParse(input === undefined ? {} : input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    return {
      ok: false,
      error: { code: 'bad_input', message: `${channel}: ${issue?.message ?? 'invalid'}${where}` },
    };
  }
  try {
    const handler = handlers[channel] as (request: unknown, call: CallContext) => Promise<unknown>;
    const answer = await handler(parsed.data, call);
    const checked = def.response.safeParse(answer);
    if (!checked.success) {
      // Our bug, not the caller's: one line naming where, never zod's raw dump of the data.
      const issue = checked.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
      return {
        ok: false,
        error: {
          code: 'internal',
          message: `${channel}: the answer failed its own schema${where}: ${issue?.message ?? 'invalid'}`,
        },
      };
    }
    return { ok: true, value: checked.data };
  } catch (error) {
    return { ok: false, error: toApiError(error) };
  }
}

/** True for channels that change state (the serve host adds an Origin check). */
export function isCommand(channel: InvokeChannel): boolean {
  const def: ChannelDef = invokeChannels[channel];
  return def.kind === 'command';
}

export { RwError };
