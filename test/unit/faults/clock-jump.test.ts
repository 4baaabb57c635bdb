import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../../electron/core/engine';
import { RwError } from '../../../electron/core/errors/rw-error';
import type { CollectResult, Source } from '../../../electron/core/sources/source';

/*
 * The workstation's clock jumps (NTP correction, suspend/resume, a user fixing the time).
 * Forward: readings turn stale as they should. Backward: a reading taken "in the future"
 * has an unknown age; it must not pass for fresh until the clock catches up, or a source
 * that stopped answering would keep an old disk or job reading usable for as long as the
 * jump was.
 */
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 23, 10);

function probeSource(state: { fail: boolean }): Source {
  const result = (): CollectResult => ({
    machines: [
      {
        fleet: 'ci',
        name: 'vm-1',
        identity: {
          kind: 'autoscaled',
          provider: 'hetzner',
          providerId: '1',
          serverType: 'cx22',
          createdAt: T0 - HOUR,
          labels: {},
          addresses: ['127.0.1.1'],
          providerStatus: 'running',
          state: 'running',
        },
        disks: [
          {
            mount: '/',
            sizeBytes: 100,
            usedBytes: 91,
            availBytes: 9,
            usedPct: 91,
            inodesTotal: null,
            inodesUsed: null,
            inodesUsedPct: null,
          },
        ],
        jobs: [],
      },
    ],
  });
  return {
    id: 'ssh:probe',
    kind: 'ssh',
    label: 'probe',
    phase: 'inventory',
    intervalMs: 30_000,
    timeoutMs: 1_000,
    collect: () =>
      state.fail
        ? Promise.reject(new RwError('unreachable', 'host down'))
        : Promise.resolve(result()),
  };
}

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.dispose()));
});

describe('clock jumps', () => {
  it('backward: a reading from the future is stale, not fresh for the length of the jump', async () => {
    let now = T0;
    const state = { fail: false };
    const engine = new Engine({ sources: [probeSource(state)], now: () => now });
    engines.push(engine);
    await engine.runOnce();
    expect(engine.machines()[0]?.disks.stale).toBe(false);

    now = T0 - 2 * HOUR; // the clock is set back two hours
    state.fail = true;
    const snap = await engine.runOnce();
    expect(snap.sources[0]?.state).toBe('failing');
    const vm = snap.machines[0]!;
    expect(vm.disks.stale).toBe(true);
    expect(vm.jobs.stale).toBe(true);

    // a new reading after the jump is fresh again
    state.fail = false;
    now += 1_000;
    const again = await engine.runOnce();
    expect(again.machines[0]?.disks.stale).toBe(false);
    expect(again.machines[0]?.jobs.stale).toBe(false);
  });

  it('forward: the last readings turn stale at once, and the next cycle is fresh', async () => {
    let now = T0;
    const state = { fail: false };
    const engine = new Engine({ sources: [probeSource(state)], now: () => now });
    engines.push(engine);
    await engine.runOnce();
    now = T0 + 3 * HOUR;
    state.fail = true;
    const snap = await engine.runOnce();
    expect(snap.machines[0]?.disks.stale).toBe(true);
    expect(snap.machines[0]?.jobs.stale).toBe(true);
    state.fail = false;
    const again = await engine.runOnce();
    expect(again.machines[0]?.disks.stale).toBe(false);
  });
});
