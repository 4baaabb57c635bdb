import type { ErrorCode } from '../../../../shared/errors';
import { RwError } from '../../errors/rw-error';

/** What an Hetzner error knows besides its code and message. */
export interface HcloudErrorDetails {
  /** HTTP status, null for network errors and timeouts. */
  status?: number | null;
  /** Hetzner's own `error.code`, e.g. `locked`. */
  hcloudCode?: string | null;
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A Hetzner Cloud API call failed. `status` is the HTTP status (null when no answer came);
 * `hcloudCode` is Hetzner's own error code (`locked`, `rate_limit_exceeded`, …);
 * `retryAfterMs` is set on rate limiting, and the engine waits at least that long.
 */
export class HcloudError extends RwError {
  readonly status: number | null;
  readonly hcloudCode: string | null;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, details: HcloudErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HcloudError';
    this.status = details.status ?? null;
    this.hcloudCode = details.hcloudCode ?? null;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** True for HcloudError, also after serialization. */
export function isHcloudError(value: unknown): value is HcloudError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'HcloudError' &&
    (value as { isRwError?: unknown }).isRwError === true
  );
}
