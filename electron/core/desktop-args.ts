import { HIDDEN_FLAG } from './login-item';

/** How the desktop app was started. */
export interface DesktopArgs {
  /** A settings file shared with `runner-watch serve --config FILE`; else the app's own. */
  configPath: string | undefined;
  /** Started at login (or asked to): stay in the tray without showing the window. */
  hidden: boolean;
  /** The embedded simulated fleet (`runner-watch demo`). */
  demo: boolean;
}

/**
 * Reads the app's own options from its command line and environment: `--config FILE`
 * (or `--config=FILE`, or RW_CONFIG), `--hidden`, and RW_DEMO=1. Chromium's and
 * Electron's own switches are left alone; a `--config` without a file is an error.
 */
export function parseDesktopArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): DesktopArgs {
  let configPath = env.RW_CONFIG || undefined;
  let hidden = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === HIDDEN_FLAG) hidden = true;
    else if (arg === '--config') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new Error('--config needs a file: --config FILE');
      configPath = next;
      i++;
    } else if (arg?.startsWith('--config=')) {
      configPath = arg.slice('--config='.length);
      if (configPath === '') throw new Error('--config needs a file: --config=FILE');
    }
  }
  return { configPath, hidden, demo: env.RW_DEMO === '1' };
}
