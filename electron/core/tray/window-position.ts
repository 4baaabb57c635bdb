/** A rectangle in screen coordinates (DIP), as Electron's `Rectangle`. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Which screen edge the tray sits on. */
export type TrayEdge = 'top' | 'bottom' | 'left' | 'right';

/** Space between the tray and the window, so the window does not touch the panel. */
export const TRAY_GAP = 4;

/**
 * The edge the tray sits on: the side of the work area the tray is outside of (panels
 * and taskbars are not part of the work area). When the tray overlaps the work area (some
 * Linux panels) or reports empty bounds, the nearest edge of the work area is taken.
 */
export function trayEdge(tray: Rect, workArea: Rect): TrayEdge {
  const cx = tray.x + tray.width / 2;
  const cy = tray.y + tray.height / 2;
  if (cy < workArea.y) return 'top';
  if (cy > workArea.y + workArea.height) return 'bottom';
  if (cx < workArea.x) return 'left';
  if (cx > workArea.x + workArea.width) return 'right';
  const distances: [TrayEdge, number][] = [
    ['top', cy - workArea.y],
    ['bottom', workArea.y + workArea.height - cy],
    ['left', cx - workArea.x],
    ['right', workArea.x + workArea.width - cx],
  ];
  distances.sort((a, b) => a[1] - b[1]);
  return distances[0]?.[0] ?? 'top';
}

/**
 * Where to put the window so it opens next to the tray icon: centred on the icon along
 * the panel, on the work-area side of it, and always fully inside the work area (it is
 * moved, never cut). Linux trays that report no bounds (0×0) get the top-right corner.
 */
export function windowPositionNearTray(
  tray: Rect,
  window: { width: number; height: number },
  workArea: Rect,
): { x: number; y: number } {
  const noBounds = tray.width === 0 && tray.height === 0;
  let x: number;
  let y: number;
  if (noBounds) {
    x = workArea.x + workArea.width - window.width - TRAY_GAP;
    y = workArea.y + TRAY_GAP;
  } else {
    const edge = trayEdge(tray, workArea);
    const centreX = tray.x + tray.width / 2 - window.width / 2;
    const centreY = tray.y + tray.height / 2 - window.height / 2;
    switch (edge) {
      case 'top':
        x = centreX;
        y = Math.max(tray.y + tray.height, workArea.y) + TRAY_GAP;
        break;
      case 'bottom':
        x = centreX;
        y = Math.min(tray.y, workArea.y + workArea.height) - window.height - TRAY_GAP;
        break;
      case 'left':
        x = Math.max(tray.x + tray.width, workArea.x) + TRAY_GAP;
        y = centreY;
        break;
      case 'right':
        x = Math.min(tray.x, workArea.x + workArea.width) - window.width - TRAY_GAP;
        y = centreY;
        break;
    }
  }
  return {
    x: Math.round(clamp(x, workArea.x, workArea.x + workArea.width - window.width)),
    y: Math.round(clamp(y, workArea.y, workArea.y + workArea.height - window.height)),
  };
}

/** Keeps `value` in [min, max]; a window larger than the work area sticks to its start. */
function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(value, max));
}
