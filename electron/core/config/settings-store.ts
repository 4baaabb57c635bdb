import type { SettingsInput } from '../../../shared/settings';
import type { Disposable } from '../lifecycle';

/**
 * Where the core reads and writes the user's settings. Both hosts keep them in one JSON
 * file of the same format: the serve host and CLI in the `--config` file, the desktop app
 * through electron-store (built on `conf`, which writes the same JSON). The core never
 * knows which: the Settings view, the config.toml import and migrations go through this.
 *
 * Secrets stay references (`{env}`, `{file}`, `{stored}`) in what is read and written.
 */
export interface SettingsStore extends Disposable {
  /** Where the settings live, for messages ("/home/me/fleet.json"). Never a secret. */
  readonly location: string;
  /** The settings as written (before defaults). Throws ConfigError when they do not parse. */
  read(): Promise<SettingsInput>;
  /**
   * Validates and replaces the settings atomically (write to a temp file, fsync, rename),
   * keeping the previous version as a backup beside it. Throws ConfigError with the field
   * path when `next` does not validate; nothing is written then.
   */
  write(next: SettingsInput): Promise<void>;
  /** Called after every successful write, from this process or (where watched) another. */
  onDidChange(listener: (settings: SettingsInput) => void): Disposable;
}
