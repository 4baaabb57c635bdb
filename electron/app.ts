// The desktop app's wiring (STYLE.md §7): builds the runtime from settings and hands
// Electron objects to thin adapters. Electron's modules are passed in (`ElectronModules`),
// so tests drive this whole file with a double of them; electron/main.ts passes the real ones.
import type {
  App,
  BrowserWindow,
  BrowserWindowConstructorOptions,
  Dialog,
  IpcMain,
  Menu,
  NativeImage,
  Notification,
  NotificationConstructorOptions,
  Screen,
  Shell,
  Tray,
} from 'electron';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Settings } from '../shared/settings';
import { OpenTarget } from '../shared/ui';
import { migrateSecretsToStore } from './core/config/migrate-secrets';
import { createEnvFileSecretSource } from './core/config/secrets';
import { SecretBlobStore } from './core/config/secret-blob-store';
import { parseDesktopArgs } from './core/desktop-args';
import { corruptSettingsError } from './core/config/corrupt-settings';
import { ConfigError } from './core/errors/config-error';
import { DisposableStore, toDisposable } from './core/lifecycle';
import { loginItemPlan } from './core/login-item';
import { RwError, toApiError } from './core/errors/rw-error';
import { tuneHeapForLongRun } from './core/heap-tuning';
import { createRuntime, type Runtime, type SecretResolver } from './core/runtime';
import { acknowledgeOneAlert } from './core/alerts/demo-ack';
import { trayMenuModel } from './core/tray/tray-menu';
import type { TrayIcon } from './core/tray/tray-state';
import { createSenderCheck, forwardFleetEvents, registerIpc } from './ipc-main';
import { registerNotifications, type NotificationLike } from './notify';
import { DesktopSecrets, type SafeStorageLike } from './secrets';
import {
  DesktopSettingsStore,
  desktopStoreOptions,
  migrateLegacyDesktopFiles,
  type DesktopStoreOptions,
  type JsonFileStore,
} from './settings';
import { registerTray, type TrayLike } from './tray';
import {
  createExternalOpener,
  lockNavigation,
  secureSession,
  secureWindowOptions,
  toggleWindowNearTray,
  type ExternalOpener,
  type SessionLike,
  type ToggleWindow,
} from './window';

/** The BrowserWindow methods the app uses. */
export type WindowLike = ToggleWindow &
  Pick<BrowserWindow, 'loadFile' | 'on' | 'once' | 'isDestroyed' | 'destroy'> & {
    webContents: Pick<
      BrowserWindow['webContents'],
      'id' | 'send' | 'isDestroyed' | 'isLoading' | 'once' | 'on' | 'setWindowOpenHandler'
    > & { session: SessionLike };
  };

/** The Electron modules the app uses, narrowed to what it calls (tests pass a double). */
export interface ElectronModules {
  app: Pick<
    App,
    | 'requestSingleInstanceLock'
    | 'whenReady'
    | 'on'
    | 'quit'
    | 'exit'
    | 'getPath'
    | 'getVersion'
    | 'setLoginItemSettings'
  >;
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => WindowLike;
  Tray: new (image: NativeImage) => TrayLike & Pick<Tray, 'getBounds' | 'destroy'>;
  Menu: { buildFromTemplate: (typeof Menu)['buildFromTemplate'] };
  Notification: {
    new (options: NotificationConstructorOptions): NotificationLike & Pick<Notification, 'close'>;
    isSupported(): boolean;
  };
  nativeImage: { createFromPath(path: string): NativeImage };
  safeStorage: SafeStorageLike;
  shell: Pick<Shell, 'openExternal'>;
  screen: Pick<Screen, 'getDisplayNearestPoint'>;
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  dialog: Pick<Dialog, 'showErrorBox'>;
}

