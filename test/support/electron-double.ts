// A test double of the Electron main-process modules the adapters import. Each part has
// the method signatures of Electron's own types (checked with `satisfies Pick<…>`) and
// records what it was asked to do, so tests assert the calls an adapter makes without the
// Electron binary. Behaviour follows Electron's documentation where the adapters depend
// on it: events are EventEmitters, `before-quit` can be prevented, `requestSingleInstanceLock`
// answers false for a second instance, safeStorage really encrypts (AES-256-GCM with a
// per-double key, like an OS keychain would, so ciphertext never contains the value).
import type {
  App,
  BrowserWindowConstructorOptions,
  Display,
  IpcMain,
  IpcMainInvokeEvent,
  MenuItemConstructorOptions,
  NativeImage,
  NotificationConstructorOptions,
  Point,
  Rectangle,
  Session,
  HandlerDetails,
  WindowOpenHandlerResponse,
} from 'electron';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ElectronModules, WindowLike } from '../../electron/app';

/** A cancellable Electron event (`event.preventDefault()`). */
export class FakeEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/** What the double recorded, in call order. */
export interface ElectronCalls {
  log: string[];
}

/** A nativeImage stand-in: remembers the file it was made from. */
export function fakeImage(path: string): NativeImage {
  return { path, isEmpty: () => false } as unknown as NativeImage;
}

/** A WebContents double: records `send`, runs the handlers set on it. */
export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly sent: { channel: string; payload: unknown }[] = [];
  windowOpenHandler: ((details: HandlerDetails) => WindowOpenHandlerResponse) | null = null;
  loading = true;
  destroyed = false;
  readonly session = new FakeSession();

  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, payload: args[0] });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isLoading(): boolean {
    return this.loading;
  }
  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void {
    this.windowOpenHandler = handler;
  }
  /** Fires a navigation as Chromium would; true when the page would have navigated. */
  navigate(url: string, event: 'will-navigate' | 'will-redirect' = 'will-navigate'): boolean {
    const e = new FakeEvent();
    this.emit(event, e, url);
    return !e.defaultPrevented;
  }
  /** The page calls `window.open(url)`; answers what the handler decided. */
  windowOpen(url: string): WindowOpenHandlerResponse | null {
    return (
      this.windowOpenHandler?.({
        url,
        frameName: '',
        features: '',
        disposition: 'new-window',
        referrer: { url: '', policy: 'no-referrer' },
      }) ?? null
    );
  }
}

type HeadersListener = Parameters<Session['webRequest']['onHeadersReceived']>[0];

/** The session double: keeps the handlers the app installs. */
export class FakeSession {
  headersHandler: HeadersListener = null;
  permissionRequest: Parameters<Session['setPermissionRequestHandler']>[0] = null;
  permissionCheck: Parameters<Session['setPermissionCheckHandler']>[0] = null;
  readonly webRequest = {
    onHeadersReceived: (listener: HeadersListener) => {
      this.headersHandler = listener;
    },
  };
  setPermissionRequestHandler(
    handler: Parameters<Session['setPermissionRequestHandler']>[0],
  ): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: Parameters<Session['setPermissionCheckHandler']>[0]): void {
    this.permissionCheck = handler;
  }
}

/** BrowserWindow double: visibility, focus, position; `close` can be prevented. */
export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  visible = false;
  focused = false;
  destroyed = false;
  position: [number, number] = [0, 0];
  loaded: string | null = null;
  readonly options: BrowserWindowConstructorOptions;

  constructor(options: BrowserWindowConstructorOptions) {
    super();
    this.options = options;
    FakeBrowserWindow.instances.push(this);
  }
  async loadFile(path: string): Promise<void> {
    this.loaded = path;
    this.webContents.loading = false;
    this.webContents.emit('did-finish-load');
  }
  isVisible(): boolean {
    return this.visible;
  }
  isFocused(): boolean {
    return this.focused;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  show(): void {
    this.visible = true;
    this.emit('show');
  }
  hide(): void {
    this.visible = false;
    this.focused = false;
  }
  focus(): void {
    this.focused = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
  }
  getSize(): number[] {
    return [Number(this.options.width ?? 800), Number(this.options.height ?? 600)];
  }
  setPosition(x: number, y: number): void {
    this.position = [x, y];
  }
  /** The user clicks the window's close button. */
  clickClose(): boolean {
    const e = new FakeEvent();
    this.emit('close', e);
    if (!e.defaultPrevented) this.destroy();
    return !e.defaultPrevented;
  }
}

