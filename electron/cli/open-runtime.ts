import { dirname, resolve } from 'node:path';
import type { Settings } from '../../shared/settings';
import { checkSecrets } from '../core/config/check-secrets';
import { loadSettingsFile } from '../core/config/load-settings';
import { createEnvFileSecretSource } from '../core/config/secrets';
import { createRuntime, type Runtime } from '../core/runtime';
import type { CommandContext } from './command';

/** Options of `openRuntimeFromConfig`. */
export interface OpenRuntimeOptions {
  configPath: string;
  host: 'serve' | 'cli';
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
  const settings = await loadSettingsFile(configPath);
  const secrets = createEnvFileSecretSource({
    env: context.env,
    baseDir: dirname(configPath),
    warn: (message) => context.err(`warning: ${message}`),
  });
  await checkSecrets(settings, secrets);
  const runtime = await createRuntime({
    settings,
    secrets,
    host: options.host,
    demo: false,
    version: context.version,
  });
  return { runtime, settings, configPath };
}
