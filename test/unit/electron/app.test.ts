// electron/app.ts (what electron/main.ts runs) driven through the Electron double: the
// whole wiring of the desktop app without the Electron binary.
import Conf from 'conf';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startDesktopApp,
  type DesktopApp,
  type DesktopAppOptions,
  type DesktopTestHooks,
} from '../../../electron/app';
import type { JsonFileStore } from '../../../electron/settings';
import type { SettingsInput } from '../../../shared/settings';
import {
  FakeBrowserWindow,
  FakeTray,
  electronDouble,
  invokeEvent,
} from '../../support/electron-double';

let dir: string;
const running: DesktopApp[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-app-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.shutdown()));
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(settings: SettingsInput): Promise<string> {
  const path = join(dir, 'fleet.json');
  await writeFile(path, JSON.stringify({ stateDir: join(dir, 'state'), ...settings }));
  return path;
}

function setup(extra: Partial<DesktopAppOptions> = {}) {
  const double = electronDouble(join(dir, 'userData'));
  const signals = new Map<string, () => void>();
  const log: string[] = [];
  const options: DesktopAppOptions = {
    electron: double.modules,
    root: '/opt/runner-watch',
    argv: [],
    env: {},
    platform: 'linux',
    // What electron-store does: conf with `name` as its configName.
    createStore: ({ name, ...o }) =>
      new Conf<Record<string, unknown>>({
        ...o,
        configName: name,
        projectName: 'runner-watch',
      }) as JsonFileStore,
    onSignal: (signal, listener) => void signals.set(signal, listener),
    log: (line) => void log.push(line),
    configHome: join(dir, 'config'),
    exec: '/opt/runner-watch/runner-watch',
    execArgs: [],
    ...extra,
  };
  const start = async () => {
    const app = await startDesktopApp(options);
    if (app) running.push(app);
    return app;
  };
  return { ...double, signals, log, options, start };
}

