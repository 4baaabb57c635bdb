import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError, ErrorCode } from '../../shared/errors';

/** HTTP status for an API error code: the caller's fault 4xx, a remote's or ours 5xx. */
export function statusForError(code: ErrorCode): number {
  switch (code) {
    case 'bad_input':
      return 400;
    case 'unauthenticated':
      return 401;
    case 'not_found':
      return 404;
    case 'conflict':
    case 'refused':
    case 'read_only':
      return 409;
    case 'rate_limited':
      return 503;
    case 'timeout':
      return 504;
    case 'unauthorized':
    case 'forbidden':
    case 'unreachable':
    case 'bad_response':
    case 'host_key':
    case 'remote_error':
      return 502;
    case 'config_invalid':
    case 'secret_missing':
    case 'state_corrupt':
    case 'internal':
      return 500;
  }
}

/** Sends a JSON answer; API answers are never cached. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Sends an error body `{code, message}`. */
export function sendError(
  res: ServerResponse,
  status: number,
  error: ApiError,
  headers?: Record<string, string>,
): void {
  sendJson(res, status, error, headers);
}

/** A request body that could not be accepted, with the status to answer. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads a JSON request body up to `limit` bytes. An empty body is `undefined` (channels
 * without input take it as `{}`; a JSON `null` is not the same and is refused by the
 * channel's schema); anything else must be declared JSON, which also forces browsers to
 * preflight cross-origin posts.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new BodyError(413, `request body larger than ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      req.resume();
      throw new BodyError(413, `request body larger than ${limit} bytes`);
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new BodyError(415, 'request body must be sent as Content-Type: application/json');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(400, 'request body is not valid JSON');
  }
}
