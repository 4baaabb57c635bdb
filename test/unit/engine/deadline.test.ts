import { afterEach, describe, expect, it, vi } from 'vitest';
import { deadline } from '../../../electron/core/deadline';

afterEach(() => {
  vi.useRealTimers();
});

describe('deadline', () => {
  it('aborts with a TimeoutError once the time is up, and says it timed out', () => {
    vi.useFakeTimers();
    const d = deadline(1_000);
    vi.advanceTimersByTime(999);
    expect(d.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(d.signal.aborted).toBe(true);
    expect(d.timedOut).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('aborts with the parent, with the parent reason, and does not call that a timeout', () => {
    const parent = new AbortController();
    const d = deadline(60_000, parent.signal);
    parent.abort(new Error('cycle aborted'));
    expect(d.signal.aborted).toBe(true);
    expect(d.timedOut).toBe(false);
    expect((d.signal.reason as Error).message).toBe('cycle aborted');
    d.dispose();
  });

  it('starts aborted under a parent that already is', () => {
    const parent = new AbortController();
    parent.abort(new Error('gone'));
    const d = deadline(60_000, parent.signal);
    expect(d.signal.aborted).toBe(true);
    d.dispose();
  });

  it('after dispose, neither the timer nor the parent abort it any more', () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const d = deadline(1_000, parent.signal);
    d.dispose();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5_000);
    parent.abort();
    expect(d.signal.aborted).toBe(false);
    expect(d.timedOut).toBe(false);
  });

  // A cycle's signal carries one listener per request in flight (16 probes, a GitLab
  // source reading every runner): Node's leak warning on stderr would cry wolf every cycle.
  it('hooks a hundred calls to one parent without a leak warning, and all abort with it', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const parent = new AbortController();
      const calls = Array.from({ length: 100 }, () => deadline(60_000, parent.signal));
      parent.abort(new Error('cycle aborted'));
      expect(calls.every((d) => d.signal.aborted && !d.timedOut)).toBe(true);
      for (const d of calls) d.dispose();
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
