import { z } from 'zod';
import { Timestamp } from './time';
import { FleetEvent, FleetSnapshot } from './fleet';
import { AuditListRequest, AuditRecord } from './audit';
import {
  ConfirmRequest,
  ExecutionResult,
  Proposal,
  ProposalRef,
  RecheckResult,
  SetModeRequest,
} from './proposal';
import { JobMetrics, JobMetricsRequest } from './job-metrics';
import { AckAlertRequest, AlertsView, EndAlertQuietRequest, MuteAlertsRequest } from './alerts';
import { CheckNowResult } from './check';
import { CostReport, CostRequest } from './cost';
import { QueueHealth, QueueHealthRequest } from './queue';
import { PrunePreview, PrunePreviewRequest, PruneReport, PruneRequest, Runner } from './runner';
import { SecretMigrationReport } from './secrets';
import { OpenTarget } from './ui';
import { OpenJobRequest, OpenJobResult, Timeline, TimelineRequest } from './timeline';
import {
  GitLabCheckRequest,
  GitLabCheckResult,
  HostKeyRequest,
  HostKeyResult,
  ImportTomlRequest,
  ImportTomlResult,
  SettingsDocument,
  SettingsUpdateRequest,
  SettingsUpdateResult,
  TrustHostKeyRequest,
} from './settings-api';

/** What the renderer learns about the host it runs in. Never contains a secret. */
export const AppInfo = z.object({
  name: z.literal('Runner Watch'),
  version: z.string(),
  host: z.enum(['electron', 'serve']),
  /** True when the engine watches the embedded simulated fleet. */
  demo: z.boolean(),
  startedAt: Timestamp,
  /** Conditions the user should know about, e.g. secrets stored as plain text. */
  warnings: z.array(z.string()),
  /**
   * Who acts from this host (`user@hostname` of the process owner), as confirmations are
   * recorded; the Fleet view says "deleted by you" for this one's deletions.
   */
  user: z.string().optional(),
});
/** What the renderer learns about the host it runs in. */
export type AppInfo = z.infer<typeof AppInfo>;

const empty = z.strictObject({});

/**
 * A request/response channel. `query` channels read; `command` channels change state,
 * and the serve host checks their Origin as well as the access token.
 */
export interface ChannelDef {
  readonly kind: 'query' | 'command';
  readonly request: z.ZodType;
  readonly response: z.ZodType;
}

/**
 * Every request/response channel between renderer and main, with the schemas both ends
 * parse. Names carry the `rw:` prefix. The Electron IPC host and the serve host expose
 * exactly these; `ApiHandlers` below fails to compile when a channel lacks a handler.
 */
