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
    `opens the fleet window on the demo fleet, sandboxed${reason ? ` — skipped: ${reason}` : ''}`,
    async () => {
      execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
      const app = await electron.launch({
        executablePath: binary!,
        args: ['dist/electron/main.js'],
        env: { ...process.env, RW_DEMO: '1' } as Record<string, string>,
      });
      try {
        const window = await app.firstWindow();
        await expect
          .poll(async () => window.locator('text=/runner-/').count(), { timeout: 60_000 })
          .toBeGreaterThan(0);
        const exposed = await window.evaluate(() => ({
          bridge: typeof (window as unknown as { runnerWatch?: unknown }).runnerWatch,
          node: typeof (globalThis as { require?: unknown }).require,
        }));
        expect(exposed).toEqual({ bridge: 'object', node: 'undefined' });
      } finally {
        await app.close();
      }
    },
    120_000,
  );
});
