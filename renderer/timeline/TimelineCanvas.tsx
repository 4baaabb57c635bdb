import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
} from 'react';
import type { TimelineJob, TimelineRow } from '../../shared/timeline';
import {
  createDrawCache,
  drawTimeline,
  killTimes,
  type RowLevels,
  type TimelineScene,
} from './draw';
import { clockTime, durationText, jobTitle, STATUS_LABEL, tickLabel } from './format-job';
import { hitTest, type Pointed, type TimelineHit } from './hit-test';
import { TimelineTooltip } from './TimelineTooltip';
import {
  AXIS_HEIGHT,
  BAR_TOP,
  labelWidthFor,
  maxScrollTop,
  plotWidth,
  ROW_HEIGHT,
  rowTop,
  scrollToRow,
  visibleRows,
  type TimelineLayout,
} from './layout';
import { createPatterns, paletteFor, type TimelinePalette, type TimelinePatterns } from './palette';
import { visibleJobRange, type RowIndex } from './row-index';
import {
  isLive,
  panBy,
  timeToX,
  wheelZoomFactor,
  zoomAt,
  type PanBounds,
  type TimeWindow,
} from './viewport';

/** What the canvas shows and reports; the view owns the state. */
export interface TimelineCanvasProps {
  rows: readonly TimelineRow[];
  indexes: readonly RowIndex[];
  levels: readonly RowLevels[];
  window: TimeWindow;
  bounds: PanBounds;
  now: number;
  jobsSince: number | null;
  diskBucketMs: number;
  scheme: 'light' | 'dark';
  selectedRow: number | null;
  selectedJobKey: string | null;
  onWindowChange(window: TimeWindow): void;
  onSelectRow(row: number): void;
  /** Click or Enter on a job: select it and open its panel. */
  onActivateJob(row: number, job: TimelineJob): void;
  /** Double-click on a job: select it and open it in GitLab (through the host). */
  onOpenJob(row: number, job: TimelineJob): void;
  /** Escape: close the panel. */
  onEscape(): void;
}

const DRAG_THRESHOLD_PX = 4;

/**
 * The Gantt, hand-drawn on a canvas: rows are virtualised (the canvas is one viewport high
 * and sticks to the top of a scroller whose height is all rows), pan by drag, arrow keys or
 * horizontal wheel, zoom by Ctrl/⌘ + wheel, trackpad pinch (the browser sends it as Ctrl +
 * wheel), two-finger touch pinch, or + and −. Drawing happens at most once per frame.
 */
