import type { ApiError, ErrorCode } from '../../../shared/errors';
import { redactor } from './redact';

/**
 * Base of every error the engine raises on purpose. It carries a stable code for the
 * renderer and a message meant for a person; the message is scrubbed of registered
 * secrets at construction, so it is safe to log and to send.
 */
export class RwError extends Error {
  readonly code: ErrorCode;
  /** Marker that survives structured clone and JSON (instanceof does not). */
  readonly isRwError = true as const;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(redactor.redact(message), options);
    this.name = 'RwError';
    this.code = code;
  }
}

/** True for RwError and its subclasses, also after serialization. */
export function isRwError(value: unknown): value is RwError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isRwError?: unknown }).isRwError === true &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** Maps any thrown value to the API error body, without stack or secrets. */
export function toApiError(error: unknown): ApiError {
  if (isRwError(error)) return { code: error.code, message: redactor.redact(error.message) };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: redactor.redact(message) };
}
