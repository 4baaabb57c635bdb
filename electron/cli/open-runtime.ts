import { dirname, resolve } from 'node:path';
import type { Settings } from '../../shared/settings';
import { checkLocalFiles } from '../core/config/check-local-files';
import { checkSecrets } from '../core/config/check-secrets';
import { loadSettingsForRun } from '../core/config/corrupt-settings';
import { createEnvFileSecretSource } from '../core/config/secrets';
import { expandHome } from '../core/config/expand-home';
import { JsonFileSettingsStore } from '../core/config/json-settings-store';
import { FileSecretKeeper } from '../core/config/secret-files';
import type { ReloadableRuntime } from '../core/reloadable-runtime';
import type { Runtime } from '../core/runtime';
import { openEditableRuntime } from '../core/settings/editable-runtime';
import { join } from 'node:path';
import type { CommandContext } from './command';

/** Options of `openRuntimeFromConfig`. */
export interface OpenRuntimeOptions {
  configPath: string;
  host: 'serve' | 'cli';
  /** Changes the loaded settings before the runtime is built (e.g. a longer job window). */
  adjust?: (settings: Settings) => Settings;
}

/**
 * Loads a config file and builds the runtime on it, with secrets from the environment
 * (`{env}`) and from files relative to the config's folder (`{file}`). Shared by every
 * command that takes `--config`.
 */
export async function openRuntimeFromConfig(
  context: CommandContext,
  options: OpenRuntimeOptions,
): Promise<{ runtime: Runtime; settings: Settings; configPath: string }> {
  const configPath = resolve(context.cwd, options.configPath);
  const loaded = await loadSettingsForRun(configPath);
  const settings = options.adjust ? options.adjust(loaded) : loaded;
  const secrets = createEnvFileSecretSource({
    env: context.env,
    baseDir: dirname(configPath),
    warn: (message) => context.err(`warning: ${message}`),
  });
  await checkSecrets(settings, secrets);
  await checkLocalFiles(settings);
  const { createRuntime } = await loadRuntimeModule();
  const runtime = await createRuntime({
    settings,
    secrets,
    host: options.host,
    demo: false,
    version: context.version,
  });
  return { runtime, settings, configPath };
}

/**
 * The runtime pulls in every collector (gitbeaker, ssh2…), about a second of start-up;
 * loading it only once the config is valid keeps `--help` and config errors quick.
 */
export function loadRuntimeModule(): Promise<typeof import('../core/runtime')> {
  return import('../core/runtime');
}

/**
 * The runtime of the serve host: like `openRuntimeFromConfig`, plus the Settings view's
 * channels on the same config file (written atomically with a `.bak` beside it). Tokens
 * typed into the view go to 0600 files in `<stateDir>/secrets/`, referenced as `{file}`.
 */
export async function openEditableRuntimeFromConfig(
  context: CommandContext,
  options: OpenRuntimeOptions & { demo?: boolean; env?: Record<string, string> },
): Promise<{ runtime: ReloadableRuntime; configPath: string }> {
  const configPath = resolve(context.cwd, options.configPath);
  const settings = await loadSettingsForRun(configPath);
  const secrets = createEnvFileSecretSource({
    env: options.env ?? context.env,
    baseDir: dirname(configPath),
    warn: (message) => context.err(`warning: ${message}`),
  });
  await checkSecrets(settings, secrets);
  const { createRuntime } = await loadRuntimeModule();
  const { runtime } = await openEditableRuntime({
    runtime: {
      settings,
      secrets,
      host: options.host,
      demo: options.demo ?? false,
      version: context.version,
    },
    store: new JsonFileSettingsStore(configPath),
    keeper: new FileSecretKeeper(join(expandHome(settings.stateDir), 'secrets')),
    create: createRuntime,
  });
  return { runtime, configPath };
}
