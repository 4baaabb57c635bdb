import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { applyFleetEvent } from '../../../renderer/api/fleet-cache';
import { RunnerCounters } from '../../../renderer/components/RunnerCounters';
import type { FleetCounters } from '../../../shared/runner-metrics';
import { delta, machine, NOW, snapshot } from './fixtures';

const counters: FleetCounters = {
  source: 'runner-metrics:mgr-1',
  fleet: 'ci',
  label: 'runner-manager:9252',
  observedAt: NOW - 5_000,
  jobs: 5,
  concurrent: 10,
  machines: { used: 6, idle: 2, creating: 1, removing: 0 },
};

afterEach(cleanup);

describe('runner counters', () => {
  it('shows jobs of concurrent and machines by state in the autoscaler order', () => {
    render(<RunnerCounters counters={[counters]} now={NOW} />);
    expect(screen.getByTestId('runner-counters').textContent).toBe(
      'runner-manager:9252 (ci): 5 jobs of 10 · machines creating 1, idle 2, used 6, removing 0',
    );
  });

  it('says unknown rather than 0 when the endpoint has no job figure, and shows nothing without endpoints', () => {
    render(<RunnerCounters counters={[{ ...counters, jobs: null, machines: null }]} now={NOW} />);
    expect(screen.getByTestId('runner-counters').textContent).toBe(
      'runner-manager:9252 (ci): jobs unknown of 10',
    );
    cleanup();
    const { container } = render(<RunnerCounters counters={undefined} now={NOW} />);
    expect(container.textContent).toBe('');
  });

  it('a delta without counters keeps the ones the cache has; one with counters replaces them', () => {
    const base = snapshot([machine('runner-a')], { version: 4, counters: [counters] });
    const kept = applyFleetEvent(base, delta(5));
    expect(kept.kind === 'applied' && kept.snapshot.counters).toEqual([counters]);
    const next = { ...counters, jobs: 1 };
    const replaced = applyFleetEvent(base, { ...delta(5), counters: [next] } as Parameters<
      typeof applyFleetEvent
    >[1]);
    expect(replaced.kind === 'applied' && replaced.snapshot.counters).toEqual([next]);
  });
});
