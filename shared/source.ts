import { z } from 'zod';
import { Timestamp } from './time';
import { ErrorCode } from './errors';

/** Kinds of collectors. */
export const SourceKind = z.enum(['gitlab', 'hetzner', 'ssh', 'docker-machine', 'prometheus']);
/** Kinds of collectors. */
export type SourceKind = z.infer<typeof SourceKind>;

/** How one collector is doing. Failing sources make their fields stale, others go on. */
export const SourceHealth = z.object({
  /** Stable id, e.g. `hetzner:prod` or `ssh:fleet-a`. */
  id: z.string().min(1),
  kind: SourceKind,
  /** Human label for the UI, e.g. the instance URL or project name (never a token). */
  label: z.string(),
  /** pending: never ran yet; ok; degraded: works with limits (e.g. missing scope); failing. */
  state: z.enum(['pending', 'ok', 'degraded', 'failing']),
  lastRunAt: Timestamp.nullable(),
  lastOkAt: Timestamp.nullable(),
  nextRunAt: Timestamp.nullable(),
  lastDurationMs: z.number().nonnegative().nullable(),
  consecutiveFailures: z.number().int().nonnegative(),
  /** Last error, free of secrets, with a stable code. */
  lastError: z.object({ code: ErrorCode, message: z.string() }).nullable(),
  /** Limits the source works under, said plainly ("token lacks manage_runner: …"). */
  warnings: z.array(z.string()),
  intervalMs: z.number().int().positive(),
});
/** How one collector is doing. */
export type SourceHealth = z.infer<typeof SourceHealth>;
