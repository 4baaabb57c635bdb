import type {
  BrowserWindow,
  BrowserWindowConstructorOptions,
  Rectangle,
  Screen,
  Session,
  WebContents,
} from 'electron';
import type { Settings } from '../shared/settings';
import { isAllowedExternalUrl } from './core/external-url';
import { windowPositionNearTray } from './core/tray/window-position';

/**
 * The Content-Security-Policy of the desktop window: the renderer's own files only, no
 * inline script, no eval, no network (IPC needs none). The built index.html carries the
 * same policy as a meta tag; the header covers anything loaded over a protocol with headers.
 */
export const DESKTOP_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'none'";

/** Locked-down window preferences: isolated, sandboxed, no Node in the page. */
export function secureWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 800,
    minHeight: 600,
    show: false,
    title: 'Runner Watch',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

type HeadersListener = Parameters<Session['webRequest']['onHeadersReceived']>[0];

/** The session methods `secureSession` uses; tests pass a double with the same signatures. */
export interface SessionLike {
  webRequest: {
    /** The listener-only overload: one handler for every request. */
    onHeadersReceived(listener: HeadersListener): void;
  };
  setPermissionRequestHandler: Session['setPermissionRequestHandler'];
  setPermissionCheckHandler: Session['setPermissionCheckHandler'];
}

/**
 * Session-wide defences: the CSP header on every response, and no web permission
 * (camera, notifications, geolocation, …) for the page — the main process shows
 * notifications itself.
 */
export function secureSession(session: SessionLike): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [DESKTOP_CSP] },
    });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** Opens URLs in the user's browser after the allow-list check; the only way out of the app. */
export type ExternalOpener = (url: string) => boolean;

/**
 * The opener other adapters get (the timeline's "open job in GitLab" channel): it opens
 * only what `isAllowedExternalUrl` allows for the current settings and says whether it did.
 */
export function createExternalOpener(
  settings: () => Pick<Settings, 'gitlab'>,
  openExternal: (url: string) => Promise<void>,
  onRefused: (url: string) => void = () => undefined,
): ExternalOpener {
  return (url) => {
    if (!isAllowedExternalUrl(url, settings())) {
      onRefused(url);
      return false;
    }
    void openExternal(url).catch(() => onRefused(url));
    return true;
  };
}

/** The WebContents events and handler `lockNavigation` uses (Electron's own signatures). */
export type NavigationEvents = Pick<WebContents, 'setWindowOpenHandler'> & {
  on(
    event: 'will-navigate',
    listener: (event: { preventDefault(): void }, url: string) => void,
  ): unknown;
  on(
    event: 'will-redirect',
    listener: (event: { preventDefault(): void }, url: string) => void,
  ): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
};

/**
 * Blocks navigation away from the app, new windows and webviews; links to configured
 * GitLab instances open in the user's browser instead (through the opener's check).
 */
export function lockNavigation(
  contents: NavigationEvents,
  appUrl: string,
  open: ExternalOpener,
): void {
  const isApp = (url: string) => url.split('#')[0] === appUrl.split('#')[0];
  contents.on('will-navigate', (event, url) => {
    if (isApp(url)) return;
    event.preventDefault();
    open(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isApp(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    open(url);
    return { action: 'deny' };
  });
}

/** The window methods the tray toggle uses. */
export type ToggleWindow = Pick<
  BrowserWindow,
  'isVisible' | 'isFocused' | 'hide' | 'show' | 'focus' | 'getSize' | 'setPosition'
>;

/**
 * Left click on the tray: hides the window when it is shown and focused, else moves it
 * next to the tray (position from the pure `windowPositionNearTray`) and shows it.
 */
export function toggleWindowNearTray(
  window: ToggleWindow,
  trayBounds: Rectangle,
  screen: Pick<Screen, 'getDisplayNearestPoint'>,
): 'shown' | 'hidden' {
  if (window.isVisible() && window.isFocused()) {
    window.hide();
    return 'hidden';
  }
  const [width = 0, height = 0] = window.getSize();
  const display = screen.getDisplayNearestPoint({
    x: Math.round(trayBounds.x + trayBounds.width / 2),
    y: Math.round(trayBounds.y + trayBounds.height / 2),
  });
  const { x, y } = windowPositionNearTray(trayBounds, { width, height }, display.workArea);
  window.setPosition(x, y);
  window.show();
  window.focus();
  return 'shown';
}
