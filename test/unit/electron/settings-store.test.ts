import Conf from 'conf';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettingsFile } from '../../../electron/core/config/load-settings';
import { SecretBlobStore } from '../../../electron/core/config/secret-blob-store';
import { migrateLegacyDesktopStore } from '../../../electron/core/config/settings-migrations';
import {
  DesktopSettingsStore,
  desktopStoreOptions,
  migrateLegacyDesktopFiles,
  type JsonFileStore,
} from '../../../electron/settings';
import type { SettingsInput } from '../../../shared/settings';

let dir: string;
const stores: DesktopSettingsStore[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-settings-'));
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.dispose()));
  await rm(dir, { recursive: true, force: true });
});

/**
 * The desktop store over `conf`, which electron-store extends with Electron's paths only:
 * like electron-store's constructor, `name` becomes conf's `configName`.
 */
function desktopStore(configPath: string | undefined): DesktopSettingsStore {
  const { name, ...options } = desktopStoreOptions(configPath, join(dir, 'userData'));
  const store = new DesktopSettingsStore(
    new Conf<Record<string, unknown>>({
      ...options,
      configName: name,
      projectName: 'runner-watch',
    }) as JsonFileStore,
  );
  stores.push(store);
  return store;
}

const fleetConfig: SettingsInput = {
  fleets: [{ id: 'ci', warnPct: 55, reaper: { diskThresholdPct: 70 } }],
  gitlab: [
    { id: 'main', url: 'https://gitlab.example.test', token: { stored: 'gitlab.main.token' } },
  ],
  desktop: { startAtLogin: true },
  notifications: { quietHours: { start: '22:00', end: '07:00' } },
};

describe('desktopStoreOptions', () => {
  it('uses settings.json in the data dir, or exactly the given config file', () => {
    expect(desktopStoreOptions(undefined, '/home/me/.config/Runner Watch')).toMatchObject({
      cwd: '/home/me/.config/Runner Watch',
      name: 'settings',
      fileExtension: 'json',
      accessPropertiesByDotNotation: false,
      clearInvalidConfig: false,
      watch: true,
      configFileMode: 0o600,
    });
    expect(desktopStoreOptions('/etc/runner-watch/fleet.json', '/x')).toMatchObject({
      cwd: '/etc/runner-watch',
      name: 'fleet',
      fileExtension: 'json',
    });
  });
});

describe('DesktopSettingsStore (electron-store / conf)', () => {
  it('writes a file the serve host reads, and reads a file the serve host reads', async () => {
    const path = join(dir, 'fleet.json');
    const desktop = desktopStore(path);
    await desktop.write(fleetConfig);
    expect(desktop.location).toBe(path);
    // Plain JSON of the shared format: no electron-store/conf bookkeeping keys.
    const written = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(written).sort()).toEqual(['desktop', 'fleets', 'gitlab', 'notifications']);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const served = await loadSettingsFile(path);
    expect(served.fleets[0]?.warnPct).toBe(55);
    expect(served.notifications.quietHours).toEqual({ start: '22:00', end: '07:00' });

    // A file written by hand (or by the serve host's config) is read as it is.
    const handWritten = join(dir, 'hand.json');
    await writeFile(handWritten, JSON.stringify({ fleets: [{ id: 'ops', kind: 'dedicated' }] }));
    const settings = await desktopStore(handWritten).load();
    expect(settings.fleets[0]).toMatchObject({ id: 'ops', kind: 'dedicated', warnPct: 50 });
    expect(settings.desktop.startAtLogin).toBe(false);
  });

  it('refuses invalid settings with the field path and leaves the file untouched', async () => {
    const path = join(dir, 'fleet.json');
    const store = desktopStore(path);
    await store.write(fleetConfig);
    const before = await readFile(path, 'utf8');
    await expect(
      store.write({ fleets: [{ id: 'ci', warnPct: 'high' as unknown as number }] }),
    ).rejects.toThrow('settings not saved: invalid at fleets.0.warnPct');
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('keeps the replaced version as .bak', async () => {
    const path = join(dir, 'fleet.json');
    const store = desktopStore(path);
    await store.write({ fleets: [{ id: 'one' }] });
    await store.write({ fleets: [{ id: 'two' }] });
    expect(JSON.parse(await readFile(`${path}.bak`, 'utf8'))).toEqual({ fleets: [{ id: 'one' }] });
  });

  it('reports a file that is not JSON or not valid settings, and never clears it', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"fleets": [');
    expect(() => desktopStore(broken)).toThrow();
    expect(await readFile(broken, 'utf8')).toBe('{"fleets": [');

    const invalid = join(dir, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ fleets: [{ id: 'ci', reaper: { mode: 'yolo' } }] }));
    await expect(desktopStore(invalid).read()).rejects.toThrow(
      `settings in ${invalid} are invalid at fleets.0.reaper.mode`,
    );
    await expect(desktopStore(join(dir, 'x.json')).read()).resolves.toEqual({});
  });

  it('a file edited into something unusable while the app runs: kept settings, a warning, no listener call; fixed again: cleared', async () => {
    const file = join(dir, 'fleet.json');
    const logged: string[] = [];
    const { name, ...options } = desktopStoreOptions(file, join(dir, 'userData'));
    const store = new DesktopSettingsStore(
      new Conf<Record<string, unknown>>({
        ...options,
        configName: name,
        projectName: 'runner-watch',
      }) as JsonFileStore,
      (line) => logged.push(line),
    );
    stores.push(store);
    await store.write({ fleets: [{ id: 'ci', reaper: { mode: 'off' } }] });
    const seen: SettingsInput[] = [];
    store.onDidChange((s) => seen.push(s));
    const until = async (condition: () => boolean) => {
      for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(condition()).toBe(true);
    };
    // an editor's half-saved file: the watcher fires, the store refuses it
    await writeFile(file, '{"fleets": [{"id": "ci", "reaper": {"mo');
    await until(() => store.problem !== null);
    expect(store.problem).toMatch(
      new RegExp(
        `^the settings file changed but cannot be used \\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON`,
      ),
    );
    expect(store.problem).toMatch(/keeps running on the settings it read before/);
    expect(logged).toEqual([store.problem]);
    expect(seen).toEqual([]);
    // saved properly: the warning goes, listeners get the new settings
    await writeFile(file, JSON.stringify({ fleets: [{ id: 'ci', reaper: { mode: 'notify' } }] }));
    await until(() => store.problem === null && seen.length > 0);
    expect(seen.at(-1)).toEqual({ fleets: [{ id: 'ci', reaper: { mode: 'notify' } }] });
  });

  it('tells listeners about its own writes', async () => {
    const store = desktopStore(join(dir, 'fleet.json'));
    const seen: SettingsInput[] = [];
    store.onDidChange((s) => seen.push(s));
    await store.write({ fleets: [{ id: 'ci' }] });
    expect(seen).toEqual([{ fleets: [{ id: 'ci' }] }]);
  });
});

