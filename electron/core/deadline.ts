import { getMaxListeners, setMaxListeners } from 'node:events';

/** A signal that aborts at a deadline or with its parent, released as soon as the call is done. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** True when the deadline passed (not when the parent aborted). */
  readonly timedOut: boolean;
  /** Clears the timer and unhooks the parent; call it once the answer is read. */
  dispose(): void;
}

/**
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])` without what those keep alive: a
 * timeout signal holds its timer, the combined signal and through its listeners the whole
 * request and response until the time is up, even long after the answer arrived. With a
 * hundred requests a cycle that kept tens of megabytes of finished answers alive (bench/
 * README.md, memory). Here the timer is cleared and the parent's listener removed on
 * `dispose()`.
 */
/**
 * A cycle's requests share its signal, each with its own deadline hooked to it: up to the
 * probe's 256 hosts at once, or a GitLab source reading every runner's details. Node warns
 * of a leak past 10 listeners on one signal; these are removed as each call ends.
 */
const SHARED_SIGNAL_LISTENERS = 512;

export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(parent?.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    parent?.removeEventListener('abort', onAbort);
    controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError'));
  }, ms);
  if (parent?.aborted) onAbort();
  else if (parent) {
    if (getMaxListeners(parent) < SHARED_SIGNAL_LISTENERS)
      setMaxListeners(SHARED_SIGNAL_LISTENERS, parent);
    parent.addEventListener('abort', onAbort, { once: true });
  }
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
