import type { SecretSource } from '../../electron/core/config/secrets';
import { createReaper, type CreateReaperOptions } from '../../electron/core/reaper/create-reaper';
import type { Reaper } from '../../electron/core/reaper/reaper';
import { createRuntime, type Runtime } from '../../electron/core/runtime';
import type { Settings } from '../../shared/settings';

export interface SimReaperOptions {
  settings: Settings;
  secrets: SecretSource;
  /** The simulated fleet's clock, shared by the runtime and the reaper. */
  now: () => number;
  /** More reaper options; Hetzner actions are polled every 20 ms unless `hcloud` says otherwise. */
  reaper?: Omit<CreateReaperOptions, 'settings' | 'engine' | 'secrets' | 'now'>;
}

/**
 * The runtime and the reaper a CLI host builds, on a simulated fleet's settings and clock:
 * the pair the reaper's integration tests act through.
 */
export async function startSimReaper(
  options: SimReaperOptions,
): Promise<{ runtime: Runtime; reaper: Reaper }> {
  const { settings, secrets, now } = options;
  const runtime = await createRuntime({
    settings,
    secrets,
    host: 'cli',
    demo: true,
    version: 'test',
    now,
  });
  const reaper = await createReaper({
    hcloud: { pollIntervalMs: 20 },
    ...options.reaper,
    settings,
    engine: runtime.engine,
    secrets,
    now,
  });
  return { runtime, reaper };
}
