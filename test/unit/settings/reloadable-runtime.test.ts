import { RwError } from '../../../electron/core/errors/rw-error';
import { toDisposable } from '../../../electron/core/lifecycle';
import { describe, expect, it } from 'vitest';
import { createApiHandlers } from '../../../electron/core/api';
import { Engine } from '../../../electron/core/engine';
import { ReloadableRuntime } from '../../../electron/core/reloadable-runtime';
import type { Runtime, RuntimeOptions } from '../../../electron/core/runtime';
import type { FleetEvent } from '../../../shared/fleet';
import { Settings } from '../../../shared/settings';

/** Real engines without sources; each runtime records whether it was started and disposed. */
function factory(failOn?: (settings: Settings) => boolean) {
  const built: { settings: Settings; started: boolean; disposed: boolean }[] = [];
  const create = async (options: RuntimeOptions): Promise<Runtime> => {
    if (failOn?.(options.settings)) throw new Error('cannot build the sources');
    const record = { settings: options.settings, started: false, disposed: false };
    built.push(record);
    const engine = new Engine({ sources: [] });
    const start = engine.start.bind(engine);
    engine.start = () => {
      record.started = true;
      return start();
    };
    const info = {
      name: 'Runner Watch' as const,
      version: String(built.length),
      host: 'serve' as const,
      demo: false,
      startedAt: 0,
      warnings: [],
    };
    return {
      engine,
      api: createApiHandlers({ engine, info }),
      settings: options.settings,
      warnings: () => [],
      jobMetrics: {
        get: () => Promise.reject(new RwError('refused', 'no job metrics in this test')),
        saveFinished: () => Promise.reject(new RwError('refused', 'no job metrics in this test')),
      },
      onAudit: () => toDisposable(() => undefined),
      alertState: () => ({ acks: [], mutes: [] }),
      refreshPrices: () => Promise.resolve(),
      dispose: async () => {
        record.disposed = true;
        await engine.dispose();
      },
    };
  };
  return { built, create };
}

const base = (warnPct: number) => Settings.parse({ fleets: [{ id: 'ci', warnPct }] });
const options = (create: (o: RuntimeOptions) => Promise<Runtime>) => ({
  settings: base(50),
  secrets: { resolve: async () => 'x' },
  host: 'serve' as const,
  demo: false,
  version: '1',
  create,
});

describe('ReloadableRuntime', () => {
  it('rebuilds on new settings: the old runtime is disposed first, listeners move, the new engine starts', async () => {
    const { built, create } = factory();
    const runtime = await ReloadableRuntime.open(options(create));
    const events: FleetEvent[] = [];
    runtime.engine.onEvent((event) => events.push(event));
    runtime.engine.start();
    expect(await runtime.api['rw:app:info']({})).toMatchObject({ version: '1' });

    const outcome = await runtime.reload(base(40));
    expect(outcome.applied).toBe(true);
    expect(built.map((b) => [b.settings.fleets[0]?.warnPct, b.started, b.disposed])).toEqual([
      [50, true, true],
      [40, true, false],
    ]);
    expect(runtime.settings.fleets[0]?.warnPct).toBe(40);
    // The listener got the new engine's snapshot, and calls go to the new runtime.
    expect(events.filter((e) => e.type === 'snapshot')).toHaveLength(2);
    expect(await runtime.api['rw:app:info']({})).toMatchObject({ version: '2' });
    await runtime.dispose();
    expect(built[1]?.disposed).toBe(true);
  });

  it('falls back to the previous settings when the new ones cannot be built, and says so', async () => {
    const { built, create } = factory((s) => s.fleets[0]?.warnPct === 13);
    const runtime = await ReloadableRuntime.open(options(create));
    const outcome = await runtime.reload(base(13));
    expect(outcome.applied).toBe(false);
    expect(outcome.message).toContain('cannot build the sources');
    expect(outcome.message).toContain('previous settings');
    expect(runtime.settings.fleets[0]?.warnPct).toBe(50);
    expect(built).toHaveLength(2);
    await runtime.dispose();
  });
});
