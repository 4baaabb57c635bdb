import { z } from 'zod';
import { backoffDelay, type BackoffOptions } from '../../backoff';
import { RwError } from '../../errors/rw-error';
import type { InFlightAction } from '../state-store';
import {
  messageOf,
  sleep as defaultSleep,
  step,
  type ActionContext,
  type ActionRunner,
  type RecoveryOutcome,
} from './action';

/** A Hetzner action as the reaper needs it (the shape `HcloudClient` returns). */
export interface HcloudActionState {
  id: number;
  status: 'running' | 'success' | 'error';
  error: { code: string; message: string } | null;
}

/**
 * The Hetzner calls the delete action needs. `HcloudClient` from `sources/hcloud` provides
 * `deleteServer` and `getAction`; `getServer` can come from `fetchServerStatus` below.
 * Failures throw errors carrying the HTTP `status` (404, 423, 5xx) or an RwError code.
 */
export interface HcloudDeleteApi {
  deleteServer(id: number, signal?: AbortSignal): Promise<HcloudActionState>;
  getAction(id: number, signal?: AbortSignal): Promise<HcloudActionState>;
  /** The server's status word, or null when the server does not exist (404). */
  getServer(id: number, signal?: AbortSignal): Promise<{ status: string } | null>;
}

/** Tuning of the delete action; the defaults suit the real API. */
export interface HcloudDeleteOptions {
  /**
   * The API, or a lookup by the inventory source that listed the machine (one token per
   * Hetzner project); the lookup throws when it knows no such project.
   */
  api: HcloudDeleteApi | ((providerSource: string | null) => HcloudDeleteApi);
  /** 423 locked: wait this long and retry, at most `lockedRetries` times. */
  lockedRetries?: number;
  lockedDelayMs?: number;
  /** 5xx and 429: retry with backoff at most this many times, then report. */
  serverErrorRetries?: number;
  backoff?: BackoffOptions;
  /** Interval of polling the delete action. */
  pollIntervalMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** HTTP status of a failed call: the error's `status`, else derived from its RwError code. */
export function httpStatusOf(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') return status;
  switch ((error as { code?: unknown }).code) {
    case 'not_found':
      return 404;
    case 'conflict':
      return 423;
    case 'rate_limited':
      return 429;
    case 'remote_error':
      return 500;
    default:
      return null;
  }
}

function serverIdOf(providerId: string | null): number {
  const id = providerId === null ? NaN : Number(providerId);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new RwError('bad_input', `not a Hetzner server id: ${JSON.stringify(providerId)}`);
  }
  return id;
}

/**
 * Deletes a Hetzner server and follows the delete action to its end. Idempotent: 404 on
 * the delete means the server is already gone, which is the goal. 423 (another action
 * holds the lock) waits and retries a bounded number of times; 5xx and 429 retry with
 * backoff, then the failure is reported. Never retries a 4xx it does not understand.
 */
export class HcloudDeleteAction implements ActionRunner {
  private readonly apiFor: (providerSource: string | null) => HcloudDeleteApi;
  private readonly lockedRetries: number;
  private readonly lockedDelayMs: number;
  private readonly serverErrorRetries: number;
  private readonly backoff: BackoffOptions;
  private readonly pollIntervalMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(options: HcloudDeleteOptions) {
    const api = options.api;
    this.apiFor = typeof api === 'function' ? api : () => api;
    this.lockedRetries = options.lockedRetries ?? 5;
    this.lockedDelayMs = options.lockedDelayMs ?? 3_000;
    this.serverErrorRetries = options.serverErrorRetries ?? 3;
    this.backoff = options.backoff ?? { baseMs: 1_000, maxMs: 15_000, jitter: 0.2 };
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
  }

