// The Electron entry: the one wiring point (STYLE.md §7). It builds the runtime from
// settings, then hands Electron objects to thin adapters. No decision is made here.
import {
  app,
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  ipcMain,
  nativeImage,
  safeStorage,
  shell,
} from 'electron';
import Store from 'electron-store';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Settings } from '../shared/settings';
import { loadSettingsFile } from './core/config/load-settings';
import { createEnvFileSecretSource } from './core/config/secrets';
import { DisposableStore, toDisposable } from './core/lifecycle';
import { createRuntime, type SecretResolver } from './core/runtime';
import type { TrayIcon } from './core/tray/tray-state';
import { createSenderCheck, forwardFleetEvents, registerIpc } from './ipc-main';
import { registerNotifications } from './notify';
import { DesktopSecrets } from './secrets';
import { loadStoredSettings, type SettingsStore } from './settings';
import { registerTray } from './tray';
import { checkedOpenExternal, lockNavigation, secureWindowOptions } from './window';

// The bundle lives in dist/electron/: the project (or packaged app) root is two up, whether
// Electron was started on this file or on the folder with package.json.
const root = fileURLToPath(new URL('../..', import.meta.url));
const rendererIndex = join(root, 'dist/renderer/index.html');
const preloadPath = join(root, 'dist/electron/preload.cjs');
const disposables = new DisposableStore();

function trayImage(icon: TrayIcon) {
  return nativeImage.createFromPath(join(root, 'assets/tray', `${icon}.png`));
}

/** The part of test/sim/fleet.ts the demo uses (not type-imported: test/ is not shipped code). */
interface SimulatorModule {
  startSimulatedFleet(options: object): Promise<{
    settings: unknown;
    env: Record<string, string>;
    dispose(): Promise<void>;
  }>;
}

/** Demo mode runs the embedded simulated fleet (test/sim, loaded through tsx). */
async function demoSettings(): Promise<{ settings: Settings; secrets: SecretResolver }> {
  const { register } = await import('tsx/esm/api');
  disposables.add({ dispose: register() });
  const sim = (await import(
    pathToFileURL(join(root, 'test/sim/fleet.ts')).href
  )) as SimulatorModule;
  // `runner-watch demo --vms N --seed N` passes its options through the environment.
  const vms = Number(process.env.RW_DEMO_VMS) || undefined;
  const seed = Number(process.env.RW_DEMO_SEED) || undefined;
  const fleet = await sim.startSimulatedFleet({ vms, seed, dockerMachine: 'direct' });
  disposables.add(fleet);
  return {
    settings: Settings.parse(fleet.settings),
    secrets: createEnvFileSecretSource({ env: fleet.env }),
  };
}

async function start(): Promise<void> {
  await app.whenReady();
  const store = new Store<Record<string, unknown>>({ name: 'runner-watch' });
  const desktopSecrets = new DesktopSecrets(safeStorage, {
    get: (name) => store.get(`secrets.${name}`) as string | undefined,
    set: (name, value) => store.set(`secrets.${name}`, value),
  });
  const configPath = process.env.RW_CONFIG;
  const { settings, secrets } =
    process.env.RW_DEMO === '1'
      ? await demoSettings()
      : {
          settings: configPath
            ? await loadSettingsFile(configPath)
            : loadStoredSettings(store as unknown as SettingsStore),
          secrets: desktopSecrets,
        };

  const gitlabOrigins = settings.gitlab.map((g) => new URL(g.url).origin);
  const runtime = disposables.add(
    await createRuntime({
      settings,
      secrets,
      host: 'electron',
      demo: process.env.RW_DEMO === '1',
      version: app.getVersion(),
      warnings: desktopSecrets.warnings(),
      // Jobs of the timeline open in the user's browser, never in the app's window.
      openExternal: checkedOpenExternal(gitlabOrigins, (url) => shell.openExternal(url)),
    }),
  );
  disposables.add(runtime.engine.start());

  const window = new BrowserWindow(secureWindowOptions(preloadPath));
  const trusted = new Set([window.webContents.id]);
  lockNavigation(
    window.webContents,
    pathToFileURL(rendererIndex).href,
    gitlabOrigins,
    (url) => void shell.openExternal(url),
  );
  disposables.add(registerIpc(ipcMain, runtime.api, createSenderCheck(trusted)));
  disposables.add(forwardFleetEvents(runtime.engine, window.webContents));
  window.once('ready-to-show', () => window.show());
  await window.loadFile(rendererIndex);

  const tray = new Tray(trayImage('ok'));
  disposables.add(toDisposable(() => tray.destroy()));
  const open = () => {
    window.show();
    window.focus();
  };
  disposables.add(
    registerTray(runtime.engine, settings.fleets, {
      tray,
      buildMenu: (template) => Menu.buildFromTemplate(template),
      image: trayImage,
      onOpen: open,
      // The confirm dialog re-checks the machine when it opens; the window shows it.
      onConfirm: () => open(),
      onQuit: () => app.quit(),
    }),
  );
  disposables.add(
    registerNotifications(runtime.engine, settings.fleets, (n) => {
      const notification = new Notification({ title: n.title, body: n.body });
      notification.on('click', open);
      notification.show();
    }),
  );
}

// Graceful shutdown: stop collectors and the reaper, flush state, then quit for real.
let quitting = false;
app.on('before-quit', (event) => {
  if (quitting) return;
  quitting = true;
  event.preventDefault();
  void disposables.dispose().finally(() => app.exit(0));
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => app.quit());
app.on('window-all-closed', () => {
  // A tray app keeps running without windows.
});

start().catch((error: unknown) => {
  console.error(`runner-watch: ${error instanceof Error ? error.message : String(error)}`);
  app.exit(2);
});
