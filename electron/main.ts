// The Electron entry: hands the real Electron modules to the app's wiring (electron/app.ts)
// and reports a start that failed. No decision is made here.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  Notification,
  safeStorage,
  screen,
  shell,
  Tray,
} from 'electron';
import Store from 'electron-store';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Settings } from '../shared/settings';
import { startDesktopApp, type DesktopTestHooks, type ElectronModules } from './app';
import { createEnvFileSecretSource } from './core/config/secrets';
import { toApiError } from './core/errors/rw-error';
import type { JsonFileStore } from './settings';

// The bundle lives in dist/electron/: the project (or packaged app) root is two up, whether
// Electron was started on this file or on the folder with package.json.
const root = fileURLToPath(new URL('../..', import.meta.url));

/** The part of test/sim/fleet.ts the demo uses (not type-imported: test/ is not shipped code). */
interface SimulatorModule {
  startSimulatedFleet(options: object): Promise<{
    settings: unknown;
    env: Record<string, string>;
    dispose(): Promise<void>;
  }>;
}

/** Demo mode runs the embedded simulated fleet (test/sim, loaded through tsx). */
async function demo() {
  const { register } = await import('tsx/esm/api');
  const unregister = register();
  const sim = (await import(
    pathToFileURL(join(root, 'test/sim/fleet.ts')).href
  )) as SimulatorModule;
  // `runner-watch demo --vms N --seed N` passes its options through the environment.
  const vms = Number(process.env.RW_DEMO_VMS) || undefined;
  const seed = Number(process.env.RW_DEMO_SEED) || undefined;
  // as `runner-watch demo` does: a small docker-autoscaler fleet beside the docker+machine one,
  // and one orphan the runner manager lost track of
  const fleet = await sim.startSimulatedFleet({
    vms,
    seed,
    orphans: 1,
    dockerMachine: 'direct',
    autoscaler: { vms: 3, stuck: 1, managerDiskPct: 30 },
  });
  return {
    settings: Settings.parse(fleet.settings),
    secrets: createEnvFileSecretSource({ env: fleet.env }),
    dispose: async () => {
      await fleet.dispose();
      await unregister();
    },
  };
}

const electron: ElectronModules = {
  app,
  BrowserWindow,
  Tray,
  Menu,
  Notification,
  nativeImage,
  safeStorage,
  shell,
  screen,
  ipcMain,
  dialog,
};

// A packaged AppImage runs from a temporary mount: a login start must run the AppImage.
const exec = process.env.APPIMAGE ?? process.execPath;
startDesktopApp({
  electron,
  root,
  argv: process.argv.slice(1),
  env: process.env,
  platform: process.platform,
  createStore: (options) => {
    const store = new Store<Record<string, unknown>>(options) as unknown as JsonFileStore;
    // electron-store answers 'electron-store-get-data' for stores in renderers; ours live in
    // the main process only, and no IPC channel outside the typed contract stays open.
    ipcMain.removeAllListeners('electron-store-get-data');
    return store;
  },
  demo,
  onSignal: (signal, listener) => process.on(signal, listener),
  log: (line) => console.error(`runner-watch: ${line}`),
  configHome: process.env.XDG_CONFIG_HOME || join(homedir(), '.config'),
  exec,
  execArgs: app.isPackaged ? [] : [root],
  // Only for test/integration/electron/app.test.ts, which reads it with app.evaluate().
  ...(process.env.RW_TEST_HOOKS === '1'
    ? {
        exposeTestHooks: (hooks: DesktopTestHooks) => {
          (globalThis as { runnerWatchTestHooks?: DesktopTestHooks }).runnerWatchTestHooks = hooks;
        },
      }
    : {}),
}).catch((error: unknown) => {
  // The message is already free of secrets (RwError messages never carry one).
  const message = toApiError(error).message;
  console.error(`runner-watch: ${message}`);
  dialog.showErrorBox('Runner Watch could not start', message);
  app.exit(2);
});
