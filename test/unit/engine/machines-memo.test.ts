// The engine builds the annotated machines once per moment (see Engine.modelMachines and
// FleetModel.machines): these tests pin that a reader never gets an answer older than the
// state it asks about — a cached build that outlived a change would show (or propose on)
// a machine as it was.
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/core/engine';
import type { CollectResult, Source } from '../../../electron/core/sources/source';
import type { Machine } from '../../../shared/machine';

const disk = (usedPct: number) => ({
  mount: '/',
  sizeBytes: 100,
  usedBytes: usedPct,
  availBytes: 100 - usedPct,
  usedPct,
  inodesTotal: null,
  inodesUsed: null,
  inodesUsedPct: null,
});

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.dispose()));
});

/** An engine on a clock that only moves when told, with one SSH-like source. */
function setup() {
  let clock = 1_000_000;
  let answer: () => Promise<CollectResult> = async () => ({
    machines: [{ fleet: 'ci', name: 'a', disks: [disk(40)], jobs: [] }],
  });
  let annotations = 0;
  const source: Source = {
    id: 'ssh:probe',
    kind: 'ssh',
    label: 'probe',
    phase: 'probe',
    intervalMs: 30_000,
    timeoutMs: 1_000,
    collect: () => answer(),
  };
  const engine = new Engine({
    sources: [source],
    now: () => clock,
    random: () => 0.5,
    // Marks each machine with the source's state, as the orphan annotation reads it.
    annotate: (machines, view) => {
      annotations += 1;
      const state = view.sources[0]?.state ?? 'none';
      return machines.map((m) => ({ ...m, labels: { ...m.labels, state } }));
    },
  });
  engines.push(engine);
  return {
    engine,
    advance: (ms: number) => (clock += ms),
    answer: (next: () => Promise<CollectResult>) => (answer = next),
    annotations: () => annotations,
  };
}

const only = (machines: Machine[]) => {
  expect(machines).toHaveLength(1);
  return machines[0]!;
};

describe('machines of one moment', () => {
  it('are built once while nothing changes', async () => {
    const t = setup();
    await t.engine.runOnce();
    const before = t.annotations();
    const first = t.engine.machines();
    const second = t.engine.machines();
    const snapshot = t.engine.snapshot();
    expect(t.annotations()).toBe(before);
    expect(second[0]).toBe(first[0]);
    expect(snapshot.machines[0]).toBe(first[0]);
    // Each caller gets its own array: reordering one is not seen by the next.
    first.splice(0, 1);
    expect(t.engine.machines()).toHaveLength(1);
  });

  it('are rebuilt after a collection at the same moment', async () => {
    const t = setup();
    await t.engine.runOnce();
    expect(only(t.engine.machines()).disks.value?.[0]?.usedPct).toBe(40);
    t.answer(async () => ({
      machines: [{ fleet: 'ci', name: 'a', disks: [disk(95)], jobs: null, error: 'x' }],
    }));
    await t.engine.refresh('ssh:probe');
    const after = only(t.engine.machines());
    expect(after.disks.value?.[0]?.usedPct).toBe(95);
    // Unknown jobs stay unknown: never the empty list the first build had.
    expect(after.jobs.value).toBeNull();
  });

  it("are rebuilt when a source's health changes at the same moment", async () => {
    const t = setup();
    await t.engine.runOnce();
    expect(only(t.engine.machines()).labels.state).toBe('ok');
    t.answer(async () => {
      throw new Error('connection refused');
    });
    await t.engine.refresh('ssh:probe');
    const after = only(t.engine.machines());
    expect(after.labels.state).toBe('failing');
    expect(after.disks.error).toContain('connection refused');
  });

  it('turn stale as time passes, with no change in between', async () => {
    const t = setup();
    await t.engine.runOnce();
    expect(only(t.engine.machines()).disks.stale).toBe(false);
    t.advance(3 * 30_000 + 1);
    expect(only(t.engine.machines()).disks.stale).toBe(true);
    expect(only(t.engine.machines()).jobs.stale).toBe(true);
  });

  // No inventory lists it, so the model drops it at once (see FleetModel.markRemoved).
  it('lose a machine removed at the same moment', async () => {
    const t = setup();
    await t.engine.runOnce();
    expect(only(t.engine.machines()).removed).toBeUndefined();
    t.engine.markRemoved('ci/a', {
      at: 1_000_000,
      by: 'auto',
      action: 'hcloud-delete',
      proposalId: null,
    });
    expect(t.engine.machines()).toEqual([]);
  });
});
