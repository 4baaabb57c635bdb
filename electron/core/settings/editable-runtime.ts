import type { Settings } from '../../../shared/settings';
import type { SecretKeeper } from '../config/secret-files';
import type { SettingsStore } from '../config/settings-store';
import { ReloadableRuntime } from '../reloadable-runtime';
import type { Runtime, RuntimeOptions } from '../runtime';
import { SettingsService } from './settings-service';

/** What a long-running host passes to watch settings it can edit. */
export interface EditableRuntimeOptions {
  /** The runtime's options, with the settings as loaded from `store`. */
  runtime: Omit<RuntimeOptions, 'settingsApi'>;
  store: SettingsStore;
  keeper: SecretKeeper;
  create(options: RuntimeOptions): Promise<Runtime>;
  writable?: boolean;
}

/**
 * The runtime with its Settings channels: saving in the Settings view writes through the
 * store, then rebuilds the runtime on the new settings. A fleet whose mode was changed in
 * the settings is switched through the reaper too (audited like any switch), since a mode
 * switched at run time would otherwise keep overriding the file.
 */
export async function openEditableRuntime(
  options: EditableRuntimeOptions,
): Promise<{ runtime: ReloadableRuntime; settings: SettingsService }> {
  let reloadable: ReloadableRuntime | null = null;
  const service = new SettingsService({
    store: options.store,
    secrets: options.runtime.secrets,
    keeper: options.keeper,
    ...(options.writable === undefined ? {} : { writable: options.writable }),
    apply: (next: Settings) =>
      reloadable
        ? reloadable.reload(next)
        : Promise.resolve({ applied: false, message: 'saved; restart Runner Watch to use them' }),
  });
  reloadable = await ReloadableRuntime.open({
    ...options.runtime,
    settingsApi: service,
    create: options.create,
    beforeReload: async (runtime, next, previous) => {
      for (const fleet of next.fleets) {
        const before = previous.fleets.find((f) => f.id === fleet.id);
        if (!before || before.reaper.mode === fleet.reaper.mode) continue;
        await runtime.api['rw:reaper:set-mode']({ fleet: fleet.id, mode: fleet.reaper.mode }).catch(
          () => undefined,
        );
      }
    },
  });
  return { runtime: reloadable, settings: service };
}
