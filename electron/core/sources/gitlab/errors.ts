import type { ErrorCode } from '../../../../shared/errors';
import { RwError } from '../../errors/rw-error';

/** Details a GitLab failure carries besides its code and message. */
export interface GitLabErrorDetails {
  /** HTTP status, or null for network failures and timeouts. */
  status: number | null;
  /** 403 with `insufficient_scope`: the token lacks the scope for this call only. */
  insufficientScope?: boolean;
  /** The call, e.g. `GET /runners/:id`; never carries a token. */
  call: string;
  /** The server asked to wait this long (Retry-After, rate-limit window). */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A failed GitLab call. The message names the instance and the call and says what to
 * do; it never contains the token (RwError scrubs registered secrets as well).
 */
export class GitLabError extends RwError {
  readonly status: number | null;
  readonly insufficientScope: boolean;
  readonly call: string;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, details: GitLabErrorDetails) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GitLabError';
    this.status = details.status;
    this.insufficientScope = details.insufficientScope ?? false;
    this.call = details.call;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** True for GitLabError, also after serialization. */
export function isGitLabError(value: unknown): value is GitLabError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'GitLabError' &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** A 403 that means "this token lacks the scope for this call" — degrade, do not fail. */
export function isScopeRefusal(error: unknown): error is GitLabError {
  return isGitLabError(error) && error.status === 403;
}
