import { deadline } from '../../deadline';
import { AsyncLocalStorage } from 'node:async_hooks';
import { sleep } from '../../abortable-sleep';
import type { RequesterType, ResourceOptions } from '@gitbeaker/requester-utils';
import { redactUrl } from '../../errors/redact';
import { GitLabError } from './errors';
import { readBoundedText, ResponseTooLarge } from '../response-body';
import { parseRateLimit, parseRetryAfter, slowDownMs, type RateLimitState } from './rate-limit';

/** Options of the transport under gitbeaker. */
export interface TransportOptions {
  /** Instance label for messages, e.g. `gitlab.example.com`; never a token. */
  label: string;
  /** Per-request timeout (headers and body). */
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Retries after a 5xx or a network error (GET and PUT only; DELETE is never repeated blindly). */
  retries?: number;
  retryBaseMs?: number;
  /** A 429 or a nearly spent budget whose wait is at most this long is waited out in place. */
  maxInlineWaitMs?: number;
  now?: () => number;
  random?: () => number;
}

type Body = Record<string, unknown> | Record<string, unknown>[] | ReadableStream | string | null;

interface Formatted {
  body: Body;
  headers: Record<string, string>;
  status: number;
}

/**
 * The cycle's abort signal, carried through gitbeaker (whose resource methods do not pass
 * a per-call signal down) to the transport.
 */
export const callSignal = new AsyncLocalStorage<AbortSignal>();

/** Normalises a path for counting: `runners/12/jobs` → `runners/:id/jobs`. */
export function routeOf(endpoint: string): string {
  return endpoint.replace(/^\/+/, '').replace(/\/\d+(?=\/|$)/g, '/:id');
}

/**
 * gitbeaker's request layer, replaced so that we own fetch, per-request timeouts, the
 * cycle's abort signal, `RateLimit-*` pacing, 429 `Retry-After`, jittered retries for
 * 5xx and network errors — and so that 401/403 are never retried (gitbeaker's default
 * handler retries 429 ten times without reading Retry-After). It also counts requests.
 */
export class GitLabTransport {
  private readonly fetchFn: typeof fetch;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly maxInlineWaitMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  /** The budget GitLab reported last; null until an answer carried RateLimit-* headers. */
  rate: RateLimitState | null = null;
  /** Requests sent (retries included) since construction. */
  total = 0;
  /** Requests per route since the last `takeCounts`. */
  private counts = new Map<string, number>();