describe('desktop app wiring', () => {
  it('opens one sandboxed window on the built renderer, with the preload and session locked', async () => {
    const config = await writeConfig({
      gitlab: [{ id: 'g', url: 'https://gitlab.example.test', token: { env: 'NOT_SET' } }],
    });
    const t = setup({ argv: ['--config', config] });
    const app = await t.start();
    expect(FakeBrowserWindow.instances).toHaveLength(1);
    const window = FakeBrowserWindow.instances[0]!;
    expect(window.options.webPreferences).toMatchObject({
      preload: '/opt/runner-watch/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    expect(window.loaded).toBe('/opt/runner-watch/dist/renderer/index.html');
    expect(window.visible).toBe(true);
    expect(window.webContents.session.headersHandler).not.toBeNull();
    expect(window.webContents.session.permissionRequest).not.toBeNull();
    // Navigation away is blocked; a GitLab job link goes to the browser, nothing else does.
    expect(window.webContents.navigate('https://evil.example.test/')).toBe(false);
    expect(window.webContents.windowOpen('https://gitlab.example.test/g/p/-/jobs/9')).toEqual({
      action: 'deny',
    });
    expect(app?.openExternal('https://evil.example.test/x')).toBe(false);
    expect(t.opened).toEqual(['https://gitlab.example.test/g/p/-/jobs/9']);
  });

  it('answers IPC only from its own window, with every channel registered', async () => {
    const t = setup({ argv: ['--config', await writeConfig({})] });
    await t.start();
    const window = FakeBrowserWindow.instances[0]!;
    const info = t.handlers.get('rw:app:info')!;
    expect(await info(invokeEvent(window.webContents.id), {})).toMatchObject({
      ok: true,
      value: { host: 'electron', version: '0.1.0-test' },
    });
    expect(await info(invokeEvent(window.webContents.id + 1000), {})).toMatchObject({
      ok: false,
      error: { code: 'unauthenticated' },
    });
    expect(window.webContents.sent.some((s) => s.channel === 'rw:fleet:event')).toBe(true);
  });

  it('starts hidden with --hidden and stays alive when the window is closed', async () => {
    const t = setup({ argv: ['--config', await writeConfig({}), '--hidden'] });
    await t.start();
    const window = FakeBrowserWindow.instances[0]!;
    expect(window.visible).toBe(false);
    window.show();
    expect(window.clickClose()).toBe(false);
    expect(window.visible).toBe(false);
    expect(window.destroyed).toBe(false);
    expect(t.app.exitCode).toBeNull();
  });

  it('lets only one instance run; the second focuses the first', async () => {
    const t = setup({ argv: ['--config', await writeConfig({})] });
    t.app.hasLock = false;
    expect(await t.start()).toBeNull();
    expect(t.app.quitCalls).toBe(1);
    expect(FakeBrowserWindow.instances).toHaveLength(0);

    const first = setup({ argv: ['--config', await writeConfig({})], env: {} });
    await first.start();
    const window = FakeBrowserWindow.instances[0]!;
    window.hide();
    first.app.emit('second-instance');
    expect(window.visible && window.focused).toBe(true);
  });

  it('draws the tray; its entries pause the engine and open the confirm dialog in the window', async () => {
    const t = setup({ argv: ['--config', await writeConfig({}), '--hidden'] });
    const app = await t.start();
    const tray = FakeTray.instances[0]!;
    expect((tray.image as unknown as { path: string }).path).toBe(
      '/opt/runner-watch/assets/tray/ok.png',
    );
    tray.clickMenu('Pause monitoring');
    expect(app?.runtime.engine.isPaused).toBe(true);
    expect(tray.labels()).toContain('Resume monitoring');
    tray.clickMenu('Resume monitoring');
    expect(app?.runtime.engine.isPaused).toBe(false);

    app?.open({ kind: 'proposal', proposalId: 'p-1' });
    const window = FakeBrowserWindow.instances[0]!;
    expect(window.visible).toBe(true);
    expect(window.webContents.sent.filter((s) => s.channel === 'rw:ui:open')).toEqual([
      { channel: 'rw:ui:open', payload: { kind: 'proposal', proposalId: 'p-1' } },
    ]);
    expect(() => app?.open({ kind: 'nope' } as never)).toThrow();

    // Left click on the tray: hide (it has focus), then show next to the tray.
    tray.emit('click');
    expect(window.visible).toBe(false);
    tray.emit('click');
    expect(window.visible).toBe(true);
    // Centred on the icon would put its right edge off screen: it is moved inside.
    expect(window.position).toEqual([1440 - 1280, 29]);
  });

  it('exposes the drawn tray to the end-to-end test only when asked', async () => {
    let hooks: DesktopTestHooks | undefined;
    const t = setup({
      argv: ['--config', await writeConfig({})],
      exposeTestHooks: (h) => (hooks = h),
    });
    await t.start();
    expect(hooks?.tray()).toEqual({
      icon: 'ok',
      tooltip: 'Runner Watch — 0 machines',
      menu: ['Open Runner Watch', 'Check now', 'Pause monitoring', 'Quit Runner Watch'],
    });
  });

  it('quits gracefully on Quit and on SIGTERM: the runtime is disposed, then exit 0', async () => {
    const t = setup({ argv: ['--config', await writeConfig({})] });
    const app = await t.start();
    const tray = FakeTray.instances[0]!;
    t.signals.get('SIGTERM')?.();
    expect(await t.app.whenExited()).toBe(0);
    expect(tray.destroyed).toBe(true);
    expect(FakeBrowserWindow.instances[0]?.destroyed).toBe(true);
    // The engine was disposed: it no longer starts.
    expect(() => app?.runtime.engine.start()).toThrow();
  });

  it('applies start at login: XDG autostart on Linux, login items elsewhere', async () => {
    const config = await writeConfig({ desktop: { startAtLogin: true } });
    const linux = setup({ argv: ['--config', config], env: {} });
    await linux.start();
    const entry = await readFile(join(dir, 'config/autostart/runner-watch.desktop'), 'utf8');
    expect(entry).toContain('Exec=/opt/runner-watch/runner-watch --hidden');
    await Promise.all(running.splice(0).map((a) => a.shutdown()));

    await writeFile(config, JSON.stringify({ stateDir: join(dir, 'state') }));
    const off = setup({ argv: ['--config', config] });
    await off.start();
    await expect(stat(join(dir, 'config/autostart/runner-watch.desktop'))).rejects.toThrow();
    await Promise.all(running.splice(0).map((a) => a.shutdown()));

    await writeFile(
      config,
      JSON.stringify({ stateDir: join(dir, 'state'), desktop: { startAtLogin: true } }),
    );
    const mac = setup({ argv: ['--config', config], platform: 'darwin' });
    await mac.start();
    expect(mac.app.loginItem).toEqual({ openAtLogin: true, args: ['--hidden'] });
  });

  it('applies a change of the desktop settings at once, through the settings store', async () => {
    const config = await writeConfig({});
    const t = setup({ argv: ['--config', config], platform: 'darwin' });
    const app = await t.start();
    expect(t.app.loginItem).toEqual({ openAtLogin: false, args: ['--hidden'] });
    await app?.settingsStore?.write({
      stateDir: join(dir, 'state'),
      desktop: { startAtLogin: true },
    });
    await expect.poll(() => t.app.loginItem?.openAtLogin).toBe(true);
    expect(JSON.parse(await readFile(config, 'utf8'))).toMatchObject({
      desktop: { startAtLogin: true },
    });
  });

  it('a settings file edited into invalid JSON while it runs: a host warning, the settings kept, no crash', async () => {
    const config = await writeConfig({ fleets: [{ id: 'ci', reaper: { mode: 'off' } }] });
    const t = setup({ argv: ['--config', config] });
    const app = await t.start();
    expect(app?.runtime.warnings()).toEqual([]);
    await writeFile(config, '{"fleets": [{"id": "ci", "reaper": {"mode": ');
    await expect
      .poll(() => app?.runtime.warnings().join('\n'), { timeout: 10_000 })
      .toMatch(
        /the settings file changed but cannot be used .*keeps running on the settings it read before/,
      );
    expect(app?.runtime.settings.fleets[0]?.reaper.mode).toBe('off');
    expect(t.log.join('\n')).toMatch(/the settings file changed but cannot be used/);
    await writeFile(
      config,
      JSON.stringify({ stateDir: join(dir, 'state'), fleets: [{ id: 'ci' }] }),
    );
    await expect.poll(() => app?.runtime.warnings(), { timeout: 10_000 }).toEqual([]);
  });

  it('uses settings.json in the data dir by default and migrates the 0.1 store into it', async () => {
    const userData = join(dir, 'userData');
    await mkdir(userData, { recursive: true });
    await writeFile(
      join(userData, 'runner-watch.json'),
      JSON.stringify({ settings: { stateDir: join(dir, 'state'), fleets: [{ id: 'ci' }] } }),
    );
    const t = setup();
    const app = await t.start();
    expect(app?.settingsStore?.location).toBe(join(userData, 'settings.json'));
    expect(app?.runtime.settings.fleets.map((f) => f.id)).toEqual(['ci']);
    expect(t.log.some((l) => l.startsWith('migrated '))).toBe(true);
  });

  it('names the file when the settings do not parse, and leaves nothing running', async () => {
    const config = join(dir, 'fleet.json');
    await writeFile(config, '{"fleets": [');
    const t = setup({ argv: ['--config', config] });
    await expect(t.start()).rejects.toThrow(`${config} could not be read`);
    expect(await readFile(config, 'utf8')).toBe('{"fleets": [');
    // a copy is kept beside it, and the message says nothing runs on it
    const copies = async () =>
      (await readdir(dir)).filter((f) => f.startsWith('fleet.json.corrupt-')).sort();
    expect(await copies()).toHaveLength(1);
    expect(await readFile(join(dir, (await copies())[0]!), 'utf8')).toBe('{"fleets": [');
    const wrongType = JSON.stringify({ fleets: [{ id: 'ci', warnPct: 500 }] });
    await writeFile(config, wrongType);
    const error: unknown = await setup({ argv: ['--config', config] })
      .start()
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /invalid at fleets\.0\.warnPct.*; a copy is kept at .*fleet\.json\.corrupt-.*; nothing runs on this file until it is fixed: no machine is watched and the reaper does nothing/,
    );
    expect(await copies()).toHaveLength(2);
    expect(FakeBrowserWindow.instances).toHaveLength(0);
  });

  it('moves CLI secrets into the encrypted store on request, without logging a value', async () => {
    const config = await writeConfig({
      gitlab: [{ id: 'main', url: 'https://gitlab.example.test', token: { env: 'RW_TEST_TOKEN' } }],
      // Relative to the settings file's folder, as the CLI reads it.
      hetzner: [{ id: 'prod', fleet: 'ci', token: { file: 'hcloud-token' } }],
      fleets: [{ id: 'ci' }],
    });
    await writeFile(join(dir, 'hcloud-token'), 'hcloud-secret-value-77\n', { mode: 0o600 });
    {
      const t = setup({
        argv: ['--config', config, '--hidden'],
        env: { RW_TEST_TOKEN: 'glpat-secret-value-42' },
      });
      await t.start();
      const window = FakeBrowserWindow.instances[0]!;
      const result = await t.handlers.get('rw:secrets:migrate')!(
        invokeEvent(window.webContents.id),
        {},
      );
      expect(result).toEqual({
        ok: true,
        value: {
          moved: [
            {
              path: 'gitlab.0.token',
              from: 'environment variable RW_TEST_TOKEN',
              to: 'stored secret gitlab.main.token',
            },
            {
              path: 'hetzner.0.token',
              from: 'file hcloud-token',
              to: 'stored secret hetzner.prod.token',
            },
          ],
          failed: [],
        },
      });
      const written = JSON.parse(await readFile(config, 'utf8')) as SettingsInput;
      expect(written.gitlab?.[0]?.token).toEqual({ stored: 'gitlab.main.token' });
      expect(written.hetzner?.[0]?.token).toEqual({ stored: 'hetzner.prod.token' });
      const blob = await readFile(join(dir, 'userData/secrets/gitlab.main.token.bin'));
      expect(blob.toString('latin1')).not.toContain('glpat-secret-value-42');
      const everything = [JSON.stringify(result), ...t.log].join('\n');
      expect(everything).not.toContain('glpat-secret-value-42');
      expect(everything).not.toContain('hcloud-secret-value-77');
      expect(t.log).toContain(
        'secrets: moved gitlab.0.token from environment variable RW_TEST_TOKEN to stored secret gitlab.main.token',
      );
    }
  });
});
