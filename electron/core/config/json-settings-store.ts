import { readFile } from 'node:fs/promises';
import type { SettingsInput } from '../../../shared/settings';
import { ConfigError } from '../errors/config-error';
import { toDisposable, type Disposable } from '../lifecycle';
import { writeFileAtomic } from './atomic-file';
import { loadSettingsFile, parseSettings, parseSettingsText } from './load-settings';
import type { SettingsStore } from './settings-store';

/**
 * The settings in the JSON config file the serve host and the CLI were started with
 * (`--config`). Writes replace the file atomically and keep the previous version as
 * `<file>.bak`; a write that does not validate throws before anything is touched.
 */
export class JsonFileSettingsStore implements SettingsStore {
  readonly location: string;
  readonly backup: string;
  private readonly listeners = new Set<(settings: SettingsInput) => void>();
  /** Writes run one after the other, so two saves cannot interleave their renames. */
  private chain: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.location = path;
    this.backup = `${path}.bak`;
  }

  async read(): Promise<SettingsInput> {
    // Validated (with the loader's one-line messages), but returned as written: defaults
    // stay out of the file unless the user set them.
    let text: string;
    try {
      text = await readFile(this.location, 'utf8');
    } catch {
      // The loader says precisely why (missing, permission, a folder).
      await loadSettingsFile(this.location);
      throw new ConfigError(`config file ${this.location} could not be read`);
    }
    parseSettingsText(text, this.location);
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as SettingsInput;
  }

  write(next: SettingsInput): Promise<void> {
    const run = this.chain.then(async () => {
      parseSettings(next, this.location);
      await writeFileAtomic(this.location, `${JSON.stringify(next, null, 2)}\n`, {
        mode: 0o600,
        backup: this.backup,
      });
      for (const listener of this.listeners) listener(next);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  onDidChange(listener: (settings: SettingsInput) => void): Disposable {
    this.listeners.add(listener);
    return toDisposable(() => {
      this.listeners.delete(listener);
    });
  }

  async dispose(): Promise<void> {
    this.listeners.clear();
    await this.chain;
  }
}