  constructor(private readonly options: TransportOptions) {
    this.fetchFn = options.fetch ?? fetch;
    this.retries = options.retries ?? 2;
    this.retryBaseMs = options.retryBaseMs ?? 250;
    this.maxInlineWaitMs = options.maxInlineWaitMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Requests per route since the last call, and resets the counter. */
  takeCounts(): Map<string, number> {
    const out = this.counts;
    this.counts = new Map();
    return out;
  }

  /** Wait the budget asks for before `upcoming` more requests (0 when there is room). */
  slowDownMs(upcoming = 0): number {
    if (!this.rate) return 0;
    return slowDownMs({ ...this.rate, remaining: this.rate.remaining - upcoming }, this.now());
  }

  /** The `requesterFn` gitbeaker resources accept. */
  readonly requesterFn = (resource: ResourceOptions): RequesterType => {
    const call =
      (method: string) =>
      (
        endpoint: string,
        options?: { searchParams?: Record<string, unknown>; body?: unknown; asStream?: boolean },
      ) =>
        this.request(resource, method, endpoint, options ?? {}) as never;
    return {
      get: call('GET'),
      post: call('POST'),
      put: call('PUT'),
      patch: call('PATCH'),
      delete: call('DELETE'),
    };
  };

  private async request(
    resource: ResourceOptions,
    method: string,
    endpoint: string,
    options: { searchParams?: Record<string, unknown>; body?: unknown; asStream?: boolean },
  ): Promise<Formatted> {
    const signal = callSignal.getStore();
    const base = resource.url.endsWith('/') ? resource.url : `${resource.url}/`;
    let url = new URL(endpoint.replace(/^\/+/, ''), base);
    url.search = formatQuery(options.searchParams ?? {});
    // The token goes to this origin and no other: redirects are followed here, by hand.
    const origin = new URL(base).origin;
    let redirects = 0;
    const headers: Record<string, string> = { ...resource.headers };
    for (const [name, value] of Object.entries(resource.authHeaders)) headers[name] = await value();
    let body: string | undefined;
    const payload =
      options.body && typeof options.body === 'object'
        ? dropUndefined(options.body as Record<string, unknown>)
        : undefined;
    if (payload && Object.keys(payload).length > 0 && method !== 'GET') {
      body = JSON.stringify(decamelizeKeys(payload));
      headers['content-type'] = 'application/json';
    }
    const call = `${method} /${routeOf(url.pathname.replace(/^.*?\/api\/v4\//, ''))}`;
    let verb = method;
    const retryable = method !== 'DELETE' && method !== 'POST';
    let failures = 0;
    let tooMany = 0;
    for (;;) {
      await this.pace(call, signal);
      const timeout = deadline(this.options.timeoutMs, signal);
      const combined = timeout.signal;
      // A streamed body (trace heads) is read by the caller, which releases the deadline.
      let streamed = false;
      try {
        this.total += 1;
        const route = `${method} ${routeOf(url.pathname.replace(/^.*?\/api\/v4\//, ''))}`;
        this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
        let response: Response;
        try {
          response = await this.fetchFn(url, {
            method: verb,
            headers,
            ...(body === undefined ? {} : { body }),
            signal: combined,
            // fetch would carry PRIVATE-TOKEN (not a standard auth header) to any origin.
            redirect: 'manual',
          });
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          if (timeout.timedOut) {
            throw new GitLabError(
              'timeout',
              `${this.options.label}: ${call} got no answer within ${this.options.timeoutMs} ms`,
              {
                status: null,
                call,
                cause: error,
              },
            );
          }
          failures += 1;
          if (retryable && failures <= this.retries) {
            await this.sleep(this.jitter(failures), signal);
            continue;
          }
          throw new GitLabError(
            'unreachable',
            `${this.options.label}: cannot reach ${url.origin} for ${call} (${describeNetworkError(error)})`,
            {
              status: null,
              call,
              cause: error,
            },
          );
        }
        if (REDIRECTS.has(response.status)) {
          await response.body?.cancel().catch(() => undefined);
          const target = redirectTarget(response, url);
          if (!target || target.origin !== origin) {
            throw new GitLabError(
              'bad_response',
              `${this.options.label}: ${call} was redirected (HTTP ${response.status}) to ${target ? originOf(target) : 'an unreadable address'}, not ${origin}; not following, since the token is sent only to the configured URL (fix the instance url)`,
              { status: response.status, call },
            );
          }
          redirects += 1;
          if (redirects > MAX_REDIRECTS) {
            throw new GitLabError(
              'bad_response',
              `${this.options.label}: ${call} was redirected more than ${MAX_REDIRECTS} times`,
              { status: response.status, call },
            );
          }
          // As fetch does: 303, and 301/302 after a POST, continue as a GET without the body.
          if (
            response.status === 303 ||
            ((response.status === 301 || response.status === 302) && verb === 'POST')
          ) {
            verb = 'GET';
            body = undefined;
            delete headers['content-type'];
          }
          url = target;
          continue;
        }
        const lower = Object.fromEntries(response.headers.entries());
        const rate = parseRateLimit(lower);
        if (rate) this.rate = rate;
        if (response.ok) {
          if (options.asStream === true && response.body) {
            // The caller reads the stream: the deadline covers that read, released after it.
            streamed = true;
            const release = () => timeout.dispose();
            return {
              body: releasing(response.body, release),
              headers: lower,
              status: response.status,
            };
          }
          return await this.parse(response, lower, options.asStream === true, call);
        }
        // an error body only feeds the message: a short read is enough
        const text = await readBoundedText(response, 64 * 1024).catch(() => '');
        if (response.status === 429) {
          const wait =
            parseRetryAfter(response.headers.get('retry-after'), this.now()) ??
            this.jitter(tooMany + 1) * 4;
          tooMany += 1;
          if (tooMany <= 2 && wait <= this.maxInlineWaitMs) {
            await this.sleep(wait, signal);
            continue;
          }
          throw new GitLabError(
            'rate_limited',
            `${this.options.label}: GitLab asked to slow down (429) on ${call}; next try in ${Math.ceil(wait / 1000)} s`,
            {
              status: 429,
              call,
              retryAfterMs: wait,
            },
          );
        }
        if (response.status >= 500) {
          failures += 1;
          if (retryable && failures <= this.retries) {
            await this.sleep(this.jitter(failures), signal);
            continue;
          }
          throw new GitLabError(
            'remote_error',
            `${this.options.label}: GitLab failed on ${call} (HTTP ${response.status})`,
            { status: response.status, call },
          );
        }
        throw this.clientError(response.status, text, call);
      } finally {
        if (!streamed) timeout.dispose();
      }
    }
  }

  private clientError(status: number, text: string, call: string): GitLabError {
    const label = this.options.label;
    let parsed: { error?: unknown; message?: unknown; scope?: unknown } = {};
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null) parsed = value as typeof parsed;
    } catch {
      // Plain-text bodies (proxies, older versions) carry nothing we need.
    }
    if (status === 401) {
      return new GitLabError(
        'unauthorized',
        `${label}: GitLab rejected the token (401 Unauthorized). Check the token configured for this instance: it may be wrong, expired or revoked.`,
        {
          status,
          call,
        },
      );
    }
    if (status === 403) {
      if (parsed.error === 'insufficient_scope') {
        const needs =
          typeof parsed.scope === 'string' && parsed.scope !== ''
            ? ` (needs ${parsed.scope.split(' ').join(' or ')})`
            : '';
        return new GitLabError(
          'forbidden',
          `${label}: the token lacks the scope for ${call}${needs}`,
          { status, call, insufficientScope: true },
        );
      }
      return new GitLabError(
        'forbidden',
        `${label}: ${call} was refused (403 Forbidden): the token's user lacks the role or access for it`,
        { status, call },
      );
    }
    if (status === 404)
      return new GitLabError('not_found', `${label}: ${call} not found (404)`, { status, call });
    const detail =
      typeof parsed.message === 'string'
        ? parsed.message
        : typeof parsed.error === 'string'
          ? parsed.error
          : `HTTP ${status}`;
    return new GitLabError('bad_response', `${label}: ${call} failed: ${detail}`, { status, call });
  }

  private async parse(
    response: Response,
    headers: Record<string, string>,
    asStream: boolean,
    call: string,
  ): Promise<Formatted> {
    const status = response.status;
    if (asStream) return { body: response.body, headers, status };
    if (status === 204) return { body: null, headers, status };
    const type = (headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    let text: string;
    try {
      text = await readBoundedText(response);
    } catch (error) {
      if (!(error instanceof ResponseTooLarge)) throw error;
      throw new GitLabError('bad_response', `${this.options.label}: ${call}: ${error.message}`, {
        status,
        call,
        cause: error,
      });
    }
    if (type === 'application/json') {
      if (text === '') return { body: {}, headers, status };
      try {
        return { body: JSON.parse(text) as Body, headers, status };
      } catch (error) {
        throw new GitLabError(
          'bad_response',
          `${this.options.label}: ${call} answered invalid JSON`,
          { status, call, cause: error },
        );
      }
    }
    return { body: text, headers, status };
  }

  /** Holds back while the budget is nearly spent; fails the call when the wait is long. */
  private async pace(call: string, signal: AbortSignal | undefined): Promise<void> {
    const wait = this.slowDownMs();
    if (wait <= 0) return;
    if (wait <= this.maxInlineWaitMs) {
      await this.sleep(wait, signal);
      this.rate = null;
      return;
    }
    throw new GitLabError(
      'rate_limited',
      `${this.options.label}: rate-limit budget nearly spent (${this.rate?.remaining ?? 0} of ${this.rate?.limit ?? 0} left); ${call} waits ${Math.ceil(wait / 1000)} s for the window to reset`,
      { status: null, call, retryAfterMs: wait },
    );
  }

  private jitter(attempt: number): number {
    const raw = this.retryBaseMs * 2 ** Math.max(0, attempt - 1);
    return Math.round(raw * (0.5 + this.random()));
  }

  private sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return sleep(ms, signal);
  }
}

