import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../../electron/core/engine';
import { RwError } from '../../../electron/core/errors/rw-error';
import type {
  CollectResult,
  MachineObservation,
  Source,
} from '../../../electron/core/sources/source';
import type { FleetEvent } from '../../../shared/fleet';
import { FleetEvent as FleetEventSchema, FleetSnapshot } from '../../../shared/fleet';
import { applyFleetEvent } from '../../../renderer/api/fleet-cache';

function vm(name: string, extra: Partial<MachineObservation> = {}): MachineObservation {
  return {
    fleet: 'ci',
    name,
    identity: {
      kind: 'autoscaled',
      provider: 'hetzner',
      providerId: name.length.toString(),
      serverType: 'cx22',
      createdAt: 0,
      labels: {},
      addresses: ['127.0.1.1'],
      providerStatus: 'running',
      state: 'running',
    },
    ...extra,
  };
}

function source(
  id: string,
  phase: Source['phase'],
  collect: Source['collect'],
  intervalMs = 1_000,
): Source {
  return {
    id,
    kind: phase === 'inventory' ? 'hetzner' : 'ssh',
    label: id,
    phase,
    intervalMs,
    timeoutMs: 500,
    collect,
  };
}

const engines: Engine[] = [];
function engine(sources: Source[], now?: () => number): Engine {
  const e = new Engine({ sources, random: () => 0.5, ...(now ? { now } : {}) });
  engines.push(e);
  return e;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(engines.splice(0).map((e) => e.dispose()));
});

