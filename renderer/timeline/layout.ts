/**
 * Geometry of the timeline canvas in CSS pixels: a label column on the left, the time axis
 * on top, fixed-height rows below it. Only rows inside the viewport are drawn.
 */
export interface TimelineLayout {
  /** Canvas size. */
  width: number;
  height: number;
  labelWidth: number;
  axisHeight: number;
  rowHeight: number;
  rowCount: number;
  /** Vertical scroll of the rows, in pixels. */
  scrollTop: number;
}

/** Row height: room for a 14 px bar and the 4 px disk strip under it. */
export const ROW_HEIGHT = 26;
export const AXIS_HEIGHT = 30;
/** Height of a job bar and of the disk strip, and their offsets within a row. */
export const BAR_TOP = 3;
export const BAR_HEIGHT = 15;
export const STRIP_TOP = 20;
export const STRIP_HEIGHT = 4;

/** Label column width for a canvas width: narrower on small windows. */
export function labelWidthFor(width: number): number {
  return width < 700 ? 120 : width < 1100 ? 180 : 240;
}

/** Width of the time axis. */
export function plotWidth(layout: TimelineLayout): number {
  return Math.max(1, layout.width - layout.labelWidth);
}

/** Total height of all rows (the scroll height below the axis). */
export function contentHeight(layout: Pick<TimelineLayout, 'rowHeight' | 'rowCount'>): number {
  return layout.rowHeight * layout.rowCount;
}

/** Largest useful scrollTop. */
export function maxScrollTop(layout: TimelineLayout): number {
  return Math.max(0, contentHeight(layout) - (layout.height - layout.axisHeight));
}

/** The rows in view, [first, last] inclusive; last < first when there are none. */
export function visibleRows(layout: TimelineLayout): { first: number; last: number } {
  const first = Math.max(0, Math.floor(layout.scrollTop / layout.rowHeight));
  const bottom = layout.scrollTop + (layout.height - layout.axisHeight);
  const last = Math.min(layout.rowCount - 1, Math.ceil(bottom / layout.rowHeight) - 1);
  return { first, last };
}

/** Y of a row's top edge on the canvas. */
export function rowTop(layout: TimelineLayout, row: number): number {
  return layout.axisHeight + row * layout.rowHeight - layout.scrollTop;
}

/** The row under a canvas y, or null over the axis or below the last row. */
export function rowAt(layout: TimelineLayout, y: number): number | null {
  if (y < layout.axisHeight || y >= layout.height) return null;
  const row = Math.floor((y - layout.axisHeight + layout.scrollTop) / layout.rowHeight);
  return row >= 0 && row < layout.rowCount ? row : null;
}

/** The scrollTop that brings a row into view with the least movement. */
export function scrollToRow(layout: TimelineLayout, row: number): number {
  const viewport = layout.height - layout.axisHeight;
  const top = row * layout.rowHeight;
  if (top < layout.scrollTop) return top;
  if (top + layout.rowHeight > layout.scrollTop + viewport)
    return Math.min(maxScrollTop(layout), top + layout.rowHeight - viewport);
  return layout.scrollTop;
}