describe('migration of the 0.1 desktop store', () => {
  it('moves nested settings to the top level and ciphertexts to blob files, once', async () => {
    const userData = join(dir, 'userData');
    const blobs = new SecretBlobStore(join(userData, 'secrets'));
    const cipher = Buffer.from('v10-opaque-ciphertext');
    await rm(userData, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(userData, { recursive: true }));
    await writeFile(
      join(userData, 'runner-watch.json'),
      JSON.stringify({
        settings: { fleets: [{ id: 'ci' }] },
        secrets: { 'gitlab.main.token': cipher.toString('base64') },
      }),
    );
    const settingsPath = join(userData, 'settings.json');
    const result = await migrateLegacyDesktopFiles(userData, settingsPath, blobs);
    expect(result).toEqual({
      kind: 'migrated',
      from: join(userData, 'runner-watch.json'),
      to: settingsPath,
      secrets: ['gitlab.main.token'],
    });
    expect(JSON.parse(await readFile(settingsPath, 'utf8'))).toEqual({ fleets: [{ id: 'ci' }] });
    expect(await blobs.get('gitlab.main.token')).toEqual(cipher);
    await expect(stat(join(userData, 'runner-watch.json.migrated'))).resolves.toBeTruthy();
    expect(await migrateLegacyDesktopFiles(userData, settingsPath, blobs)).toEqual({
      kind: 'none',
    });
  });

  it('leaves a store it cannot read where it is, and says why', async () => {
    const userData = join(dir, 'u2');
    await import('node:fs/promises').then((fs) => fs.mkdir(userData, { recursive: true }));
    await writeFile(
      join(userData, 'runner-watch.json'),
      JSON.stringify({ settings: { fleets: 'none' } }),
    );
    const result = await migrateLegacyDesktopFiles(
      userData,
      join(userData, 'settings.json'),
      new SecretBlobStore(join(userData, 'secrets')),
    );
    expect(result).toMatchObject({
      kind: 'unreadable',
      message: expect.stringContaining('fleets'),
    });
    await expect(stat(join(userData, 'runner-watch.json'))).resolves.toBeTruthy();
    await expect(stat(join(userData, 'settings.json'))).rejects.toThrow();
  });

  it('is not fooled by other JSON', () => {
    expect(migrateLegacyDesktopStore({ fleets: [] })).toBeNull();
    expect(migrateLegacyDesktopStore('text')).toBeNull();
    expect(migrateLegacyDesktopStore({ settings: { fleets: [] } })).toEqual({
      settings: { fleets: [] },
      secrets: {},
    });
  });
});
