import type { Runner } from '../../../shared/runner';

/**
 * What pruning needs from one GitLab instance. The GitLab source implements it; tests
 * may pass their own. Every method honours the signal.
 */
export interface RunnerAdmin {
  /** Instance id from settings (`GitLabSettings.id`). */
  readonly instance: string;
  /** For messages, e.g. the instance's host; never a token. */
  readonly label: string;
  /** Whether the token may delete and pause runners; null when the scopes are unknown. */
  canManage(): boolean | null;
  /** The runner as GitLab describes it right now, with `staleReason`; null when it is gone. */
  check(id: number, signal: AbortSignal): Promise<Runner | null>;
  remove(id: number, signal: AbortSignal): Promise<void>;
  pause(id: number, signal: AbortSignal): Promise<void>;
  /** How long the instance's rate-limit budget asks to hold back now (0 when there is room). */
  slowDownMs(): number;
}