/** Tray double: the image, tooltip and menu it shows; `click` fires its listeners. */
export class FakeTray extends EventEmitter {
  static instances: FakeTray[] = [];
  image: NativeImage;
  tooltip = '';
  menu: MenuItemConstructorOptions[] = [];
  destroyed = false;
  bounds: Rectangle = { x: 1000, y: 0, width: 22, height: 22 };

  constructor(image: NativeImage) {
    super();
    this.image = image;
    FakeTray.instances.push(this);
  }
  setImage(image: NativeImage | string): void {
    this.image = typeof image === 'string' ? fakeImage(image) : image;
  }
  setToolTip(toolTip: string): void {
    this.tooltip = toolTip;
  }
  setContextMenu(menu: unknown): void {
    this.menu = menu as MenuItemConstructorOptions[];
  }
  getBounds(): Rectangle {
    return this.bounds;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** Clicks the menu entry with this label (throws when there is none). */
  clickMenu(label: string): void {
    const item = this.menu.find((i) => i.label === label);
    if (!item?.click) throw new Error(`no menu entry "${label}" in ${this.labels().join(' | ')}`);
    // Electron does not deliver clicks to a disabled item.
    if (item.enabled === false) throw new Error(`menu entry "${label}" is disabled`);
    item.click(undefined as never, undefined as never, undefined as never);
  }
  labels(): string[] {
    return this.menu.flatMap((i) => (i.label ? [i.label] : []));
  }
  /** The menu entry with this label (undefined when there is none). */
  item(label: string): MenuItemConstructorOptions | undefined {
    return this.menu.find((i) => i.label === label);
  }
}

/** Notification double: every one shown, and a way to click it. */
export class FakeNotification extends EventEmitter {
  static shown: FakeNotification[] = [];
  readonly options: NotificationConstructorOptions;
  constructor(options: NotificationConstructorOptions) {
    super();
    this.options = options;
  }
  static isSupported(): boolean {
    return true;
  }
  show(): void {
    FakeNotification.shown.push(this);
  }
  close(): void {
    this.emit('close', new FakeEvent());
  }
  click(): void {
    this.emit('click', new FakeEvent());
  }
}

/** ipcMain double: the registered handlers, callable like Electron would. */
export function fakeIpcMain() {
  type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;
  const handlers = new Map<string, Handler>();
  const ipc = {
    handle: (channel: string, listener: Handler) => {
      if (handlers.has(channel))
        throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel: string) => {
      handlers.delete(channel);
    },
  } satisfies Pick<IpcMain, 'handle' | 'removeHandler'>;
  return { ipcMain: ipc, handlers };
}

/** An invoke event from a webContents' main frame (or a sub-frame). */
export function invokeEvent(senderId: number, mainFrame = true): IpcMainInvokeEvent {
  return {
    sender: { id: senderId },
    senderFrame: { parent: mainFrame ? null : {} },
  } as unknown as IpcMainInvokeEvent;
}

/** safeStorage double that really encrypts; `backend` and availability are settable. */
export function fakeSafeStorage(
  options: {
    available?: boolean;
    backend?: ReturnType<ElectronModules['safeStorage']['getSelectedStorageBackend']>;
  } = {},
) {
  const key = randomBytes(32);
  const state = {
    available: options.available ?? true,
    backend: options.backend ?? 'gnome_libsecret',
  };
  const safeStorage = {
    isEncryptionAvailable: () => state.available,
    getSelectedStorageBackend: () => state.backend,
    encryptString: (plainText: string) => {
      if (!state.available) throw new Error('Encryption is not available.');
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from('v10'), iv, cipher.getAuthTag(), body]);
    },
    decryptString: (encrypted: Buffer) => {
      if (!state.available) throw new Error('Decryption is not available.');
      if (encrypted.subarray(0, 3).toString() !== 'v10')
        throw new Error(
          'Error while decrypting the ciphertext provided to safeStorage.decryptString.',
        );
      const iv = encrypted.subarray(3, 15);
      const tag = encrypted.subarray(15, 31);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(encrypted.subarray(31)), decipher.final()]).toString(
        'utf8',
      );
    },
  } satisfies ElectronModules['safeStorage'];
  return { safeStorage, state };
}

