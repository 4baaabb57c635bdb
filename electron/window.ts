import type { BrowserWindowConstructorOptions, WebContents } from 'electron';

/** Locked-down window preferences: isolated, sandboxed, no Node in the page. */
export function secureWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    show: false,
    title: 'Runner Watch',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  };
}

/** True for http(s) URLs under one of the configured GitLab instances. */
export function isAllowedExternal(url: string, allowedOrigins: readonly string[]): boolean {
  try {
    const parsed = new URL(url);
    return (
      (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
      allowedOrigins.includes(parsed.origin)
    );
  } catch {
    return false;
  }
}

/**
 * The desktop app's way to open a job in the browser: `shell.openExternal` (injected, so
 * tests need no Electron) behind one more check of the URL, so nothing but an http(s) page
 * of a configured GitLab instance ever reaches the OS, whatever asked for it.
 */
export function checkedOpenExternal(
  allowedOrigins: readonly string[],
  openExternal: (url: string) => Promise<void>,
): (url: string) => Promise<void> {
  return async (url) => {
    if (!isAllowedExternal(url, allowedOrigins)) {
      throw new Error('refused to open a URL outside the configured GitLab instances');
    }
    await openExternal(url);
  };
}

/**
 * Blocks navigation away from the app and new windows; links to configured GitLab
 * instances open in the user's browser instead.
 */
export function lockNavigation(
  contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>,
  appUrl: string,
  allowedOrigins: readonly string[],
  openExternal: (url: string) => void,
): void {
  contents.on('will-navigate', (event, url) => {
    if (url !== appUrl) {
      event.preventDefault();
      if (isAllowedExternal(url, allowedOrigins)) openExternal(url);
    }
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url, allowedOrigins)) openExternal(url);
    return { action: 'deny' };
  });
}
