import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TRAY_GAP,
  trayEdge,
  windowPositionNearTray,
  type Rect,
} from '../../../electron/core/tray/window-position';

const win = { width: 400, height: 600 };

describe('windowPositionNearTray', () => {
  it('opens below a macOS menu-bar icon, centred on it', () => {
    const workArea: Rect = { x: 0, y: 25, width: 1440, height: 875 };
    const tray: Rect = { x: 1000, y: 0, width: 22, height: 22 };
    expect(trayEdge(tray, workArea)).toBe('top');
    expect(windowPositionNearTray(tray, win, workArea)).toEqual({ x: 811, y: 25 + TRAY_GAP });
  });

  it('opens above a Windows taskbar icon and stays inside the right edge', () => {
    const workArea: Rect = { x: 0, y: 0, width: 1920, height: 1040 };
    const tray: Rect = { x: 1880, y: 1044, width: 24, height: 32 };
    expect(trayEdge(tray, workArea)).toBe('bottom');
    expect(windowPositionNearTray(tray, win, workArea)).toEqual({
      x: 1920 - 400,
      y: 1040 - 600 - TRAY_GAP,
    });
  });

  it('opens beside a taskbar on the left', () => {
    const workArea: Rect = { x: 60, y: 0, width: 1860, height: 1080 };
    const tray: Rect = { x: 14, y: 900, width: 32, height: 32 };
    expect(trayEdge(tray, workArea)).toBe('left');
    expect(windowPositionNearTray(tray, win, workArea)).toEqual({ x: 64, y: 480 });
  });

  it('uses the top-right corner when a Linux tray reports no bounds', () => {
    const workArea: Rect = { x: 0, y: 32, width: 1280, height: 768 };
    const tray: Rect = { x: 0, y: 0, width: 0, height: 0 };
    expect(windowPositionNearTray(tray, win, workArea)).toEqual({
      x: 1280 - 400 - TRAY_GAP,
      y: 32 + TRAY_GAP,
    });
  });

  it('keeps the window inside the work area for any tray position (second display too)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2000, max: 2000 }),
        fc.integer({ min: -2000, max: 2000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 40 }),
        (ax, ay, tx, ty, size) => {
          const workArea: Rect = { x: ax, y: ay, width: 1280, height: 720 };
          const tray: Rect = { x: ax + tx - 500, y: ay + ty - 500, width: size, height: size };
          const p = windowPositionNearTray(tray, win, workArea);
          expect(p.x).toBeGreaterThanOrEqual(workArea.x);
          expect(p.y).toBeGreaterThanOrEqual(workArea.y);
          expect(p.x + win.width).toBeLessThanOrEqual(workArea.x + workArea.width);
          expect(p.y + win.height).toBeLessThanOrEqual(workArea.y + workArea.height);
        },
      ),
    );
  });
});