  async run(context: ActionContext): Promise<string> {
    const id = serverIdOf(context.inFlight.providerId);
    const api = this.apiFor(context.inFlight.providerSource);
    let locked = 0;
    let failures = 0;
    let action: HcloudActionState;
    for (;;) {
      try {
        action = await step(
          `DELETE /servers/${id}`,
          context.stepTimeoutMs,
          context.signal,
          (signal) => api.deleteServer(id, signal),
        );
        break;
      } catch (error) {
        const status = httpStatusOf(error);
        if (status === 404) return `server ${id} already gone (404)`;
        if (status === 423 && locked < this.lockedRetries) {
          locked++;
          await context.progress({ step: `locked, retry ${locked} of ${this.lockedRetries}` });
          await this.sleep(this.lockedDelayMs, context.signal);
          continue;
        }
        if (status === 423) {
          throw new RwError(
            'conflict',
            `server ${id} still locked after ${locked} retries; delete not done`,
          );
        }
        if (
          status !== null &&
          (status >= 500 || status === 429) &&
          failures < this.serverErrorRetries
        ) {
          failures++;
          const hint = (error as { retryAfterMs?: unknown }).retryAfterMs;
          await context.progress({
            step: `HTTP ${status}, retry ${failures} of ${this.serverErrorRetries}`,
          });
          await this.sleep(
            backoffDelay(
              failures,
              this.backoff,
              this.random,
              typeof hint === 'number' ? hint : undefined,
            ),
            context.signal,
          );
          continue;
        }
        const attempts = locked + failures + 1;
        throw new RwError(
          status !== null && status >= 500
            ? 'remote_error'
            : ((error as { code?: RwError['code'] }).code ?? 'remote_error'),
          `delete of server ${id} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${messageOf(error)}`,
        );
      }
    }
    await context.progress({ hcloudActionId: action.id, step: 'deleting' });
    const final = await this.follow(api, action, context.signal, context.stepTimeoutMs);
    if (final.status === 'error') {
      throw new RwError(
        'remote_error',
        `delete action ${action.id} of server ${id} failed: ${final.error?.message ?? 'unknown error'}`,
      );
    }
    return `server ${id} deleted (action ${action.id})`;
  }

  /** Polls an action until it ends, within one step bound; 5xx while polling is retried. */
  private async follow(
    api: HcloudDeleteApi,
    action: HcloudActionState,
    parent: AbortSignal,
    timeoutMs: number,
  ): Promise<HcloudActionState> {
    return step(`action ${action.id}`, timeoutMs, parent, async (signal) => {
      let current = action;
      while (current.status === 'running') {
        await this.sleep(this.pollIntervalMs, signal);
        try {
          current = await api.getAction(action.id, signal);
        } catch (error) {
          const status = httpStatusOf(error);
          if (status === null || (status < 500 && status !== 429)) throw error;
        }
      }
      return current;
    });
  }

  async recover(
    inFlight: InFlightAction,
    signal: AbortSignal,
    stepTimeoutMs: number,
  ): Promise<RecoveryOutcome> {
    const id = serverIdOf(inFlight.providerId);
    const api = this.apiFor(inFlight.providerSource);
    if (inFlight.hcloudActionId !== null) {
      try {
        const action = await step(`action ${inFlight.hcloudActionId}`, stepTimeoutMs, signal, (s) =>
          api.getAction(inFlight.hcloudActionId as number, s),
        );
        const final = await this.follow(api, action, signal, stepTimeoutMs);
        if (final.status === 'success')
          return {
            completed: true,
            detail: `delete action ${action.id} of server ${id} succeeded`,
          };
      } catch {
        // Fall through to the server itself: it is the truth that matters.
      }
    }
    const server = await step(`GET /servers/${id}`, stepTimeoutMs, signal, (s) =>
      api.getServer(id, s),
    );
    if (server === null) return { completed: true, detail: `server ${id} is gone` };
    if (server.status === 'deleting') {
      try {
        await step(`server ${id} deleting`, stepTimeoutMs, signal, async (s) => {
          for (;;) {
            await this.sleep(this.pollIntervalMs, s);
            if ((await api.getServer(id, s)) === null) return;
          }
        });
        return { completed: true, detail: `server ${id} finished deleting` };
      } catch {
        return {
          completed: false,
          detail: `server ${id} is still deleting; check it in the Hetzner console`,
        };
      }
    }
    return {
      completed: false,
      detail: `server ${id} still exists (status ${server.status}); the delete was not repeated — confirm again after a fresh check`,
    };
  }
}

const ServerBody = z.object({ server: z.object({ id: z.number(), status: z.string() }) });

/**
 * `getServer` on `fetch` for the delete action's recovery (the Hetzner client has no
 * single-server call): `GET /servers/{id}`, 404 → null. The token is never in a message.
 */
export function fetchServerStatus(options: {
  apiUrl: string;
  token: string;
  fetch?: typeof fetch;
}): HcloudDeleteApi['getServer'] {
  const base = options.apiUrl.replace(/\/+$/, '');
  const fetchFn = options.fetch ?? fetch;
  return async (id, signal) => {
    const response = await fetchFn(`${base}/servers/${id}`, {
      headers: { authorization: `Bearer ${options.token}` },
      ...(signal ? { signal } : {}),
    });
    if (response.status === 404) return null;
    if (!response.ok) {
      const error = new RwError(
        response.status >= 500 ? 'remote_error' : 'bad_response',
        `GET /servers/${id}: HTTP ${response.status}`,
      );
      Object.assign(error, { status: response.status });
      throw error;
    }
    const parsed = ServerBody.safeParse(await response.json());
    if (!parsed.success) throw new RwError('bad_response', `GET /servers/${id}: unexpected body`);
    return { status: parsed.data.server.status };
  };
}
