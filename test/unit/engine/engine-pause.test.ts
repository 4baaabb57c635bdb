import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../../electron/core/engine';
import type { Source } from '../../../electron/core/sources/source';

function countingSource(intervalMs = 1_000) {
  const calls: AbortSignal[] = [];
  const source: Source = {
    id: 'hetzner:p',
    kind: 'hetzner',
    label: 'p',
    phase: 'inventory',
    intervalMs,
    timeoutMs: 60_000,
    collect: (signal) => {
      calls.push(signal);
      return Promise.resolve({ machines: [], inventoryOf: ['ci'] });
    },
  };
  return { source, calls };
}

const engines: Engine[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(engines.splice(0).map((e) => e.dispose()));
});

describe('Engine pause/resume', () => {
  it('stops calling sources while paused and runs them again at once on resume', async () => {
    vi.useFakeTimers();
    const { source, calls } = countingSource();
    const engine = new Engine({ sources: [source], random: () => 0.5 });
    engines.push(engine);
    const changes: boolean[] = [];
    engine.onPauseChange((p) => changes.push(p));
    engine.start();
    await vi.advanceTimersByTimeAsync(2_500);
    expect(calls).toHaveLength(3);

    engine.pause();
    expect(engine.isPaused).toBe(true);
    expect(engine.snapshot().sources[0]?.nextRunAt).toBeNull();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(3);

    engine.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(5);
    expect(changes).toEqual([true, false]);
  });

  it('aborts a running collection without marking the source failing, and never doubles its timer', async () => {
    vi.useFakeTimers();
    const signals: AbortSignal[] = [];
    const source: Source = {
      ...countingSource().source,
      collect: (signal) => {
        signals.push(signal);
        // Answers only when aborted: a slow API that the pause must cut short.
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason as Error)),
        );
      },
    };
    const engine = new Engine({ sources: [source], random: () => 0.5 });
    engines.push(engine);
    engine.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(signals).toHaveLength(1);
    engine.pause();
    expect(signals[0]?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(10);
    const health = engine.snapshot().sources[0];
    expect(health?.state).toBe('pending');
    expect(health?.consecutiveFailures).toBe(0);
    engine.resume();
    await vi.advanceTimersByTimeAsync(10);
    // One new collection for the resume, not one more from the aborted run re-arming.
    expect(signals).toHaveLength(2);
  });
});
