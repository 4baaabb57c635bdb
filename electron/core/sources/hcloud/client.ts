import { z } from 'zod';
import { sleep } from '../../abortable-sleep';
import { deadline } from '../../deadline';
import type { ErrorCode } from '../../../../shared/errors';
import { HcloudError, type HcloudErrorDetails } from './hcloud-error';
import { readBoundedText, ResponseTooLarge } from '../response-body';
import { parseRateLimit, retryAfterMs, throttleDelayMs, type RateLimitState } from './rate-limit';

const isoTime = z.string().transform((value, ctx) => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: `not a time: ${value}` });
    return z.NEVER;
  }
  return ms;
});

/** A Hetzner server as the API describes it (the fields Runner Watch uses). */
export const HcloudServer = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.string(),
  created: isoTime,
  labels: z.record(z.string(), z.string()).default({}),
  public_net: z
    .object({ ipv4: z.object({ ip: z.string() }).nullable().optional() })
    .nullable()
    .optional(),
  private_net: z.array(z.object({ ip: z.string() })).default([]),
  server_type: z.object({
    name: z.string(),
    cores: z.number().optional(),
    memory: z.number().optional(),
    disk: z.number().optional(),
  }),
  datacenter: z
    .object({ name: z.string(), location: z.object({ name: z.string() }).optional() })
    .nullable()
    .optional(),
  /** Delete and rebuild protection; a server with `delete: true` cannot be deleted. */
  protection: z.object({ delete: z.boolean(), rebuild: z.boolean().optional() }).optional(),
});
/** A Hetzner server. */
export type HcloudServer = z.infer<typeof HcloudServer>;

