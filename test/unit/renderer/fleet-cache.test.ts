import { describe, expect, it } from 'vitest';
import { applyFleetEvent } from '../../../renderer/api/fleet-cache';
import { delta, disk, machine, NOW, seen, snapshot, source } from './fixtures';

describe('applyFleetEvent', () => {
  const base = snapshot([machine('runner-a'), machine('runner-b'), machine('runner-c')], {
    version: 4,
  });

  it('replaces the cache with a snapshot event, whatever its version (a restarted host starts at 0)', () => {
    const fresh = snapshot([machine('runner-z')], { version: 0 });
    const outcome = applyFleetEvent(base, { type: 'snapshot', snapshot: fresh });
    expect(outcome).toEqual({ kind: 'replaced', snapshot: fresh });
  });

  it('applies the next version: upserts in place, appends new machines, drops removed ones', () => {
    const changed = machine('runner-b', { disks: seen([disk('/', 77)]) });
    const added = machine('runner-d');
    const outcome = applyFleetEvent(
      base,
      delta(5, { upserted: [changed, added], removed: ['ci/runner-a'] }),
    );
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.snapshot.version).toBe(5);
    expect(outcome.snapshot.generatedAt).toBe(NOW + 5);
    expect(outcome.snapshot.machines.map((m) => m.name)).toEqual([
      'runner-b',
      'runner-c',
      'runner-d',
    ]);
    expect(outcome.snapshot.machines[0]?.disks.value?.[0]?.usedPct).toBe(77);
    // The input is not mutated: the old cache object stays as it was.
    expect(base.machines.map((m) => m.name)).toEqual(['runner-a', 'runner-b', 'runner-c']);
    expect(base.version).toBe(4);
  });

  it('keeps runners and proposals when the delta says null (unchanged), replaces them otherwise', () => {
    const withRunners = snapshot([], {
      version: 1,
      runners: [
        {
          key: 'main/1',
          instance: 'main',
          id: 1,
          description: 'r',
          status: 'online',
          paused: false,
          runnerType: 'instance_type',
          version: '17.0',
          tags: [],
          contactedAt: NOW,
          managers: [],
          staleReason: null,
          runningJobs: 0,
        },
      ],
    });
    const kept = applyFleetEvent(withRunners, delta(2));
    expect(kept.kind === 'applied' && kept.snapshot.runners).toHaveLength(1);
    const cleared = applyFleetEvent(withRunners, delta(2, { runners: [], proposals: [] }));
    expect(cleared.kind === 'applied' && cleared.snapshot.runners).toEqual([]);
  });

  it('merges sources by id: a reported source is replaced, others stay, new ones are added', () => {
    const failing = source('ssh:ci', {
      state: 'failing',
      lastError: { code: 'timeout', message: 'no answer' },
    });
    const outcome = applyFleetEvent(base, delta(5, { sources: [failing, source('gitlab:main')] }));
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.snapshot.sources.map((s) => [s.id, s.state])).toEqual([
      ['hetzner:ci', 'ok'],
      ['ssh:ci', 'failing'],
      ['gitlab:main', 'ok'],
    ]);
  });

  it('ignores a delta the cache already contains', () => {
    expect(applyFleetEvent(base, delta(4)).kind).toBe('ignored');
    expect(applyFleetEvent(base, delta(2)).kind).toBe('ignored');
  });

  it('reports a gap when a version was missed, instead of guessing', () => {
    expect(applyFleetEvent(base, delta(6))).toEqual({ kind: 'gap', have: 4, got: 6 });
  });

  it('reports a gap for a delta before any snapshot', () => {
    expect(applyFleetEvent(undefined, delta(1))).toEqual({ kind: 'gap', have: null, got: 1 });
  });

  it('does not resurrect a machine upserted and removed in the same delta', () => {
    const outcome = applyFleetEvent(
      base,
      delta(5, { upserted: [machine('runner-x')], removed: ['ci/runner-x'] }),
    );
    expect(outcome.kind === 'applied' && outcome.snapshot.machines.map((m) => m.name)).toEqual([
      'runner-a',
      'runner-b',
      'runner-c',
    ]);
  });

  it('applies refreshed read times to the cached machines, leaving values and the rest alone', () => {
    const outcome = applyFleetEvent(
      base,
      delta(5, {
        refreshed: [
          {
            keys: ['ci/runner-b'],
            observedAt: { disks: NOW, load: NOW - 1_000 },
            lastSeenAt: NOW,
          },
        ],
      }),
    );
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    const [a, b, c] = outcome.snapshot.machines;
    expect(b?.disks).toEqual({ ...base.machines[1]!.disks, observedAt: NOW });
    expect(b?.load.observedAt).toBe(NOW - 1_000);
    expect(b?.status.observedAt).toBe(NOW - 5_000);
    expect(b?.lastSeenAt).toBe(NOW);
    // Untouched machines keep their identity, so views that memoise on them do no work.
    expect(a).toBe(base.machines[0]);
    expect(c).toBe(base.machines[2]);
    expect(base.machines[1]?.disks.observedAt).toBe(NOW - 5_000);
  });

  it('resyncs on a refresh for a machine the cache does not hold, or that does not fit it', () => {
    expect(
      applyFleetEvent(
        base,
        delta(5, { refreshed: [{ keys: ['ci/runner-x'], observedAt: { disks: NOW } }] }),
      ),
    ).toEqual({ kind: 'gap', have: 4, got: 5 });
    expect(
      applyFleetEvent(
        base,
        delta(5, { refreshed: [{ keys: ['ci/runner-a'], observedAt: { containerExits: NOW } }] }),
      ),
    ).toEqual({ kind: 'gap', have: 4, got: 5 });
    expect(
      applyFleetEvent(
        base,
        delta(5, {
          removed: ['ci/runner-a'],
          refreshed: [{ keys: ['ci/runner-a'], observedAt: { disks: NOW } }],
        }),
      ),
    ).toEqual({ kind: 'gap', have: 4, got: 5 });
  });

  it('applies one refresh to every machine it names; a machine named twice resyncs', () => {
    const outcome = applyFleetEvent(
      base,
      delta(5, {
        refreshed: [{ keys: ['ci/runner-a', 'ci/runner-c'], observedAt: { jobs: NOW } }],
      }),
    );
    expect(
      outcome.kind === 'applied' && outcome.snapshot.machines.map((m) => m.jobs.observedAt),
    ).toEqual([NOW, NOW - 5_000, NOW]);
    expect(
      applyFleetEvent(
        base,
        delta(5, {
          refreshed: [
            { keys: ['ci/runner-a'], observedAt: { jobs: NOW } },
            { keys: ['ci/runner-a'], observedAt: { disks: NOW } },
          ],
        }),
      ),
    ).toEqual({ kind: 'gap', have: 4, got: 5 });
  });
});
