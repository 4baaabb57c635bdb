import { z } from 'zod';
import { deadline } from '../../deadline';
import { PrometheusError } from './prometheus-error';

/** One series of an instant query: its labels and one sample. */
export interface VectorSample {
  metric: Record<string, string>;
  /** Sample time in ms since the epoch (for an instant query: the evaluation time). */
  at: number;
  value: number;
}

/** One series of a range query: its labels and samples, oldest first. */
export interface MatrixSeries {
  metric: Record<string, string>;
  /** [ms since the epoch, value] pairs. */
  values: [number, number][];
}

/** What the client needs; `fetch` and the auth header are injected. */
export interface PrometheusClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:9090` (a path prefix such as `/prometheus` is kept). */
  url: string;
  /** For messages, e.g. `Prometheus ci`; never contains credentials. */
  label: string;
  /** The `Authorization` header value, or null; read on every call. */
  authorization?: () => Promise<string | null>;
  timeoutMs: number;
  fetch?: typeof fetch;
}

// Prometheus writes sample values as strings: "NaN", "+Inf" and "-Inf" included.
const SampleValue = z.tuple([z.number(), z.string()]);
const Labels = z.record(z.string(), z.string());
const SuccessBody = z.object({
  status: z.literal('success'),
  data: z.discriminatedUnion('resultType', [
    // A fleet's vector holds thousands of series: each is checked by vectorSeries() below
    // instead of by zod, whose copies of every series were most of a cycle's garbage
    // (about 26 MB per cycle for 1,000 machines; bench/README.md, memory).
    z.object({ resultType: z.literal('vector'), result: z.array(z.unknown()) }),
    z.object({
      resultType: z.literal('matrix'),
      result: z.array(z.object({ metric: Labels, values: z.array(SampleValue) })),
    }),
    z.object({ resultType: z.literal('scalar'), result: SampleValue }),
    z.object({ resultType: z.literal('string'), result: SampleValue }),
  ]),
  warnings: z.array(z.string()).optional(),
});
const ErrorBody = z.object({
  status: z.literal('error'),
  errorType: z.string(),
  error: z.string(),
});

/** Longest part of a query quoted in an error message. */
const QUERY_IN_MESSAGE = 120;

/**
 * Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`) with every answer parsed
 * by zod. Errors are PrometheusError with a stable code: `unreachable` (no connection),
 * `timeout`, `unauthorized`/`forbidden` (401/403), `bad_input` (Prometheus refused the
 * query: `bad_data`), `remote_error` (other `status: error`, 5xx), `bad_response` (not the
 * API's shape). Redirects are not followed: credentials are never sent to another address.
 */
export class PrometheusClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: PrometheusClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Instant query at `timeMs` (default: the server's now); NaN/Inf samples are dropped. */
  async query(expr: string, signal: AbortSignal, timeMs?: number): Promise<VectorSample[]> {
    const params = new URLSearchParams({ query: expr });
    if (timeMs !== undefined) params.set('time', (timeMs / 1000).toFixed(3));
    const data = await this.call('query', params, expr, signal);
    if (data.resultType !== 'vector') {
      throw new PrometheusError(
        'bad_response',
        `${this.options.label}: expected a vector for ${quote(expr)}, got a ${data.resultType}`,
      );
    }
    const out: VectorSample[] = [];
    for (const raw of data.result) {
      const series = vectorSeries(raw);
      if (series === null) {
        throw new PrometheusError(
          'bad_response',
          `${this.options.label}: unexpected answer to /api/v1/query for ${quote(expr)}: a series is not { metric, value: [time, "value"] } (${snippet(JSON.stringify(raw) ?? '')})`,
        );
      }
      const value = Number(series.value[1]);
      if (Number.isFinite(value))
        out.push({ metric: series.metric, at: Math.round(series.value[0] * 1000), value });
    }
    return out;
  }

  /** Range query over [startMs, endMs] every `stepSec`; NaN/Inf samples are dropped. */
  async queryRange(
    expr: string,
    range: { startMs: number; endMs: number; stepSec: number },
    signal: AbortSignal,
  ): Promise<MatrixSeries[]> {
    const params = new URLSearchParams({
      query: expr,
      start: (range.startMs / 1000).toFixed(3),
      end: (range.endMs / 1000).toFixed(3),
      step: String(range.stepSec),
    });
    const data = await this.call('query_range', params, expr, signal);
    if (data.resultType !== 'matrix') {
      throw new PrometheusError(
        'bad_response',
        `${this.options.label}: expected a matrix for ${quote(expr)}, got a ${data.resultType}`,
      );
    }
    return data.result.map((series) => ({
      metric: series.metric,
      values: series.values
        .map(([at, raw]): [number, number] => [Math.round(at * 1000), Number(raw)])
        .filter(([, value]) => Number.isFinite(value)),
    }));
  }

  private async call(
    endpoint: 'query' | 'query_range',
    params: URLSearchParams,
    expr: string,
    signal: AbortSignal,
  ): Promise<z.infer<typeof SuccessBody>['data']> {
    const { label } = this.options;
    const headers: Record<string, string> = { accept: 'application/json' };
    const authorization = await this.options.authorization?.();
    signal.throwIfAborted();
    if (authorization) headers.authorization = authorization;
    const timeout = deadline(this.options.timeoutMs, signal);
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(`${this.base}/api/v1/${endpoint}?${params.toString()}`, {
        headers,
        redirect: 'manual',
        signal: timeout.signal,
      });
      text = await response.text();
    } catch (error) {
      signal.throwIfAborted();
      if (timeout.timedOut) {
        throw new PrometheusError(
          'timeout',
          `${label}: no answer within ${this.options.timeoutMs} ms`,
          { cause: error },
        );
      }
      throw new PrometheusError(
        'unreachable',
        `${label}: cannot reach ${this.base} (${describeNetworkError(error)})`,
        { cause: error },
      );
    } finally {
      timeout.dispose();
    }
    const status = response.status;
    if (status >= 300 && status < 400) {
      throw new PrometheusError(
        'bad_response',
        `${label}: ${this.base} answered a redirect (HTTP ${status}); set the URL to where the API is`,
        { status },
      );
    }
    if (status === 401 || status === 403) {
      throw new PrometheusError(
        status === 401 ? 'unauthorized' : 'forbidden',
        `${label}: HTTP ${status} — ${status === 401 ? 'check the credentials in "auth"' : 'the credentials may not query this server'}`,
        { status },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PrometheusError(
        status >= 500 ? 'remote_error' : 'bad_response',
        `${label}: HTTP ${status}, not a Prometheus API answer (${snippet(text)})`,
        { status },
      );
    }
    const failed = ErrorBody.safeParse(json);
    if (failed.success) {
      const { errorType, error } = failed.data;
      throw new PrometheusError(
        errorType === 'bad_data'
          ? 'bad_input'
          : errorType === 'timeout'
            ? 'timeout'
            : 'remote_error',
        `${label}: Prometheus refused ${quote(expr)} (${errorType}: ${error})`,
        { status, errorType },
      );
    }
    const ok = SuccessBody.safeParse(json);
    if (!ok.success || status >= 400) {
      throw new PrometheusError(
        status >= 500 ? 'remote_error' : 'bad_response',
        `${label}: HTTP ${status}, unexpected answer to /api/v1/${endpoint} (${snippet(text)})`,
        { status },
      );
    }
    return ok.data.data;
  }
}

/**
 * One series of a vector answer, checked as zod would check `{ metric: Labels, value:
 * SampleValue }` (extra keys allowed) but without copying it: labels an object of strings,
 * value a [number, string] pair. Null when the series has another shape.
 */
export function vectorSeries(
  raw: unknown,
): { metric: Record<string, string>; value: [number, string] } | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { metric, value } = raw as { metric?: unknown; value?: unknown };
  if (typeof metric !== 'object' || metric === null || Array.isArray(metric)) return null;
  for (const key in metric) {
    if (!Object.hasOwn(metric, key)) continue;
    if (typeof (metric as Record<string, unknown>)[key] !== 'string') return null;
  }
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [at, sample] = value as unknown[];
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof sample !== 'string') return null;
  return { metric: metric as Record<string, string>, value: [at, sample] };
}

function quote(expr: string): string {
  const short = expr.length > QUERY_IN_MESSAGE ? `${expr.slice(0, QUERY_IN_MESSAGE)}…` : expr;
  return JSON.stringify(short);
}

function snippet(text: string): string {
  const flat = text.trim().replace(/\s+/g, ' ');
  return flat.length === 0 ? 'empty body' : flat.slice(0, 120);
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