/** A Hetzner action (e.g. `delete_server`), polled with `getAction` until it ends. */
export const HcloudAction = z.object({
  id: z.number().int(),
  command: z.string(),
  status: z.enum(['running', 'success', 'error']),
  progress: z.number(),
  started: isoTime,
  finished: isoTime.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
/** A Hetzner action. */
export type HcloudAction = z.infer<typeof HcloudAction>;

const Price = z.object({ net: z.string(), gross: z.string() });
/** A server type with its prices per location (the basis for cost figures). */
export const HcloudServerType = z.object({
  id: z.number().int(),
  name: z.string(),
  cores: z.number(),
  memory: z.number(),
  disk: z.number(),
  prices: z.array(z.object({ location: z.string(), price_hourly: Price, price_monthly: Price })),
});
/** A server type with its prices. */
export type HcloudServerType = z.infer<typeof HcloudServerType>;

const Pagination = z.object({
  page: z.number().int(),
  per_page: z.number().int(),
  previous_page: z.number().int().nullable(),
  next_page: z.number().int().nullable(),
  last_page: z.number().int().nullable(),
  total_entries: z.number().int().nullable(),
});
const ServersPage = z.object({
  servers: z.array(HcloudServer),
  meta: z.object({ pagination: Pagination }),
});
const ServerTypesPage = z.object({
  server_types: z.array(HcloudServerType),
  meta: z.object({ pagination: Pagination }).optional(),
});
const ActionBody = z.object({ action: HcloudAction });
const ServerBody = z.object({ server: HcloudServer });
const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Page size for every list call; 50 is the API's maximum. */
export const PER_PAGE = 50;
/** Safety bound: a server that keeps sending `next_page` cannot make us loop forever. */
const MAX_PAGES = 1000;
/** Never sleep longer than this to pace calls; beyond it we report rate limiting instead. */
const MAX_THROTTLE_MS = 10_000;

/** What the client needs; `fetch`, clock and sleep are injectable for tests. */
export interface HcloudClientOptions {
  /** e.g. `https://api.hetzner.cloud/v1` (no trailing slash needed). */
  apiUrl: string;
  /** The project's API token. The caller registers it with the redactor. */
  token: string;
  /** Project id from settings, named in error messages (never the token). */
  project: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Which servers to list; the name prefix is applied here (the API filters exact names only). */
export interface ServerQuery {
  labelSelector?: string;
  namePrefix?: string;
}

/**
 * A small typed Hetzner Cloud client on `fetch`. Every answer is parsed with zod; every
 * failure is an `HcloudError` with a stable code:
 * 401 → `unauthorized`, 403 → `forbidden`, 404 → `not_found`, 423 → `conflict` (locked),
 * 429 → `rate_limited` with `retryAfterMs`, 5xx → `remote_error`, no answer →
 * `unreachable` or `timeout`, unparsable body → `bad_response`.
 * It follows `RateLimit-*`: when the remaining budget runs low it spaces its calls at the
 * rate the budget refills, and when that wait is long it fails fast with `rate_limited`.
 *
 * Used by the Hetzner source (`listServers`) and by the reaper (`deleteServer`,
 * `getAction`, `getServer`); keep those signatures stable.
 */
export class HcloudClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly timeoutMs: number;
  private limits: RateLimitState | null = null;

  constructor(private readonly options: HcloudClientOptions) {
    this.base = options.apiUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** The rate-limit state from the last answer, or null before the first. */
  get rateLimit(): RateLimitState | null {
    return this.limits;
  }

  /**
   * All servers matching the query, every page (`per_page` 50, following
   * `meta.pagination.next_page`), in the API's order.
   */
  async listServers(query: ServerQuery = {}, signal?: AbortSignal): Promise<HcloudServer[]> {
    const servers: HcloudServer[] = [];
    let page: number | null = 1;
    let pages = 0;
    while (page !== null) {
      if (++pages > MAX_PAGES)
        throw this.error('bad_response', `more than ${MAX_PAGES} pages of servers`);
      const params: URLSearchParams = new URLSearchParams({
        page: String(page),
        per_page: String(PER_PAGE),
      });
      if (query.labelSelector) params.set('label_selector', query.labelSelector);
      const body: z.infer<typeof ServersPage> = await this.request(
        'GET',
        `/servers?${params.toString()}`,
        ServersPage,
        signal,
      );
      servers.push(...body.servers);
      const next: number | null = body.meta.pagination.next_page;
      if (next !== null && next <= page) {
        throw this.error('bad_response', `pagination went backwards (page ${page} → ${next})`);
      }
      page = next;
    }
    const prefix = query.namePrefix;
    return prefix ? servers.filter((s) => s.name.startsWith(prefix)) : servers;
  }

  /**
   * Deletes a server: resolves to the `delete_server` action (poll it with `getAction`).
   * Throws `HcloudError` `not_found` when the server is already gone (callers that delete
   * idempotently treat that as success) and `conflict` (Hetzner `locked`, HTTP 423)
   * while another action runs on it.
   */
  async deleteServer(id: number, signal?: AbortSignal): Promise<HcloudAction> {
    const body = await this.request('DELETE', `/servers/${serverId(id)}`, ActionBody, signal);
    return body.action;
  }

  /** One server, or null once it is gone (404); for re-checks before and after a delete. */
  async getServer(id: number, signal?: AbortSignal): Promise<HcloudServer | null> {
    try {
      const body = await this.request('GET', `/servers/${serverId(id)}`, ServerBody, signal);
      return body.server;
    } catch (error) {
      if (error instanceof HcloudError && error.code === 'not_found') return null;
      throw error;
    }
  }

  /** One action's current state (`running`, `success` or `error`). */
  async getAction(id: number, signal?: AbortSignal): Promise<HcloudAction> {
    const body = await this.request('GET', `/actions/${serverId(id)}`, ActionBody, signal);
    return body.action;
  }

  /** All server types with their prices per location. */
  async getServerTypes(signal?: AbortSignal): Promise<HcloudServerType[]> {
    const types: HcloudServerType[] = [];
    let page: number | null = 1;
    let pages = 0;
    while (page !== null) {
      if (++pages > MAX_PAGES)
        throw this.error('bad_response', `more than ${MAX_PAGES} pages of server types`);
      const body: z.infer<typeof ServerTypesPage> = await this.request(
        'GET',
        `/server_types?page=${page}&per_page=${PER_PAGE}`,
        ServerTypesPage,
        signal,
      );
      types.push(...body.server_types);
      const next: number | null = body.meta?.pagination.next_page ?? null;
      page = next !== null && next > page ? next : null;
    }
    return types;
  }

  private async request<T>(
    method: 'GET' | 'DELETE',
    path: string,
    schema: z.ZodType<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    await this.pace(signal);
    const timeout = deadline(this.timeoutMs, signal);
    const what = `${method} ${path.split('?')[0]}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(`${this.base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.options.token}`, Accept: 'application/json' },
        signal: timeout.signal,
      });
      text = await readBoundedText(response);
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      if (cause instanceof ResponseTooLarge)
        throw this.error('bad_response', `${what}: ${cause.message}`, { cause });
      if (timeout.timedOut) {
        throw this.error('timeout', `${what}: no answer within ${this.timeoutMs} ms`, { cause });
      }
      const reason =
        cause instanceof Error
          ? cause.cause instanceof Error
            ? cause.cause.message
            : cause.message
          : String(cause);
      throw this.error('unreachable', `${what}: cannot reach ${this.base} (${reason})`, { cause });
    } finally {
      timeout.dispose();
    }
    const limits = parseRateLimit(response.headers);
    if (limits) this.limits = limits;
    if (!response.ok) throw this.httpError(what, response, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.error('bad_response', `${what}: answer is not JSON (HTTP ${response.status})`, {
        status: response.status,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
      throw this.error(
        'bad_response',
        `${what}: unexpected answer: ${issue?.message ?? 'invalid'}${where}`,
        {
          status: response.status,
        },
      );
    }
    return parsed.data;
  }

  /** Spaces calls when the budget runs low; fails fast when the next call is far off. */
  private async pace(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const delay = throttleDelayMs(this.limits, now);
    if (delay === 0) return;
    if (delay > MAX_THROTTLE_MS) {
      const wait = Math.max(1000, delay);
      throw this.error(
        'rate_limited',
        `rate limit of project ${this.options.project} nearly used up (${this.limits?.remaining ?? 0} calls left); next call in ${Math.ceil(wait / 1000)} s`,
        { retryAfterMs: wait },
      );
    }
    await this.sleep(delay, signal);
  }

  private httpError(what: string, response: Response, text: string): HcloudError {
    const parsed = ErrorBody.safeParse(safeJson(text));
    const hcloudCode = parsed.success ? parsed.data.error.code : null;
    const remote = parsed.success ? `: ${parsed.data.error.message}` : '';
    const status = response.status;
    const project = this.options.project;
    const details = { status, hcloudCode };
    switch (status) {
      case 401:
        return this.error(
          'unauthorized',
          `Hetzner project ${project}: the API token was rejected (401${hcloudCode ? ` ${hcloudCode}` : ''}); check the token configured for this project`,
          details,
        );
      case 403:
        return this.error(
          'forbidden',
          `Hetzner project ${project}: ${what} forbidden (403${remote}); the token may be read-only`,
          details,
        );
      case 404:
        return this.error(
          'not_found',
          `Hetzner project ${project}: ${what}: not found${remote}`,
          details,
        );
      case 423:
        return this.error(
          'conflict',
          `Hetzner project ${project}: ${what}: locked by another action${remote}`,
          details,
        );
      case 429: {
        const wait = retryAfterMs(response.headers, this.now());
        return this.error(
          'rate_limited',
          `Hetzner project ${project}: rate limited (429); retry in ${Math.ceil(wait / 1000)} s`,
          { ...details, retryAfterMs: wait },
        );
      }
      default:
        return this.error(
          status >= 500 ? 'remote_error' : 'bad_response',
          `Hetzner project ${project}: ${what}: HTTP ${status}${remote}`,
          details,
        );
    }
  }

  private error(code: ErrorCode, message: string, details: HcloudErrorDetails = {}): HcloudError {
    return new HcloudError(code, message, details);
  }
}

function serverId(id: number): number {
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new HcloudError('bad_input', `not a Hetzner id: ${String(id)}`);
  }
  return id;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
