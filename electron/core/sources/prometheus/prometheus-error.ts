import type { ErrorCode } from '../../../../shared/errors';
import { RwError } from '../../errors/rw-error';

/**
 * A Prometheus call failed. `errorType` is Prometheus' own word (`bad_data`, `timeout`,
 * `execution`, …) when the server answered `status: error`; null for HTTP and network
 * failures.
 */
export class PrometheusError extends RwError {
  readonly status: number | null;
  readonly errorType: string | null;

  constructor(
    code: ErrorCode,
    message: string,
    details: { status?: number | null; errorType?: string | null; cause?: unknown } = {},
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'PrometheusError';
    this.status = details.status ?? null;
    this.errorType = details.errorType ?? null;
  }
}

/** True for PrometheusError, also after serialization. */
export function isPrometheusError(value: unknown): value is PrometheusError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'PrometheusError' &&
    (value as { isRwError?: unknown }).isRwError === true
  );
}