export const invokeChannels = {
  /** Version, host kind and warnings. */
  'rw:app:info': { kind: 'query', request: empty, response: AppInfo },
  /** The full fleet snapshot: machines, runners, sources, proposals. */
  'rw:fleet:snapshot': { kind: 'query', request: empty, response: FleetSnapshot },
  /** GitLab runners across instances, as last collected. */
  'rw:runners:list': { kind: 'query', request: empty, response: z.array(Runner) },
  /** Stale runners that pruning would touch, and instances whose token cannot prune. */
  'rw:runners:prune-preview': {
    kind: 'query',
    request: PrunePreviewRequest,
    response: PrunePreview,
  },
  /** Deletes (or pauses) the chosen stale runners in batches; each is re-checked first. */
  'rw:runners:prune': { kind: 'command', request: PruneRequest, response: PruneReport },
  /** The reaper's current proposals with evidence and every blocking reason. */
  'rw:reaper:proposals': { kind: 'query', request: empty, response: z.array(Proposal) },
  /** Re-reads a proposal's machine now and evaluates it again (the confirm dialog's evidence). */
  'rw:reaper:recheck': { kind: 'command', request: ProposalRef, response: RecheckResult },
  /** Executes a proposal a person confirmed; re-checked first, refused when anything changed. */
  'rw:reaper:confirm': { kind: 'command', request: ConfirmRequest, response: ExecutionResult },
  /** Switches a fleet's reaper mode (audited). */
  'rw:reaper:set-mode': { kind: 'command', request: SetModeRequest, response: SetModeRequest },
  /**
   * A job's machine metrics (CPU, memory, load, disk, network) over the job's window, from
   * Prometheus or, once the job finished, from the local store.
   */
  'rw:jobs:metrics': { kind: 'query', request: JobMetricsRequest, response: JobMetrics },
  /**
   * "Check now": one full collection cycle at once; resolves when it ended. A call while
   * one runs joins it (the fleet events bring the new data either way).
   */
  'rw:engine:refresh': { kind: 'command', request: empty, response: CheckNowResult },
  /** Fleet cost per hour now, and what the jobs of the last hours cost (per job, per project). */
  'rw:cost:report': { kind: 'query', request: CostRequest, response: CostReport },
  /** Pick-up waits per runner and per tag, with a warning when they grow. */
  'rw:queue:health': { kind: 'query', request: QueueHealthRequest, response: QueueHealth },
  /** Problems raised now, and the acknowledgements and mutes that keep some quiet. */
  'rw:alerts:list': { kind: 'query', request: empty, response: AlertsView },
  /** "I'm on it": keeps an alert quiet until it expires, clears or gets worse. */
  'rw:alerts:ack': { kind: 'command', request: AckAlertRequest, response: AlertsView },
  /** Mutes a machine or a fleet for a while (critical alerts pass unless asked). */
  'rw:alerts:mute': { kind: 'command', request: MuteAlertsRequest, response: AlertsView },
  /** Ends an acknowledgement or a mute early. */
  'rw:alerts:end': { kind: 'command', request: EndAlertQuietRequest, response: AlertsView },
  /** Audit records, newest first, filtered. */
  'rw:audit:list': { kind: 'query', request: AuditListRequest, response: z.array(AuditRecord) },
  /**
   * Desktop app only: moves `{env}` / `{file}` secrets of the settings into the encrypted
   * store (safeStorage) and rewrites them as `{stored}`. The serve host refuses it.
   */
  'rw:secrets:migrate': { kind: 'command', request: empty, response: SecretMigrationReport },
  /** Jobs per machine, disk samples and kill/proposal marks overlapping a window. */
  'rw:timeline:get': { kind: 'query', request: TimelineRequest, response: Timeline },
  /**
   * Opens a job of the timeline in GitLab: the host looks the job up by key and checks its
   * URL belongs to the configured instance; never a URL the renderer supplies.
   */
  'rw:timeline:open-job': { kind: 'command', request: OpenJobRequest, response: OpenJobResult },
  /** The settings being watched, with secrets as references and whether each resolves. */
  'rw:settings:get': { kind: 'query', request: empty, response: SettingsDocument },
  /** Validates, saves (atomically, with a backup) and applies new settings. */
  'rw:settings:update': {
    kind: 'command',
    request: SettingsUpdateRequest,
    response: SettingsUpdateResult,
  },
  /** Proposes entries from a GitLab Runner config.toml; its tokens are never copied. */
  'rw:settings:import-toml': {
    kind: 'query',
    request: ImportTomlRequest,
    response: ImportTomlResult,
  },
  /** Asks a saved GitLab instance what its token may do (scopes, admin). */
  'rw:settings:check-gitlab': {
    kind: 'query',
    request: GitLabCheckRequest,
    response: GitLabCheckResult,
  },
  /** Reads the key an SSH host offers and checks it against known_hosts (the trust prompt). */
  'rw:settings:host-key': { kind: 'query', request: HostKeyRequest, response: HostKeyResult },
  /** Records a host key the person compared and accepted, if the host still offers it. */
  'rw:settings:trust-host-key': {
    kind: 'command',
    request: TrustHostKeyRequest,
    response: HostKeyResult,
  },
} as const satisfies Record<`rw:${string}`, ChannelDef>;

/** Name of a request/response channel. */
export type InvokeChannel = keyof typeof invokeChannels;
/** Parsed request type of a channel. */
export type RequestOf<C extends InvokeChannel> = z.infer<(typeof invokeChannels)[C]['request']>;
/** Request type of a channel as callers may write it (before defaults). */
export type RequestInputOf<C extends InvokeChannel> = z.input<
  (typeof invokeChannels)[C]['request']
>;
/** Response type of a channel. */
export type ResponseOf<C extends InvokeChannel> = z.infer<(typeof invokeChannels)[C]['response']>;

/** What a host tells a handler about the call besides its request. */
export interface CallContext {
  /** Aborted when the caller went away (the HTTP client disconnected); long commands stop. */
  signal?: AbortSignal;
}

/** One async handler per channel: the engine's API as both hosts serve it. */
export type ApiHandlers = {
  [C in InvokeChannel]: (request: RequestOf<C>, call?: CallContext) => Promise<ResponseOf<C>>;
};

/** Push channels, main → renderer. Kept apart from invoke channels on purpose. */
export const eventChannels = {
  /** Snapshot and delta events of the fleet. */
  'rw:fleet:event': FleetEvent,
  /** Desktop app only: show a machine, a proposal's confirm dialog, a source or the fleet. */
  'rw:ui:open': OpenTarget,
} as const satisfies Record<`rw:${string}`, z.ZodType>;

/** Name of a push channel. */
export type EventChannel = keyof typeof eventChannels;

/** Type guard for channel names that arrive as plain strings (IPC, HTTP paths). */
export function isInvokeChannel(name: string): name is InvokeChannel {
  return Object.hasOwn(invokeChannels, name);
}