/** Everything else the app needs from outside: paths, the process, the settings file. */
export interface DesktopAppOptions {
  electron: ElectronModules;
  /** The project (or packaged app) root: holds dist/ and assets/. */
  root: string;
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  /** electron-store's constructor (main.ts) or conf's (tests): same options, same file. */
  createStore(options: DesktopStoreOptions): JsonFileStore;
  /** Settings and secrets of the embedded simulated fleet (`runner-watch demo`). */
  demo?: () => Promise<{ settings: Settings; secrets: SecretResolver; dispose(): Promise<void> }>;
  onSignal(signal: 'SIGTERM' | 'SIGINT', listener: () => void): void;
  log(line: string): void;
  /** Where login-item plans for Linux go; `$XDG_CONFIG_HOME` or `~/.config`. */
  configHome: string;
  /** The executable a login start runs (`process.execPath`, or the AppImage via APPIMAGE). */
  exec: string;
  /** Arguments before `--hidden` in a login start (the app folder when run from source). */
  execArgs: readonly string[];
  /**
   * Receives read-only views for the end-to-end test on the real binary (what the tray
   * shows); main.ts passes it only when RW_TEST_HOOKS=1, never in normal use.
   */
  exposeTestHooks?: (hooks: DesktopTestHooks) => void;
}

/** What the end-to-end test reads from the main process: drawn state, never secrets. */
export interface DesktopTestHooks {
  tray(): { icon: string; tooltip: string; menu: string[] } | null;
}

/** The running app, for tests and the quit path. */
export interface DesktopApp {
  window: WindowLike;
  runtime: Runtime;
  settingsStore: DesktopSettingsStore | null;
  /** Shows the window on a target (tray entries, notification clicks). */
  open(target: OpenTarget): void;
  openExternal: ExternalOpener;
  /** The graceful shutdown: the same `runtime.dispose()` path as the serve host. */
  shutdown(): Promise<void>;
}

/** The tray image file for a state on a platform: template images on macOS, .ico on Windows. */
export function trayIconFile(icon: TrayIcon, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return `assets/tray/${icon}Template.png`;
  if (platform === 'win32') return `assets/tray/${icon}.ico`;
  return `assets/tray/${icon}.png`;
}

/**
 * Starts the desktop app: one instance, settings from the shared JSON file, secrets from
 * safeStorage blobs, the engine with its reaper, a hidden sandboxed window, the tray and
 * notifications. Resolves to null when another instance already runs (it is focused).
 */
