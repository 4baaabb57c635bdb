import { describe, expect, it } from 'vitest';
import { parseDesktopArgs } from '../../../electron/core/desktop-args';
import { desktopEntryQuote, loginItemPlan } from '../../../electron/core/login-item';

describe('loginItemPlan', () => {
  it('uses login items on macOS and Windows, always with --hidden', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      expect(loginItemPlan({ enabled: true, platform, exec: '/x', configHome: '/c' })).toEqual({
        kind: 'login-item',
        openAtLogin: true,
        args: ['--hidden'],
      });
    }
    expect(
      loginItemPlan({ enabled: false, platform: 'darwin', exec: '/x', configHome: '/c' }),
    ).toMatchObject({ openAtLogin: false });
  });

  it('writes an XDG autostart entry on Linux, quoted per the desktop entry spec', () => {
    const plan = loginItemPlan({
      enabled: true,
      platform: 'linux',
      exec: '/home/me/Apps/Runner Watch.AppImage',
      configHome: '/home/me/.config',
    });
    expect(plan).toMatchObject({
      kind: 'xdg-autostart',
      file: '/home/me/.config/autostart/runner-watch.desktop',
    });
    expect(plan.kind === 'xdg-autostart' && plan.content).toContain(
      'Exec="/home/me/Apps/Runner Watch.AppImage" --hidden\n',
    );
    expect(
      loginItemPlan({ enabled: false, platform: 'linux', exec: '/x', configHome: '/c' }),
    ).toEqual({ kind: 'xdg-autostart', file: '/c/autostart/runner-watch.desktop', content: null });
  });

  it('escapes the characters the spec reserves', () => {
    expect(desktopEntryQuote('/usr/bin/rw')).toBe('/usr/bin/rw');
    expect(desktopEntryQuote('100%')).toBe('100%%');
    expect(desktopEntryQuote('a "b" $c `d` \\e')).toBe('"a \\"b\\" \\$c \\`d\\` \\\\e"');
  });
});

describe('parseDesktopArgs', () => {
  it('reads --config FILE, --config=FILE, RW_CONFIG, --hidden and RW_DEMO', () => {
    expect(parseDesktopArgs(['.', '--config', '/f.json', '--hidden'], {})).toEqual({
      configPath: '/f.json',
      hidden: true,
      demo: false,
    });
    expect(parseDesktopArgs(['--config=/g.json'], { RW_CONFIG: '/e.json' }).configPath).toBe(
      '/g.json',
    );
    expect(parseDesktopArgs(['--no-sandbox'], { RW_CONFIG: '/e.json', RW_DEMO: '1' })).toEqual({
      configPath: '/e.json',
      hidden: false,
      demo: true,
    });
  });

  it('refuses --config without a file', () => {
    expect(() => parseDesktopArgs(['--config'], {})).toThrow('--config needs a file');
    expect(() => parseDesktopArgs(['--config', '--hidden'], {})).toThrow('--config needs a file');
    expect(() => parseDesktopArgs(['--config='], {})).toThrow('--config needs a file');
  });
});
