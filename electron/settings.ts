import { Settings, type SettingsInput } from '../shared/settings';
import { ConfigError } from './core/errors/config-error';

/** The part of electron-store the app uses; tests pass a Map-backed fake. */
export interface SettingsStore {
  get(key: 'settings'): unknown;
  set(key: 'settings', value: SettingsInput): void;
}

/**
 * Settings of the desktop app, kept in electron-store and parsed with the same schema as
 * the CLI's config file. A stored value that no longer parses is reported, not dropped.
 */
export function loadStoredSettings(store: SettingsStore): Settings {
  const raw = store.get('settings') ?? {};
  const parsed = Settings.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `stored settings are invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** Validates and stores settings; returns what was stored (with defaults applied). */
export function saveStoredSettings(store: SettingsStore, input: SettingsInput): Settings {
  const settings = Settings.parse(input);
  store.set('settings', input);
  return settings;
}