/** The app double: single-instance lock, events, quit/exit, paths, login items. */
export class FakeApp extends EventEmitter {
  exitCode: number | null = null;
  quitCalls = 0;
  loginItem: Parameters<App['setLoginItemSettings']>[0] | null = null;
  hasLock = true;
  private readonly exited: Promise<number>;
  private resolveExit: (code: number) => void = () => undefined;

  constructor(private readonly userData: string) {
    super();
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }
  requestSingleInstanceLock(): boolean {
    return this.hasLock;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  /** Like Electron: emits `before-quit`; quits (here: exits 0) unless it was prevented. */
  quit(): void {
    this.quitCalls += 1;
    const e = new FakeEvent();
    this.emit('before-quit', e);
    if (!e.defaultPrevented) this.exit(0);
  }
  exit(exitCode?: number): void {
    this.exitCode = exitCode ?? 0;
    this.resolveExit(this.exitCode);
  }
  /** Resolves with the exit code once the app exited. */
  whenExited(): Promise<number> {
    return this.exited;
  }
  getPath(name: string): string {
    if (name !== 'userData') throw new Error(`the double knows only userData, not ${name}`);
    return this.userData;
  }
  getVersion(): string {
    return '0.1.0-test';
  }
  setLoginItemSettings(settings: Parameters<App['setLoginItemSettings']>[0]): void {
    this.loginItem = settings;
  }
}

/** Every module of the double, typed as the app's `ElectronModules`. */
export function electronDouble(userData: string) {
  FakeBrowserWindow.instances = [];
  FakeTray.instances = [];
  FakeNotification.shown = [];
  const app = new FakeApp(userData);
  const { ipcMain, handlers } = fakeIpcMain();
  const { safeStorage, state: keychain } = fakeSafeStorage();
  const opened: string[] = [];
  const errors: { title: string; content: string }[] = [];
  const display = {
    workArea: { x: 0, y: 25, width: 1440, height: 875 },
  } as Display;
  const modules = {
    app: app as unknown as ElectronModules['app'],
    BrowserWindow: FakeBrowserWindow as unknown as new (
      o: BrowserWindowConstructorOptions,
    ) => WindowLike,
    Tray: FakeTray as unknown as ElectronModules['Tray'],
    Menu: {
      buildFromTemplate: (template: MenuItemConstructorOptions[]) => template as never,
    },
    Notification: FakeNotification as unknown as ElectronModules['Notification'],
    nativeImage: { createFromPath: fakeImage },
    safeStorage,
    shell: {
      openExternal: (url: string) => {
        opened.push(url);
        return Promise.resolve();
      },
    },
    screen: { getDisplayNearestPoint: (_point: Point) => display },
    ipcMain,
    dialog: {
      showErrorBox: (title: string, content: string) => void errors.push({ title, content }),
    },
  } satisfies ElectronModules;
  return { modules, app, handlers, keychain, opened, errors, display };
}

/** The listeners of an EventEmitter double, for asserting that adapters unsubscribe. */
export function listenerCount(emitter: EventEmitter, event: string): number {
  return emitter.listeners(event).length;
}

// Compile-time checks that the doubles have Electron's method signatures: a double that
// drifts from Electron's types fails `npm run typecheck`, not a user. Event methods
// (`on`, `once`, `removeListener`) are Node's EventEmitter in both and are left out:
// Electron's overloads per event name cannot be matched by one generic signature.
type Events = 'on' | 'once' | 'removeListener';
export const signatureChecks = {
  window: (w: FakeBrowserWindow) => w satisfies Omit<WindowLike, 'webContents' | Events>,
  contents: (c: FakeWebContents) => c satisfies Omit<WindowLike['webContents'], 'session' | Events>,
  tray: (t: FakeTray) => t satisfies Omit<InstanceType<ElectronModules['Tray']>, Events>,
  notification: (n: FakeNotification) =>
    n satisfies Omit<InstanceType<ElectronModules['Notification']>, Events>,
  app: (a: FakeApp) => a satisfies Omit<ElectronModules['app'], Events>,
  session: (s: FakeSession) => s satisfies WindowLike['webContents']['session'],
};