/** Redirect statuses; fetch's own following is off (see `redirect: 'manual'`). */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Same-origin hops followed before giving up, as browsers bound them too. */
const MAX_REDIRECTS = 5;

/** The origin to name in a message; `file:` and the like have none (`null`). */
function originOf(url: URL): string {
  return url.origin === 'null' ? `a ${url.protocol} URL` : redactUrl(url.origin);
}

function redirectTarget(response: Response, from: URL): URL | null {
  const location = response.headers.get('location');
  if (!location) return null;
  try {
    return new URL(location, from);
  } catch {
    return null;
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : 'network error';
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function decamel(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function decamelizeKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [decamel(k), v]));
}

/** gitbeaker passes camelCase search params; GitLab wants snake_case, arrays as `key[]`. */
function formatQuery(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const name = decamel(key);
    if (Array.isArray(value)) for (const item of value) search.append(`${name}[]`, String(item));
    else search.append(name, String(value));
  }
  return search.toString();
}

/** The stream as read by the caller, calling `done` once it ends, fails or is cancelled. */
function releasing(
  stream: ReadableStream<Uint8Array>,
  done: () => void,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) {
          done();
          controller.close();
        } else controller.enqueue(next.value);
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    async cancel(reason) {
      done();
      await reader.cancel(reason);
    },
  });
}