export async function startDesktopApp(options: DesktopAppOptions): Promise<DesktopApp | null> {
  const { electron, root, platform } = options;
  const { app } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  const args = parseDesktopArgs(options.argv, options.env);
  // The main process runs the engine all day: a heap near its live size (see heap-tuning).
  tuneHeapForLongRun();
  const disposables = new DisposableStore();
  let quitting = false;
  let shutdownPromise: Promise<void> | null = null;
  const shutdown = () => {
    shutdownPromise ??= disposables.dispose();
    return shutdownPromise;
  };
  // Graceful quit: stop collectors and the reaper (running actions finish), flush the
  // audit log, then exit for real. SIGTERM/SIGINT take the same path.
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void shutdown().finally(() => app.exit(0));
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) options.onSignal(signal, () => app.quit());
  // A tray app keeps running without windows.
  app.on('window-all-closed', () => undefined);

  try {
    return await startInside();
  } catch (error) {
    // Whatever started before the failure is stopped, so a failed start leaks nothing.
    await shutdown();
    throw error;
  }

  async function startInside(): Promise<DesktopApp> {
    await app.whenReady();
    const userData = app.getPath('userData');
    const blobs = new SecretBlobStore(join(userData, 'secrets'));
    const storeOptions = desktopStoreOptions(args.configPath, userData);
    const settingsPath = join(
      storeOptions.cwd,
      `${storeOptions.name}.${storeOptions.fileExtension}`,
    );
    // {file} references are relative to the settings file's folder, as for the CLI.
    const desktopSecrets = new DesktopSecrets(
      electron.safeStorage,
      blobs,
      platform,
      createEnvFileSecretSource({ env: options.env, baseDir: dirname(settingsPath) }),
    );

    let settings: Settings;
    let secrets: SecretResolver = desktopSecrets;
    let settingsStore: DesktopSettingsStore | null = null;
    if (args.demo && options.demo) {
      const demo = await options.demo();
      disposables.add(demo);
      settings = demo.settings;
      secrets = demo.secrets;
    } else {
      if (!args.configPath) {
        const migration = await migrateLegacyDesktopFiles(userData, settingsPath, blobs);
        if (migration.kind === 'migrated')
          options.log(
            `migrated ${migration.from} to ${migration.to} (${migration.secrets.length} stored secrets)`,
          );
        if (migration.kind === 'unreadable')
          options.log(`warning: ${migration.from} was not migrated: ${migration.message}`);
      }
      let file: JsonFileStore;
      try {
        file = options.createStore(storeOptions);
      } catch (error) {
        // conf parses the file when it opens it; say which file, and leave it as it is.
        throw await corruptSettingsError(
          settingsPath,
          new ConfigError(
            `${settingsPath} could not be read: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          ),
        );
      }
      settingsStore = disposables.add(new DesktopSettingsStore(file, options.log));
      // A corrupt file starts nothing (no defaults in its place); a copy is kept beside it.
      settings = await settingsStore.load().catch(async (error: unknown) => {
        throw error instanceof ConfigError
          ? await corruptSettingsError(settingsPath, error)
          : error;
      });
    }

    await applyLoginItem(options, settings.desktop.startAtLogin);
    // The desktop and notification sections apply at once when the settings change (Settings view, another
    // host, an editor); the rest (sources, fleets) needs a restart of the engine.
    let desktop = settings.desktop;
    let notifications = settings.notifications;
    if (settingsStore) {
      disposables.add(
        settingsStore.onDidChange((input) => {
          const parsed = Settings.safeParse(input);
          if (!parsed.success) return;
          const before = desktop;
          desktop = parsed.data.desktop;
          notifications = parsed.data.notifications;
          if (desktop.startAtLogin !== before.startAtLogin) {
            applyLoginItem(options, desktop.startAtLogin).catch((error: unknown) =>
              options.log(`start at login not changed: ${toApiError(error).message}`),
            );
          }
        }),
      );
    }
    const store = settingsStore;
    // The timeline's "open in GitLab" goes through the window's checked opener, which needs
    // the runtime's settings: bound once both exist, refused before.
    let openChecked: ExternalOpener | null = null;
    const runtime = disposables.add(
      await createRuntime({
        settings,
        secrets,
        host: 'electron',
        demo: args.demo,
        version: app.getVersion(),
        warnings: desktopSecrets.warnings(),
        ...(store ? { hostWarnings: () => (store.problem ? [store.problem] : []) } : {}),
        // Jobs of the timeline open in the user's browser, never in the app's window.
        openExternal: async (url) => {
          if (!openChecked?.(url))
            throw new RwError(
              'refused',
              'refused to open a URL outside the configured GitLab instances',
            );
        },
        ...(store
          ? {
              secretStore: {
                migrate: async () => {
                  const { settings: next, report } = await migrateSecretsToStore(
                    await store.read(),
                    {
                      resolve: (ref) => desktopSecrets.resolve(ref),
                      save: (name, value) => desktopSecrets.save(name, value),
                    },
                  );
                  if (report.moved.length > 0) await store.write(next);
                  for (const m of report.moved)
                    options.log(`secrets: moved ${m.path} from ${m.from} to ${m.to}`);
                  for (const f of report.failed)
                    options.log(`secrets: kept ${f.path} (${f.from}): ${f.message}`);
                  return report;
                },
              },
            }
          : {}),
      }),
    );

    const rendererIndex = join(root, 'dist/renderer/index.html');
    const window = new electron.BrowserWindow(
      secureWindowOptions(join(root, 'dist/electron/preload.cjs')),
    );
    disposables.add(toDisposable(() => void (window.isDestroyed() || window.destroy())));
    secureSession(window.webContents.session);
    const openExternal = createExternalOpener(
      () => runtime.settings,
      (url) => electron.shell.openExternal(url),
      // Only the scheme is logged: a refused URL may carry a query the user did not mean to keep.
      (url) =>
        options.log(
          `refused to open a ${/^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'malformed'} link outside the configured GitLab instances`,
        ),
    );
    openChecked = openExternal;
    lockNavigation(window.webContents, pathToFileURL(rendererIndex).href, openExternal);
    // Closing the window hides it: the app lives in the tray until Quit.
    window.on('close', (event) => {
      if (quitting) return;
      event.preventDefault();
      window.hide();
    });

    disposables.add(
      registerIpc(
        electron.ipcMain,
        runtime.api,
        createSenderCheck(new Set([window.webContents.id])),
      ),
    );
    disposables.add(forwardFleetEvents(runtime.engine, window.webContents));

    const show = () => {
      window.show();
      window.focus();
    };
    const open = (target: OpenTarget) => {
      show();
      const payload = OpenTarget.parse(target);
      const send = () => {
        if (!window.webContents.isDestroyed()) window.webContents.send('rw:ui:open', payload);
      };
      if (window.webContents.isLoading()) window.webContents.once('did-finish-load', send);
      else send();
    };
    app.on('second-instance', () => show());

    const tray = new electron.Tray(
      electron.nativeImage.createFromPath(join(root, trayIconFile('ok', platform))),
    );
    disposables.add(toDisposable(() => tray.destroy()));
    const trayHandle = disposables.add(
      registerTray(runtime.engine, settings.fleets, {
        tray,
        buildMenu: (template) => electron.Menu.buildFromTemplate(template),
        image: (icon) =>
          electron.nativeImage.createFromPath(join(root, trayIconFile(icon, platform))),
        ...(platform === 'win32' ? { maxTooltipLength: 127 } : {}),
        onOpen: show,
        onToggle: () => toggleWindowNearTray(window, tray.getBounds(), electron.screen),
        onOpenMachine: (machineKey) => open({ kind: 'machine', machineKey }),
        // Failures of the sources show in the snapshot; the check itself only says when it ended.
        onCheckNow: () =>
          void runtime.engine
            .checkNow()
            .catch((error: unknown) =>
              options.log(`check now failed: ${toApiError(error).message}`),
            ),
        onConfirm: (proposalId) => open({ kind: 'proposal', proposalId }),
        onPause: () => runtime.engine.pause(),
        onResume: () => runtime.engine.resume(),
        onQuit: () => app.quit(),
      }),
    );
    if (electron.Notification.isSupported()) {
      disposables.add(
        registerNotifications({
          engine: runtime.engine,
          fleets: settings.fleets,
          options: () => notifications,
          onAudit: (listener) => runtime.onAudit(listener),
          alertState: () => runtime.alertState(),
          createNotification: (o) => new electron.Notification(o),
          onClick: open,
        }),
      );
    }

    options.exposeTestHooks?.({
      tray: () => {
        const state = trayHandle.state();
        if (!state) return null;
        return {
          icon: state.icon,
          tooltip: state.tooltip,
          menu: trayMenuModel(state).flatMap((e) => (e.kind === 'separator' ? [] : [e.label])),
        };
      },
    });
    disposables.add(runtime.engine.start());
    // The demo shows an acknowledged alert that stays quiet until it expires (README: Demo).
    if (args.demo) {
      acknowledgeOneAlert(runtime.api)
        .then((acked) => {
          if (acked)
            options.log(
              `demo: acknowledged "${acked.alert.title}" until ${new Date(acked.until).toISOString()}`,
            );
        })
        .catch((error: unknown) =>
          options.log(`demo: no alert acknowledged: ${toApiError(error).message}`),
        );
    }
    await window.loadFile(rendererIndex);
    if (!args.hidden) show();
    return { window, runtime, settingsStore, open, openExternal, shutdown };
  }
}

/** Applies the start-at-login setting: a login item, or an XDG autostart entry on Linux. */
async function applyLoginItem(options: DesktopAppOptions, enabled: boolean): Promise<void> {
  const plan = loginItemPlan({
    enabled,
    platform: options.platform,
    exec: options.exec,
    args: options.execArgs,
    configHome: options.configHome,
  });
  if (plan.kind === 'login-item') {
    options.electron.app.setLoginItemSettings({ openAtLogin: plan.openAtLogin, args: plan.args });
    return;
  }
  if (plan.content === null) {
    await fs.rm(plan.file, { force: true });
    return;
  }
  await fs.mkdir(dirname(plan.file), { recursive: true });
  await fs.writeFile(plan.file, plan.content, { mode: 0o644 });
}