describe('Engine', () => {
  it('runs inventory before probes and merges both into one machine', async () => {
    const order: string[] = [];
    const inventory = source('hetzner:p', 'inventory', async () => {
      order.push('inventory');
      return { machines: [vm('runner-a')], inventoryOf: ['ci'] };
    });
    const probe = source('ssh:ci', 'probe', async (_signal, context) => {
      order.push('probe');
      const names = context.machines().map((m) => m.name);
      return {
        machines: names.map((name) => ({
          fleet: 'ci',
          name,
          disks: [
            {
              mount: '/',
              sizeBytes: 100,
              usedBytes: 70,
              availBytes: 30,
              usedPct: 70,
              inodesTotal: null,
              inodesUsed: null,
              inodesUsedPct: null,
            },
          ],
          jobs: [],
        })),
      };
    });
    const snapshot = await engine([probe, inventory]).runOnce();
    expect(order).toEqual(['inventory', 'probe']);
    expect(FleetSnapshot.parse(snapshot)).toEqual(snapshot);
    expect(snapshot.machines).toHaveLength(1);
    const machine = snapshot.machines[0]!;
    expect(machine.key).toBe('ci/runner-a');
    expect(machine.disks.value?.[0]?.usedPct).toBe(70);
    expect(machine.disks.stale).toBe(false);
    expect(machine.jobs.value).toEqual([]);
    expect(machine.seenBy).toEqual(['hetzner:p', 'ssh:ci']);
  });

  it('keeps unknown as null, never as empty', async () => {
    const inventory = source('hetzner:p', 'inventory', async () => ({
      machines: [vm('runner-a')],
    }));
    const probe = source('ssh:ci', 'probe', async () => ({
      machines: [
        { fleet: 'ci', name: 'runner-a', disks: null, jobs: null, error: 'connection reset' },
      ],
    }));
    const snapshot = await engine([inventory, probe]).runOnce();
    const machine = snapshot.machines[0]!;
    expect(machine.disks.value).toBeNull();
    expect(machine.jobs.value).toBeNull();
    expect(machine.jobs.error).toBe('connection reset');
    expect(machine.gitlabJobs.value).toBeNull();
  });

  it('marks a failing source with its error and keeps the others fresh', async () => {
    const good = source('hetzner:a', 'inventory', async () => ({ machines: [vm('runner-a')] }));
    const bad = source('hetzner:b', 'inventory', async () => {
      throw new RwError('unauthorized', 'Hetzner project b rejected the token (401)');
    });
    const snapshot = await engine([good, bad]).runOnce();
    const health = Object.fromEntries(snapshot.sources.map((s) => [s.id, s]));
    expect(health['hetzner:a']?.state).toBe('ok');
    expect(health['hetzner:b']?.state).toBe('failing');
    expect(health['hetzner:b']?.lastError).toEqual({
      code: 'unauthorized',
      message: 'Hetzner project b rejected the token (401)',
    });
    expect(health['hetzner:b']?.consecutiveFailures).toBe(1);
    expect(snapshot.machines.map((m) => m.name)).toEqual(['runner-a']);
  });

  it('times out a source that never answers, even if it ignores the signal', async () => {
    const hang = source('ssh:hang', 'probe', () => new Promise<CollectResult>(() => undefined));
    const snapshot = await engine([{ ...hang, timeoutMs: 50 }]).runOnce();
    expect(snapshot.sources[0]?.state).toBe('failing');
    expect(snapshot.sources[0]?.lastError?.code).toBe('timeout');
  });

  it('marks a machine gone when its inventory source stops listing it', async () => {
    let names = ['runner-a', 'runner-b'];
    const inventory = source('hetzner:p', 'inventory', async () => ({
      machines: names.map((n) => vm(n)),
      inventoryOf: ['ci'],
    }));
    const e = engine([inventory]);
    await e.runOnce();
    names = ['runner-a'];
    const snapshot = await e.runOnce();
    const b = snapshot.machines.find((m) => m.name === 'runner-b');
    expect(b?.status.value).toBe('gone');
    expect(snapshot.machines.find((m) => m.name === 'runner-a')?.status.value).toBe('running');
  });

  it('turns values stale after three intervals without a fresh reading', async () => {
    let now = 1_000_000;
    let fail = false;
    const inventory = source('hetzner:p', 'inventory', async () => {
      if (fail) throw new Error('boom');
      return { machines: [vm('runner-a')] };
    });
    const e = engine([inventory], () => now);
    await e.runOnce();
    expect(e.snapshot().machines[0]?.status.stale).toBe(false);
    fail = true;
    now += 3_001;
    await e.runOnce();
    const machine = e.snapshot().machines[0]!;
    expect(machine.status.stale).toBe(true);
    expect(machine.status.value).toBe('running');
    expect(machine.status.error).toBe('boom');
  });

  it('pushes a snapshot first, then deltas with only what changed', async () => {
    let disk = 10;
    const probe = source('ssh:ci', 'probe', async () => ({
      machines: [
        {
          ...vm('runner-a'),
          disks: [
            {
              mount: '/',
              sizeBytes: 100,
              usedBytes: disk,
              availBytes: 100 - disk,
              usedPct: disk,
              inodesTotal: null,
              inodesUsed: null,
              inodesUsedPct: null,
            },
          ],
        },
        vm('runner-b'),
      ],
    }));
    // A fixed clock: with time moving, every machine's observation time changes and so
    // every machine is in every delta; here only runner-a's disk changes.
    const e = engine([probe], () => 5_000);
    const events: FleetEvent[] = [];
    e.onEvent((event) => events.push(event));
    await e.runOnce();
    disk = 20;
    await e.runOnce();
    expect(events[0]?.type).toBe('snapshot');
    const deltas = events.filter((ev) => ev.type === 'delta');
    expect(deltas).toHaveLength(2);
    expect(deltas[0]?.type === 'delta' && deltas[0].upserted.map((m) => m.name)).toEqual([
      'runner-a',
      'runner-b',
    ]);
    expect(deltas[1]?.type === 'delta' && deltas[1].upserted.map((m) => m.name)).toEqual([
      'runner-a',
    ]);
  });

  it('sends a re-read with the same values as read times only, and a changed value whole', async () => {
    let now = 10_000;
    let used = 10;
    const inventory = source('hetzner:p', 'inventory', async () => ({
      machines: [vm('runner-a'), vm('runner-b')],
      inventoryOf: ['ci'],
    }));
    const diskOf = (usedPct: number) => [
      {
        mount: '/',
        sizeBytes: 100,
        usedBytes: usedPct,
        availBytes: 100 - usedPct,
        usedPct,
        inodesTotal: null,
        inodesUsed: null,
        inodesUsedPct: null,
      },
    ];
    const load = {
      load1: 1,
      load5: 1,
      load15: 1,
      cpus: 2,
      memTotalBytes: null,
      memAvailableBytes: null,
    };
    // Two sources read disks and load, so each machine also carries per-source readings.
    const reader = (id: string) =>
      source(
        id,
        'probe',
        async (_signal, context) => ({
          machines: context.machines().map((m) => ({
            fleet: 'ci',
            name: m.name,
            disks: diskOf(m.name === 'runner-a' ? used : 10),
            load,
          })),
        }),
        5_000,
      );
    const e = engine([inventory, reader('ssh:ci'), reader('prometheus:ci')], () => now);
    const events: FleetEvent[] = [];
    e.onEvent((event) => events.push(event));
    await e.runOnce();
    const first = e.snapshot();
    now += 1_000;
    await e.runOnce();
    const deltas = events.filter((ev) => ev.type === 'delta');
    const reread = deltas.at(-1);
    if (reread?.type !== 'delta') throw new Error('no delta');
    expect(reread.upserted).toEqual([]);
    // Both machines were read at the same moments: one entry carries them both.
    expect(reread.refreshed).toEqual([
      {
        keys: ['ci/runner-a', 'ci/runner-b'],
        observedAt: { status: now, disks: now, load: now },
        readings: {
          'prometheus:ci': { disks: now, load: now },
          'ssh:ci': { disks: now, load: now },
        },
        lastSeenAt: now,
      },
    ]);
    // Applied to what a client held, the refresh gives exactly the engine's machines.
    const applied = applyFleetEvent(first, reread);
    expect(applied.kind).toBe('applied');
    if (applied.kind !== 'applied') return;
    expect(applied.snapshot.machines).toEqual(e.snapshot().machines);

    used = 20;
    now += 1_000;
    await e.runOnce();
    const changed = events.at(-1);
    if (changed?.type !== 'delta') throw new Error('no delta');
    expect(changed.upserted.map((m) => m.name)).toEqual(['runner-a']);
    expect(changed.upserted[0]?.disks.value?.[0]?.usedPct).toBe(20);
    expect(changed.refreshed?.map((r) => r.keys)).toEqual([['ci/runner-b']]);
    // The delta passes the contract the renderer checks it with.
    expect(FleetEventSchema.parse(changed)).toEqual(changed);
  });

  it('sends a machine whole when only its stale flag changed', async () => {
    let now = 10_000;
    let fail = false;
    const inventory = source('hetzner:p', 'inventory', async () => {
      if (fail) throw new Error('boom');
      return { machines: [vm('runner-a')] };
    });
    const e = engine([inventory], () => now);
    const events: FleetEvent[] = [];
    e.onEvent((event) => events.push(event));
    await e.runOnce();
    fail = true;
    now += 3_001;
    await e.runOnce();
    const last = events.at(-1);
    if (last?.type !== 'delta') throw new Error('no delta');
    expect(last.upserted.map((m) => [m.name, m.status.stale, m.status.error])).toEqual([
      ['runner-a', true, 'boom'],
    ]);
    expect(last.refreshed).toEqual([]);
  });

  it('backs off after failures and honours the server hint', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const flaky = source(
      'gitlab:x',
      'inventory',
      async () => {
        calls += 1;
        throw Object.assign(new RwError('rate_limited', 'slow down'), { retryAfterMs: 60_000 });
      },
      1_000,
    );
    const e = engine([flaky]);
    e.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(31_000);
    expect(calls).toBe(2);
  });

  it('starts a source every interval, however long its collection takes', async () => {
    vi.useFakeTimers();
    const starts: number[] = [];
    const slow = source(
      'ssh:slow',
      'probe',
      async () => {
        starts.push(performance.now());
        await new Promise((r) => setTimeout(r, 400));
        return { machines: [] };
      },
      1_000,
    );
    const e = engine([slow]);
    e.start();
    await vi.advanceTimersByTimeAsync(5_100);
    const gaps = starts.slice(1).map((at, i) => Math.round(at - (starts[i] ?? 0)));
    expect(gaps).toEqual([1_000, 1_000, 1_000, 1_000, 1_000]);
    // the snapshot's schema wants whole milliseconds for the next run
    const next = e.snapshot().sources[0]?.nextRunAt;
    expect(Number.isInteger(next)).toBe(true);
    expect(FleetSnapshot.safeParse(e.snapshot()).success).toBe(true);
  });

  it('leaves a tenth of the interval between collections that take longer than it', async () => {
    vi.useFakeTimers();
    const starts: number[] = [];
    const slower = source(
      'ssh:slower',
      'probe',
      async () => {
        starts.push(performance.now());
        await new Promise((r) => setTimeout(r, 300));
        return { machines: [] };
      },
      200,
    );
    const e = engine([slower]);
    e.start();
    await vi.advanceTimersByTimeAsync(1_000);
    const gaps = starts.slice(1).map((at, i) => Math.round(at - (starts[i] ?? 0)));
    expect(gaps.length).toBeGreaterThan(1);
    expect(gaps.every((gap) => gap === 320)).toBe(true);
  });

  it('stops polling on dispose and aborts the running collection', async () => {
    let aborted = false;
    const slow = source('ssh:slow', 'probe', (signal) => {
      return new Promise<CollectResult>((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted = true;
          reject(signal.reason);
        });
      });
    });
    const e = engine([slow]);
    e.start();
    await new Promise((r) => setTimeout(r, 10));
    await e.dispose();
    expect(aborted).toBe(true);
  });
});
