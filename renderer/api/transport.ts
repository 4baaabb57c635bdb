import type { InvokeChannel, RequestInputOf, ResponseOf } from '../../shared/api';
import { ApiError, type ErrorCode } from '../../shared/errors';
import type { FleetEvent } from '../../shared/fleet';
import type { OpenTarget } from '../../shared/ui';

/**
 * A failed call or a broken event stream, with the stable code from shared/errors.ts so
 * views can say what to do (e.g. `unauthenticated` → open the URL with the token).
 */
export class TransportError extends Error {
  readonly code: ErrorCode;
  /** HTTP status when the HTTP transport got one; null for IPC and network failures. */
  readonly status: number | null;

  constructor(code: ErrorCode, message: string, status: number | null = null) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
    this.status = status;
  }
}

/** True for TransportError; views use it to pick the message to show. */
export function isTransportError(value: unknown): value is TransportError {
  return value instanceof TransportError;
}

/** What the UI says when the serve host answers 401: the one fix the user can apply. */
export const OPEN_WITH_TOKEN_MESSAGE =
  'Open the URL with the token that runner-watch printed (it looks like http://127.0.0.1:PORT/?token=…).';

/** State of the push event stream, for the "live" indicator and the sign-in state. */
export type StreamStatus =
  { state: 'connecting' } | { state: 'live' } | { state: 'down'; error: TransportError };

/** Callbacks of one event subscription. */
export interface EventHandlers {
  onEvent(event: FleetEvent): void;
  onStatus?(status: StreamStatus): void;
  /** An event that failed its schema and was dropped (the stream itself stays up). */
  onDropped?(error: TransportError): void;
}

/**
 * The one seam between the renderer and main (STYLE.md §5): Electron IPC or HTTP + SSE.
 * Both implementations parse every response and event with the zod schemas of shared/api.ts,
 * so nothing unparsed reaches a view.
 */
export interface Transport {
  readonly kind: 'ipc' | 'http';
  /** Calls a channel; rejects with a TransportError. */
  invoke<C extends InvokeChannel>(channel: C, request: RequestInputOf<C>): Promise<ResponseOf<C>>;
  /** Subscribes to fleet events (a `snapshot` first, then `delta`s); returns the unsubscribe. */
  subscribe(handlers: EventHandlers): () => void;
  /**
   * Desktop app only: the host asks to show a machine, a proposal's confirm dialog, a
   * source or the fleet (`rw:ui:open`). Parsed; absent for the HTTP transport.
   */
  onOpenRequest?(listener: (target: OpenTarget) => void): () => void;
}

/** Reads an error body `{code, message}`; null when the value is not one. */
export function parseApiError(value: unknown): ApiError | null {
  const parsed = ApiError.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** The first zod issue as one line, so a bad response names the field that broke. */
export function describeIssue(error: {
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>;
}): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  return `${issue.message}${where}`;
}
