import { describe, expect, it } from 'vitest';
import { TraceRetries } from '../../../electron/core/sources/gitlab/trace-retries';

const base = 30_000;

describe('trace re-read back-off', () => {
  it('reads a new job at once, then waits twice as long after each miss up to the cap', () => {
    const retries = new TraceRetries({ baseMs: base, maxMs: 4 * base });
    let now = 1_000_000;
    const readAt: number[] = [];
    for (let cycle = 0; cycle < 20; cycle++) {
      if (retries.due(7, 'running', now)) {
        readAt.push(cycle);
        retries.missed(7, 'running', now);
      }
      now += base;
    }
    // waits of 1, 2, 4, 4, 4 … cycles
    expect(readAt).toEqual([0, 1, 3, 7, 11, 15, 19]);
  });

  it('treats a cycle that starts a little early as the next cycle', () => {
    const retries = new TraceRetries({ baseMs: base, maxMs: 8 * base });
    retries.missed(1, 'running', 0);
    expect(retries.due(1, 'running', base - 2_000)).toBe(true);
    expect(retries.due(1, 'running', base / 2)).toBe(false);
  });

  it('starts over when the job changes status', () => {
    const retries = new TraceRetries({ baseMs: base, maxMs: 10 * base });
    for (let i = 0; i < 4; i++) retries.missed(3, 'running', 0);
    expect(retries.due(3, 'running', base)).toBe(false);
    expect(retries.due(3, 'success', 1)).toBe(true);
    // a miss under the new status waits the base again, not the long wait
    retries.missed(3, 'success', 1);
    expect(retries.due(3, 'success', 1 + base)).toBe(true);
  });

  it('forgets settled jobs and bounds what it remembers', () => {
    const retries = new TraceRetries({ baseMs: base, maxMs: base, maxEntries: 3 });
    for (let id = 1; id <= 5; id++) retries.missed(id, 'running', 0);
    expect(retries.size).toBe(3);
    // the oldest went first: a forgotten job counts as never tried (read at once)
    expect(retries.tried(1)).toBe(false);
    expect(retries.tried(5)).toBe(true);
    retries.forget(5);
    expect(retries.tried(5)).toBe(false);
    expect(retries.due(5, 'running', 0)).toBe(true);
  });

  it('rejects bounds that make no sense', () => {
    expect(() => new TraceRetries({ baseMs: 0, maxMs: 1 })).toThrow(RangeError);
    expect(() => new TraceRetries({ baseMs: 10, maxMs: 5 })).toThrow(RangeError);
    expect(() => new TraceRetries({ baseMs: Number.NaN, maxMs: 5 })).toThrow(RangeError);
  });
});