export function TimelineCanvas(props: TimelineCanvasProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ width: 800, height: 400 });
  const [scrollTop, setScrollTop] = useState(0);
  const [pointed, setPointed] = useState<Pointed | null>(null);
  const frame = useRef<number | null>(null);
  const [cache] = useState(createDrawCache);
  const killAt = useMemo(() => killTimes(props.indexes), [props.indexes]);
  const stats = useRef({ rows: 0, jobs: 0 });

  const layout: TimelineLayout = useMemo(
    () => ({
      width: size.width,
      height: size.height,
      labelWidth: labelWidthFor(size.width),
      axisHeight: AXIS_HEIGHT,
      rowHeight: ROW_HEIGHT,
      rowCount: props.rows.length,
      scrollTop,
    }),
    [size, scrollTop, props.rows.length],
  );
  const palette = paletteFor(props.scheme);
  // Built on the first frame of each palette (they need the canvas's context).
  const patterns = useRef<{ palette: TimelinePalette; patterns: TimelinePatterns } | null>(null);

  // Size: the scroller's client box (the canvas is as wide as the scroller's content).
  useEffect(() => {
    const scroller = scrollRef.current;
    if (!scroller) return;
    const measure = () => {
      const width = Math.max(200, scroller.clientWidth);
      const height = Math.max(AXIS_HEIGHT + ROW_HEIGHT, scroller.clientHeight);
      setSize((old) => (old.width === width && old.height === height ? old : { width, height }));
    };
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(scroller);
    return () => observer.disconnect();
  }, []);

  const draw = useCallback(() => {
    frame.current = null;
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const ratio = globalThis.devicePixelRatio || 1;
    const pxWidth = Math.round(layout.width * ratio);
    const pxHeight = Math.round(layout.height * ratio);
    if (canvas.width !== pxWidth) canvas.width = pxWidth;
    if (canvas.height !== pxHeight) canvas.height = pxHeight;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    if (patterns.current?.palette !== palette) {
      patterns.current = { palette, patterns: createPatterns(ctx, makeTile, palette) };
    }
    const scene: TimelineScene = {
      rows: props.rows,
      indexes: props.indexes,
      levels: props.levels,
      killAt,
      layout,
      window: props.window,
      now: props.now,
      jobsSince: props.jobsSince,
      diskBucketMs: props.diskBucketMs,
      selectedRow: props.selectedRow,
      selectedJobKey: props.selectedJobKey,
      hover: pointed?.hit ?? null,
      palette,
      patterns: patterns.current.patterns,
      tzOffsetMs: -new Date(props.window.from).getTimezoneOffset() * 60_000,
      formatTick: tickLabel,
      cache,
      stats: stats.current,
    };
    drawTimeline(ctx, scene);
    canvas.dataset.jobsDrawn = String(stats.current.jobs);
    canvas.dataset.rowsDrawn = String(stats.current.rows);
  }, [props, layout, pointed, palette, cache, killAt]);

  // One frame per animation frame at most, always with the newest state: a frame already
  // requested draws whatever `draw` is current when it runs.
  const drawRef = useRef(draw);
  useLayoutEffect(() => {
    drawRef.current = draw;
    if (frame.current !== null) return;
    if (typeof requestAnimationFrame === 'undefined') {
      draw();
      return;
    }
    frame.current = requestAnimationFrame(() => drawRef.current());
  }, [draw]);
  useEffect(
    () => () => {
      if (frame.current !== null && typeof cancelAnimationFrame !== 'undefined')
        cancelAnimationFrame(frame.current);
    },
    [],
  );

  const setScroll = useCallback((top: number) => {
    const scroller = scrollRef.current;
    if (scroller) scroller.scrollTop = top;
    setScrollTop(top);
  }, []);

  // Wheel: registered by hand, React's onWheel is passive and cannot keep the page still.
  const latest = useRef({ props, layout });
  useLayoutEffect(() => {
    latest.current = { props, layout };
  });
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (event: WheelEvent) => {
      const { props: p, layout: l } = latest.current;
      const rect = canvas.getBoundingClientRect();
      const x = event.clientX - rect.left;
      const y = event.clientY - rect.top;
      const anchor = (x - l.labelWidth) / plotWidth(l);
      if (event.ctrlKey || event.metaKey || y < l.axisHeight) {
        event.preventDefault();
        p.onWindowChange(
          zoomAt(p.window, anchor, wheelZoomFactor(event.deltaY, event.deltaMode), p.bounds),
        );
      } else if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
        event.preventDefault();
        const delta = event.shiftKey && event.deltaX === 0 ? event.deltaY : event.deltaX;
        const msPerPx = (p.window.to - p.window.from) / plotWidth(l);
        p.onWindowChange(panBy(p.window, delta * msPerPx, p.bounds));
      }
      // A plain vertical wheel scrolls the rows natively.
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  }, []);

  // Pointer: drag pans (time and rows), two touch points pinch, a click selects.
  const drag = useRef<{
    id: number;
    x: number;
    y: number;
    window: TimeWindow;
    scrollTop: number;
    moved: boolean;
  } | null>(null);
  const touches = useRef(new Map<number, number>());
  const pinch = useRef<{ distance: number; window: TimeWindow; anchor: number } | null>(null);

  const local = (event: { clientX: number; clientY: number }) => {
    const rect = canvasRef.current?.getBoundingClientRect();
    return { x: event.clientX - (rect?.left ?? 0), y: event.clientY - (rect?.top ?? 0) };
  };

  const point = (x: number, y: number, byKeyboard = false) => {
    const hit = hitTest(props.indexes, layout, props.window, x, y);
    setPointed((old) => {
      if (old && sameHit(old.hit, hit) && old.byKeyboard === byKeyboard) return old;
      return { hit, x, y, byKeyboard };
    });
  };

  const onPointerDown = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const { x, y } = local(event);
    if (event.pointerType === 'touch') {
      touches.current.set(event.pointerId, x);
      if (touches.current.size === 2) {
        const [a, b] = [...touches.current.values()];
        const distance = Math.abs((a ?? 0) - (b ?? 0));
        const anchor = (((a ?? 0) + (b ?? 0)) / 2 - layout.labelWidth) / plotWidth(layout);
        pinch.current = { distance: Math.max(10, distance), window: props.window, anchor };
        drag.current = null;
        return;
      }
    }
    event.currentTarget.setPointerCapture?.(event.pointerId);
    drag.current = {
      id: event.pointerId,
      x,
      y,
      window: props.window,
      scrollTop: layout.scrollTop,
      moved: false,
    };
  };

  const onPointerMove = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const { x, y } = local(event);
    if (event.pointerType === 'touch' && touches.current.has(event.pointerId)) {
      touches.current.set(event.pointerId, x);
      if (pinch.current && touches.current.size === 2) {
        const [a, b] = [...touches.current.values()];
        const distance = Math.max(10, Math.abs((a ?? 0) - (b ?? 0)));
        props.onWindowChange(
          zoomAt(
            pinch.current.window,
            pinch.current.anchor,
            pinch.current.distance / distance,
            props.bounds,
          ),
        );
        return;
      }
    }
    const d = drag.current;
    if (d && d.id === event.pointerId) {
      const dx = x - d.x;
      const dy = y - d.y;
      if (!d.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
      d.moved = true;
      const msPerPx = (d.window.to - d.window.from) / plotWidth(layout);
      props.onWindowChange(panBy(d.window, -dx * msPerPx, props.bounds));
      setScroll(Math.min(maxScrollTop(layout), Math.max(0, d.scrollTop - dy)));
      return;
    }
    point(x, y);
  };

  const onPointerUp = (event: React.PointerEvent<HTMLCanvasElement>) => {
    touches.current.delete(event.pointerId);
    if (touches.current.size < 2) pinch.current = null;
    const d = drag.current;
    drag.current = null;
    if (!d || d.id !== event.pointerId || d.moved) return;
    const { x, y } = local(event);
    const hit = hitTest(props.indexes, layout, props.window, x, y);
    if (hit?.kind === 'job') props.onActivateJob(hit.row, hit.job);
    else if (hit) props.onSelectRow(hit.row);
  };

  // Keyboard: the canvas is one focusable control; see the help text for the keys.
  const focusJob = (row: number, direction: 1 | -1) => {
    const index = props.indexes[row];
    if (!index) return;
    const [lo, hi] = visibleJobRange(index, props.window.from, props.window.to);
    if (hi <= lo) return;
    const current =
      pointed?.hit?.kind === 'job' && pointed.hit.row === row ? pointed.hit.index : null;
    let next = current === null ? (direction === 1 ? lo : hi - 1) : current + direction;
    while (next >= lo && next < hi && (index.ends[next] ?? 0) < props.window.from)
      next += direction;
    if (next < lo || next >= hi) return;
    const job = index.jobs[next];
    if (!job) return;
    const width = plotWidth(layout);
    const start = Math.max(props.window.from, job.startedAt);
    const end = Math.min(props.window.to, index.ends[next] ?? start);
    const x =
      (timeToX(start, props.window, layout.labelWidth, width) +
        timeToX(end, props.window, layout.labelWidth, width)) /
      2;
    const y = rowTop(layout, row) + BAR_TOP + 2;
    setPointed({ hit: { kind: 'job', row, index: next, job }, x, y, byKeyboard: true });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const span = props.window.to - props.window.from;
    const rowCount = props.rows.length;
    const current = props.selectedRow ?? -1;
    const selectRow = (row: number) => {
      const clamped = Math.min(rowCount - 1, Math.max(0, row));
      if (rowCount === 0) return;
      props.onSelectRow(clamped);
      setScroll(scrollToRow(layout, clamped));
      setPointed(null);
    };
    const page = Math.max(
      1,
      Math.floor((layout.height - layout.axisHeight) / layout.rowHeight) - 1,
    );
    // A view that follows now zooms around now, so it keeps following.
    const keyAnchor = isLive(props.window, props.bounds.max) ? 1 : 0.5;
    let handled = true;
    switch (event.key) {
      case 'ArrowLeft':
        props.onWindowChange(
          panBy(props.window, -span * (event.shiftKey ? 0.5 : 0.1), props.bounds),
        );
        break;
      case 'ArrowRight':
        props.onWindowChange(
          panBy(props.window, span * (event.shiftKey ? 0.5 : 0.1), props.bounds),
        );
        break;
      case 'ArrowUp':
        selectRow(current - 1);
        break;
      case 'ArrowDown':
        selectRow(current + 1);
        break;
      case 'PageUp':
        selectRow(current - page);
        break;
      case 'PageDown':
        selectRow(current + page);
        break;
      case '+':
      case '=':
        props.onWindowChange(zoomAt(props.window, keyAnchor, 0.8, props.bounds));
        break;
      case '-':
      case '_':
        props.onWindowChange(zoomAt(props.window, keyAnchor, 1.25, props.bounds));
        break;
      case ']':
        if (current >= 0) focusJob(current, 1);
        break;
      case '[':
        if (current >= 0) focusJob(current, -1);
        break;
      case 'Enter':
      case ' ':
        if (pointed?.hit?.kind === 'job') props.onActivateJob(pointed.hit.row, pointed.hit.job);
        else if (current >= 0) focusJob(current, 1);
        break;
      case 'Escape':
        setPointed(null);
        props.onEscape();
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  };

  const { first, last } = visibleRows(layout);
  const jobsInView = useMemo(() => {
    let count = 0;
    for (let r = 0; r < props.indexes.length; r++) {
      const index = props.indexes[r];
      if (!index) continue;
      const [lo, hi] = visibleJobRange(index, props.window.from, props.window.to);
      count += hi - lo;
    }
    return count;
  }, [props.indexes, props.window]);

  const label = `Fleet timeline: ${props.rows.length} ${props.rows.length === 1 ? 'row' : 'rows'}, about ${jobsInView} jobs between ${clockTime(props.window.from)} and ${clockTime(props.window.to)}; rows ${first + 1} to ${last + 1} in view.`;

  return (
    <div className="tl-canvas-wrap">
      <div
        className="tl-scroll"
        ref={scrollRef}
        onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
        data-testid="timeline-scroll"
      >
        <canvas
          ref={canvasRef}
          className="tl-canvas"
          style={{ width: `${layout.width}px`, height: `${layout.height}px` }}
          tabIndex={0}
          role="application"
          aria-roledescription="timeline"
          aria-label={label}
          aria-describedby="tl-help"
          data-testid="timeline-canvas"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onPointerLeave={() => {
            if (!drag.current) setPointed((old) => (old?.byKeyboard ? old : null));
          }}
          onKeyDown={onKeyDown}
          onDoubleClick={(event) => {
            const { x, y } = local(event);
            const hit = hitTest(props.indexes, layout, props.window, x, y);
            if (hit?.kind === 'job') props.onOpenJob(hit.row, hit.job);
          }}
        />
        <div
          aria-hidden="true"
          style={{
            height: `${Math.max(0, layout.axisHeight + layout.rowHeight * layout.rowCount - layout.height)}px`,
          }}
        />
      </div>
      {pointed ? (
        <TimelineTooltip pointed={pointed} layout={layout} now={props.now} rows={props.rows} />
      ) : null}
      <div className="visually-hidden" aria-live="polite" data-testid="timeline-announce">
        {pointed?.byKeyboard && pointed.hit?.kind === 'job'
          ? `${jobTitle(pointed.hit.job)}, ${pointed.hit.job.projectPath ?? 'unknown project'}, ${STATUS_LABEL[pointed.hit.job.status]}, started ${clockTime(pointed.hit.job.startedAt)}, ${durationText(pointed.hit.job, props.now)}. Enter opens its details.`
          : props.selectedRow !== null
            ? `Row ${props.selectedRow + 1} of ${props.rows.length}: ${props.rows[props.selectedRow]?.name ?? ''}.`
            : ''}
      </div>
    </div>
  );
}

/** An 8×8 tile for a pattern; null where canvases have no 2D context. */
function makeTile(): CanvasRenderingContext2D | null {
  const tile = document.createElement('canvas');
  tile.width = 8;
  tile.height = 8;
  return tile.getContext('2d');
}

function sameHit(a: TimelineHit, b: TimelineHit): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind !== b.kind || a.row !== b.row) return false;
  if (a.kind === 'job' && b.kind === 'job') return a.job.key === b.job.key;
  if (a.kind === 'mark' && b.kind === 'mark') return a.index === b.index;
  return true;
}

/** The hover (or keyboard) tooltip: the job's details, or what a mark says. */
