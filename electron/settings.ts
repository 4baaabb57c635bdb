import { promises as fs } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { Settings, type SettingsInput } from '../shared/settings';
import type { SettingsStore } from './core/config/settings-store';
import { migrateLegacyDesktopStore } from './core/config/settings-migrations';
import type { SecretBlobStore } from './core/config/secret-blob-store';
import { writeFileAtomic } from './core/config/atomic-file';
import { ConfigError } from './core/errors/config-error';
import { DisposableStore, toDisposable, type Disposable } from './core/lifecycle';

/**
 * The part of electron-store (a `conf` subclass) the desktop settings use. `conf` alone
 * satisfies it too, which is how tests drive it without Electron: electron-store adds only
 * Electron's default folder to `conf`.
 */
export interface JsonFileStore {
  readonly path: string;
  store: Record<string, unknown>;
  /** conf's change event: its own writes and the file watcher's (debounced) changes. */
  readonly events: EventTarget;
  _closeWatcher(): void;
}

/** Options for electron-store (and conf) that put the settings in one plain JSON file. */
export interface DesktopStoreOptions {
  cwd: string;
  name: string;
  fileExtension: string;
  /** The file is the shared format: no dot-path access, no schema of conf's (zod validates). */
  accessPropertiesByDotNotation: false;
  /** Never wipe a file that does not parse: report it, the user fixes it. */
  clearInvalidConfig: false;
  /** Another process (the serve host, an editor) may write the same file. */
  watch: true;
  configFileMode: number;
}

/** The settings file of the desktop app in its data dir, when no config file is given. */
export const DESKTOP_SETTINGS_NAME = 'settings';
/** The 0.1 desktop store, migrated on first start of this version. */
export const LEGACY_STORE_FILE = 'runner-watch.json';

/**
 * Where the desktop app keeps its settings: the given config file (`--config FILE` or
 * RW_CONFIG, the same file `runner-watch serve --config FILE` reads), else
 * `settings.json` in the app's data dir. Mode 0600: the file names secret references.
 */
export function desktopStoreOptions(
  configPath: string | undefined,
  userDataDir: string,
): DesktopStoreOptions {
  const common = {
    accessPropertiesByDotNotation: false,
    clearInvalidConfig: false,
    watch: true,
    configFileMode: 0o600,
  } as const;
  if (!configPath) {
    return { cwd: userDataDir, name: DESKTOP_SETTINGS_NAME, fileExtension: 'json', ...common };
  }
  const ext = extname(configPath);
  return {
    cwd: dirname(configPath),
    name: basename(configPath, ext),
    fileExtension: ext.replace(/^\./, ''),
    ...common,
  };
}

