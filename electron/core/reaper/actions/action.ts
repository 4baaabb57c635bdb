import type { Machine } from '../../../../shared/machine';
import { RwError } from '../../errors/rw-error';
import type { InFlightAction } from '../state-store';

/** What an action gets when it runs. */
export interface ActionContext {
  /** The machine as the re-check just read it. */
  machine: Machine;
  inFlight: InFlightAction;
  /** Aborted on shutdown past the grace period. */
  signal: AbortSignal;
  /** Bound of each step (one call, one command, one polling phase). */
  stepTimeoutMs: number;
  /** Persists progress (e.g. the Hetzner action id) so a restart can follow it. */
  progress(patch: Partial<Pick<InFlightAction, 'hcloudActionId' | 'step'>>): Promise<void>;
}

/** What recovery found out about an action that was in flight when the process stopped. */
export interface RecoveryOutcome {
  /** True when the provider shows the action's effect (server gone, machine removed). */
  completed: boolean;
  detail: string;
}

/**
 * One kind of action. `run` resolves with a line saying what it did and throws (an
 * RwError) when it failed. `recover` looks at the provider and never repeats the action.
 */
export interface ActionRunner {
  run(context: ActionContext): Promise<string>;
  recover(
    inFlight: InFlightAction,
    signal: AbortSignal,
    stepTimeoutMs: number,
  ): Promise<RecoveryOutcome>;
}

export { sleep } from '../../abortable-sleep';

/**
 * Runs one step with its own bound: the step gets a signal that aborts on timeout or when
 * the parent aborts, and the returned promise rejects at that moment even if the step
 * ignores its signal.
 */
export async function step<T>(
  label: string,
  timeoutMs: number,
  parent: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timeoutError = new RwError('timeout', `${label}: no answer within ${timeoutMs} ms`);
  const timer = setTimeout(() => controller.abort(timeoutError), timeoutMs);
  const onParent = () =>
    controller.abort(parent?.reason ?? new RwError('timeout', `${label}: aborted`));
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  try {
    return await new Promise<T>((resolve, reject) => {
      if (controller.signal.aborted) {
        reject(controller.signal.reason);
        return;
      }
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
        once: true,
      });
      fn(controller.signal).then(resolve, reject);
    });
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParent);
  }
}

/** A message for a thrown value, without stack; RwError messages are already scrubbed. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
