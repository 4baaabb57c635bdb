import {
  eventChannels,
  invokeChannels,
  type InvokeChannel,
  type ResponseOf,
} from '../../shared/api';
import type { ErrorCode } from '../../shared/errors';
import { SseParser } from './sse';
import {
  describeIssue,
  OPEN_WITH_TOKEN_MESSAGE,
  parseApiError,
  TransportError,
  type EventHandlers,
  type StreamStatus,
  type Transport,
} from './transport';

/** What the HTTP transport needs from the page; tests pass their own fetch and timers. */
export interface HttpTransportOptions {
  /** Prefix of the API paths; '' (the default) means the page's own origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Wait before reconnecting the event stream after its n-th consecutive failure (n ≥ 1). */
  retryDelayMs?: (failures: number) => number;
}

const defaultRetryDelay = (failures: number): number => Math.min(30_000, 500 * 2 ** (failures - 1));

/**
 * Transport to the serve host: `POST /api/invoke/<channel>` and the SSE stream
 * `GET /api/events`. Auth is the cookie the host set when the user opened `/?token=…`, so
 * requests are same-origin with credentials; a 401 becomes `unauthenticated` with the one
 * fix the user can apply.
 */
export function createHttpTransport(options: HttpTransportOptions = {}): Transport {
  const base = options.baseUrl ?? '';
  // Bound to globalThis: calling window.fetch as a method of another object throws.
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const retryDelay = options.retryDelayMs ?? defaultRetryDelay;

  return {
    kind: 'http',
    async invoke(channel, request) {
      let response: Response;
      try {
        response = await fetchFn(`${base}/api/invoke/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(request ?? {}),
          credentials: 'same-origin',
        });
      } catch (error) {
        throw networkError(channel, error);
      }
      const text = await readText(channel, response);
      if (!response.ok) throw httpError(channel, response.status, text);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new TransportError(
          'bad_response',
          `${channel}: the answer is not JSON`,
          response.status,
        );
      }
      return parseResponse(channel, json, response.status);
    },

    subscribe(handlers: EventHandlers) {
      return openEventStream(`${base}/api/events`, fetchFn, retryDelay, handlers);
    },
  };
}

/**
 * Maps a non-2xx answer to a TransportError. The host's `{code, message}` body wins; a 401
 * always means "open the URL with the token", whatever the body says.
 */
export function httpError(channel: string, status: number, body: string): TransportError {
  if (status === 401) return new TransportError('unauthenticated', OPEN_WITH_TOKEN_MESSAGE, status);
  let json: unknown = null;
  try {
    json = JSON.parse(body);
  } catch {
    // Not JSON (a proxy's HTML page, a plain-text 502): fall through to the status code.
  }
  const apiError = parseApiError(json);
  if (apiError) return new TransportError(apiError.code, apiError.message, status);
  const snippet = body.trim().replace(/\s+/g, ' ').slice(0, 120);
  return new TransportError(
    codeForStatus(status),
    `${channel}: HTTP ${status}${snippet ? ` (${snippet})` : ''}`,
    status,
  );
}

function codeForStatus(status: number): ErrorCode {
  if (status === 400 || status === 422) return 'bad_input';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status === 504) return 'timeout';
  if (status >= 500) return 'remote_error';
  return 'bad_response';
}

function networkError(what: string, error: unknown): TransportError {
  const reason = error instanceof Error ? error.message : String(error);
  return new TransportError(
    'unreachable',
    `${what}: no answer from the Runner Watch host (${reason}); is it still running?`,
  );
}

async function readText(channel: string, response: Response): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw networkError(channel, error);
  }
}

function parseResponse<C extends InvokeChannel>(
  channel: C,
  json: unknown,
  status: number,
): ResponseOf<C> {
  const parsed = invokeChannels[channel].response.safeParse(json);
  if (!parsed.success) {
    throw new TransportError('bad_response', `${channel}: ${describeIssue(parsed.error)}`, status);
  }
  return parsed.data as ResponseOf<C>;
}

/**
 * Reads the SSE stream with fetch rather than EventSource: EventSource hides the HTTP
 * status, and a 401 must reach the UI as "open the URL with the token". Reconnects with
 * backoff; the host sends a fresh `snapshot` first on every connection, so nothing is lost.
 */
function openEventStream(
  url: string,
  fetchFn: typeof fetch,
  retryDelay: (failures: number) => number,
  handlers: EventHandlers,
): () => void {
  let stopped = false;
  let failures = 0;
  let controller: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const status = (next: StreamStatus) => {
    if (!stopped) handlers.onStatus?.(next);
  };

  const connect = async (): Promise<void> => {
    controller = new AbortController();
    status({ state: 'connecting' });
    try {
      let response: Response;
      try {
        response = await fetchFn(url, {
          headers: { accept: 'text/event-stream' },
          credentials: 'same-origin',
          cache: 'no-store',
          signal: controller.signal,
        });
      } catch (error) {
        throw networkError('event stream', error);
      }
      if (!response.ok)
        throw httpError('event stream', response.status, await response.text().catch(() => ''));
      if (!response.body)
        throw new TransportError('bad_response', 'event stream: the answer has no body');
      failures = 0;
      status({ state: 'live' });
      await readEvents(response.body, handlers, () => stopped);
      if (!stopped)
        throw new TransportError('unreachable', 'event stream: the host closed the connection');
    } catch (error) {
      if (stopped) return;
      failures += 1;
      const transportError =
        error instanceof TransportError ? error : networkError('event stream', error);
      status({ state: 'down', error: transportError });
      timer = setTimeout(() => void connect(), retryDelay(failures));
    }
  };

  void connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    controller?.abort();
  };
}

async function readEvents(
  body: ReadableStream<Uint8Array>,
  handlers: EventHandlers,
  isStopped: () => boolean,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const message of parser.push(decoder.decode(value, { stream: true }))) {
        if (message.event !== 'rw:fleet:event' || isStopped()) continue;
        let json: unknown;
        try {
          json = JSON.parse(message.data);
        } catch {
          json = undefined;
        }
        const parsed = eventChannels['rw:fleet:event'].safeParse(json);
        if (parsed.success) {
          handlers.onEvent(parsed.data);
        } else {
          // Dropped: the next delta shows a version gap and the snapshot is fetched again.
          const reason = json === undefined ? 'not JSON' : describeIssue(parsed.error);
          handlers.onDropped?.(new TransportError('bad_response', `rw:fleet:event: ${reason}`));
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}