function describeIssue(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  const issue = issues[0];
  return `${issue?.path.map(String).join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
}

/**
 * The core's SettingsStore over electron-store. The file holds exactly the shared
 * settings JSON (what `runner-watch serve --config` reads), so one file serves both hosts.
 * Schema and defaults are the zod `Settings` of shared/; conf's own schema and migrations
 * are not used, because conf would add its `__internal__` key to the file and the serve
 * host's strict parser would then refuse it.
 */
export class DesktopSettingsStore implements SettingsStore {
  private readonly disposables = new DisposableStore();
  private readonly listeners = new Set<(settings: SettingsInput) => void>();
  private problemNow: string | null = null;
  /** The settings listeners last heard of, as JSON. */
  private lastEmitted: string | null = null;

  constructor(
    private readonly file: JsonFileStore,
    /** Told once each time the file turns unparsable while the app runs. */
    private readonly log: (line: string) => void = () => undefined,
  ) {
    // Not conf's onDidAnyChange: that reads the file inside the watcher's timer and, on a
    // file that does not parse (clearInvalidConfig is off), throws an uncaught exception in
    // the main process. The change event alone, and this store reads the file itself.
    const onChange = () => this.emit();
    file.events.addEventListener('change', onChange);
    this.disposables.add(toDisposable(() => file.events.removeEventListener('change', onChange)));
    try {
      this.lastEmitted = JSON.stringify(this.readNow());
    } catch {
      // unreadable now: load() reports it; the first good version is news to listeners
    }
    this.disposables.add(toDisposable(() => file._closeWatcher()));
  }

  get location(): string {
    return this.file.path;
  }

  async read(): Promise<SettingsInput> {
    return this.readNow();
  }

  /** The settings as written; throws ConfigError with the field path when they do not parse. */
  readNow(): SettingsInput {
    let raw: Record<string, unknown>;
    try {
      raw = this.file.store;
    } catch (error) {
      throw new ConfigError(
        `${this.location} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const parsed = Settings.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigError(
        `settings in ${this.location} are invalid at ${describeIssue(parsed.error.issues)}`,
      );
    }
    return raw as SettingsInput;
  }

  /** The settings with defaults applied, as the runtime uses them. */
  async load(): Promise<Settings> {
    return Settings.parse(await this.read());
  }

  async write(next: SettingsInput): Promise<void> {
    const parsed = Settings.safeParse(next);
    if (!parsed.success) {
      throw new ConfigError(`settings not saved: invalid at ${describeIssue(parsed.error.issues)}`);
    }
    // Keep the version being replaced beside it, so a bad edit can be undone by hand.
    await fs.copyFile(this.location, `${this.location}.bak`).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    this.file.store = structuredClone(next) as Record<string, unknown>;
  }

  onDidChange(listener: (settings: SettingsInput) => void): Disposable {
    this.listeners.add(listener);
    return toDisposable(() => {
      this.listeners.delete(listener);
    });
  }

  dispose(): Promise<void> {
    this.listeners.clear();
    return this.disposables.dispose();
  }

  /**
   * Why the file on disk is not what the app runs on: it was changed (by an editor, another
   * host) into something that does not parse. Null while the file is fine. The app keeps
   * the settings it read before — never defaults — and shows this among the host warnings.
   */
  get problem(): string | null {
    return this.problemNow;
  }

  private emit(): void {
    let settings: SettingsInput;
    try {
      settings = this.readNow();
    } catch (error) {
      // A half-edited file from another program: keep running on what was read before.
      const reason = error instanceof Error ? error.message : String(error);
      const problem = `the settings file changed but cannot be used (${reason}); Runner Watch keeps running on the settings it read before until the file is fixed`;
      if (problem !== this.problemNow) this.log(problem);
      this.problemNow = problem;
      return;
    }
    this.problemNow = null;
    // The event fires on writes that change nothing too; listeners hear of real changes.
    const json = JSON.stringify(settings);
    if (json === this.lastEmitted) return;
    this.lastEmitted = json;
    for (const listener of this.listeners) listener(settings);
  }
}

/** What migrating the 0.1 store did, for the log. */
export type LegacyMigration =
  | { kind: 'none' }
  | { kind: 'migrated'; from: string; to: string; secrets: string[] }
  | { kind: 'unreadable'; from: string; message: string };

/**
 * Migrates the 0.1 desktop store (`runner-watch.json` with nested `settings` and base64
 * `secrets`) to the shared settings file and secret blobs, once: only when the new file
 * does not exist yet. The old file is renamed to `.migrated`, never deleted. Ciphertexts
 * move as they are; nothing is decrypted.
 */
export async function migrateLegacyDesktopFiles(
  userDataDir: string,
  settingsPath: string,
  blobs: Pick<SecretBlobStore, 'set'>,
): Promise<LegacyMigration> {
  const legacyPath = join(userDataDir, LEGACY_STORE_FILE);
  const exists = (path: string) =>
    fs.access(path).then(
      () => true,
      () => false,
    );
  if (!(await exists(legacyPath)) || (await exists(settingsPath))) return { kind: 'none' };
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(legacyPath, 'utf8'));
  } catch (error) {
    return {
      kind: 'unreadable',
      from: legacyPath,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  const migrated = migrateLegacyDesktopStore(raw);
  if (!migrated) return { kind: 'unreadable', from: legacyPath, message: 'not a 0.1 store' };
  const parsed = Settings.safeParse(migrated.settings);
  if (!parsed.success) {
    return {
      kind: 'unreadable',
      from: legacyPath,
      message: `its settings are invalid at ${describeIssue(parsed.error.issues)}`,
    };
  }
  for (const [name, blob] of Object.entries(migrated.secrets)) await blobs.set(name, blob);
  // Atomic: a crash mid-migration leaves no half settings file (the old store stays too).
  await writeFileAtomic(settingsPath, `${JSON.stringify(migrated.settings, null, '\t')}\n`, {
    mode: 0o600,
  });
  await fs.rename(legacyPath, `${legacyPath}.migrated`);
  return {
    kind: 'migrated',
    from: legacyPath,
    to: settingsPath,
    secrets: Object.keys(migrated.secrets).sort(),
  };
}
