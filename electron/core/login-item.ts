/**
 * How "start at login" is applied on each OS. macOS and Windows have login items
 * (Electron's `app.setLoginItemSettings`); Linux desktops read XDG autostart entries
 * (`~/.config/autostart/*.desktop`), which Electron does not write. The app then starts
 * with `--hidden`: in the tray, without a window.
 */
export type LoginItemPlan =
  | { kind: 'login-item'; openAtLogin: boolean; args: string[] }
  | { kind: 'xdg-autostart'; file: string; content: string | null };

/** The flag a login start passes, so the app stays in the tray. */
export const HIDDEN_FLAG = '--hidden';

/** What to do for the `startAtLogin` setting on this platform. Pure. */
export function loginItemPlan(options: {
  enabled: boolean;
  platform: NodeJS.Platform;
  /** The executable to start (the AppImage's path when run from one). */
  exec: string;
  /** Extra arguments before `--hidden` (e.g. the app folder when run from source). */
  args?: readonly string[];
  /** `$XDG_CONFIG_HOME`, or `~/.config`. */
  configHome: string;
}): LoginItemPlan {
  const args = [...(options.args ?? []), HIDDEN_FLAG];
  if (options.platform !== 'linux') {
    return { kind: 'login-item', openAtLogin: options.enabled, args };
  }
  const file = `${options.configHome}/autostart/runner-watch.desktop`;
  if (!options.enabled) return { kind: 'xdg-autostart', file, content: null };
  const command = [options.exec, ...args].map(desktopEntryQuote).join(' ');
  const content = [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Runner Watch',
    'Comment=Watches GitLab runner fleets from the tray',
    `Exec=${command}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
  return { kind: 'xdg-autostart', file, content };
}

/**
 * Quotes one argument of a desktop entry's Exec key (Desktop Entry Specification,
 * "The Exec key"): arguments with reserved characters go in double quotes, with `"`, `` ` ``,
 * `$` and `\` escaped by a backslash; `%` is doubled because field codes start with it.
 */
export function desktopEntryQuote(arg: string): string {
  const escaped = arg.replace(/%/g, '%%');
  if (!/[\s"'\\><~|&;$*?#()`]/.test(escaped)) return escaped;
  return `"${escaped.replace(/(["`$\\])/g, '\\$1')}"`;
}
