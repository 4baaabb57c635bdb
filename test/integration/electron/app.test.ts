// The desktop app itself, on the real Electron binary: it runs where one is installed
// (`node node_modules/electron/install.js`, or ELECTRON_OVERRIDE_DIST_PATH) and a display
// exists, and is reported as skipped with the reason otherwise (this build machine cannot
// download Electron). Everything it wires is also tested without the binary in
// test/unit/electron/adapters.test.ts.
import { execFileSync } from 'node:child_process';
import { _electron as electron } from 'playwright';
import { describe, expect, it } from 'vitest';
import { findElectronBinary } from '../../../electron/cli/electron-binary';

const binary = findElectronBinary(process.env);
const display =
  process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const reason = !binary
  ? 'no Electron binary (set ELECTRON_OVERRIDE_DIST_PATH or run node node_modules/electron/install.js)'
  : !display
    ? 'no display for Electron (run under xvfb-run)'
    : null;

describe('desktop app on the Electron binary', () => {
  it.skipIf(reason !== null)(
    `opens the fleet window on the demo fleet, sandboxed, with the tray drawn${reason ? ` — skipped: ${reason}` : ''}`,
    async () => {
      execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
      const app = await electron.launch({
        executablePath: binary!,
        args: ['dist/electron/main.js'],
        env: { ...process.env, RW_DEMO: '1', RW_TEST_HOOKS: '1' } as Record<string, string>,
      });
      try {
        const window = await app.firstWindow();
        await expect
          .poll(async () => window.locator('text=/runner-/').count(), { timeout: 60_000 })
          .toBeGreaterThan(0);
        const exposed = await window.evaluate(() => ({
          bridge: typeof (window as unknown as { runnerWatch?: unknown }).runnerWatch,
          node: typeof (globalThis as { require?: unknown }).require,
          process: typeof (globalThis as { process?: unknown }).process,
        }));
        expect(exposed).toEqual({ bridge: 'object', node: 'undefined', process: 'undefined' });
        // Navigation away from the app is blocked.
        await window.evaluate(() => {
          (globalThis as unknown as { location: { href: string } }).location.href =
            'https://example.invalid/';
        });
        expect(window.url()).toMatch(/^file:.*index\.html/);
        // The tray shows the fleet's state and the menu core computed.
        const tray = await app.evaluate(() =>
          (
            globalThis as {
              runnerWatchTestHooks?: { tray(): { icon: string; menu: string[] } | null };
            }
          ).runnerWatchTestHooks?.tray(),
        );
        expect(tray?.menu).toContain('Open Runner Watch');
        expect(tray?.menu).toContain('Pause monitoring');
        expect(['ok', 'warning', 'critical', 'disconnected']).toContain(tray?.icon);
      } finally {
        await app.close();
      }
    },
    120_000,
  );
});
