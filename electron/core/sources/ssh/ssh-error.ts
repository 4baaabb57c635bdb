import type { ErrorCode } from '../../../../shared/errors';
import { RwError } from '../../errors/rw-error';

/**
 * An SSH operation failed. `host` names the target as `user@host:port` (never a key or
 * passphrase); codes: `unreachable`, `timeout`, `unauthorized`, `host_key`, `bad_input`,
 * `remote_error`.
 */
export class SshError extends RwError {
  readonly host: string;

  constructor(code: ErrorCode, host: string, message: string, options?: { cause?: unknown }) {
    super(code, `${host}: ${message}`, options);
    this.name = 'SshError';
    this.host = host;
  }
}

/** True for SshError, also after serialization. */
export function isSshError(value: unknown): value is SshError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'SshError' &&
    (value as { isRwError?: unknown }).isRwError === true
  );
}
