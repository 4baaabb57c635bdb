import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import type { JobPhase } from '../../shared/job-metrics';
import { formatMetric, type MetricChartSpec } from '../job-metrics-charts';

const HEIGHT = 150;

/** The page's colours (styles.css variables), read when a chart is built. */
function themeColors() {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    fg: v('--muted', '#5c6677'),
    line: v('--line', '#dde1e8'),
    lines: [
      v('--accent', '#2f6fdb'),
      v('--warn', '#c7870b'),
      v('--ok', '#2e8b57'),
      v('--critical', '#cf3b3b'),
    ],
  };
}

/** Follows the light/dark switch so a chart is rebuilt in the new colours. */
function useColorScheme(): string {
  const query =
    typeof window.matchMedia === 'function'
      ? window.matchMedia('(prefers-color-scheme: dark)')
      : null;
  const [dark, setDark] = useState(query?.matches ?? false);
  useEffect(() => {
    if (!query) return;
    const onChange = (event: MediaQueryListEvent) => setDark(event.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, [query]);
  return dark ? 'dark' : 'light';
}

/** Shades the job's phases behind the lines, each with its name at the top. */
function phaseBands(phases: readonly JobPhase[], colors: ReturnType<typeof themeColors>) {
  return (u: uPlot) => {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const end = u.scales.x?.max ?? 0;
    ctx.save();
    ctx.font = `${Math.round(10 * devicePixelRatio)}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    phases.forEach((phase, i) => {
      const x0 = Math.max(left, u.valToPos(phase.startedAt / 1000, 'x', true));
      const x1 = Math.min(
        left + width,
        u.valToPos((phase.finishedAt ?? end * 1000) / 1000, 'x', true),
      );
      if (!(x1 > x0)) return;
      ctx.globalAlpha = i % 2 === 0 ? 0.07 : 0.13;
      ctx.fillStyle = colors.fg;
      ctx.fillRect(x0, top, x1 - x0, height);
      ctx.globalAlpha = 0.9;
      ctx.fillStyle = colors.fg;
      if (x1 - x0 > 40 * devicePixelRatio) ctx.fillText(phase.name, x0 + 3, top + 2);
    });
    ctx.restore();
  };
}

/** One uPlot time-series chart, sized to its container, phases shaded. */
export function MetricChart(props: { spec: MetricChartSpec; phases: readonly JobPhase[] }) {
  const host = useRef<HTMLDivElement>(null);
  const scheme = useColorScheme();
  const { spec, phases } = props;
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const colors = themeColors();
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      series: [
        {},
        ...spec.labels.map((label, i) => ({
          label,
          stroke: colors.lines[i % colors.lines.length] ?? colors.fg,
          width: 1.5,
          value: (_u: uPlot, v: number | null) => formatMetric(v, spec.unit),
        })),
      ],
      axes: [
        {
          stroke: colors.fg,
          grid: { stroke: colors.line, width: 1 },
          ticks: { stroke: colors.line },
        },
        {
          stroke: colors.fg,
          size: 72,
          grid: { stroke: colors.line, width: 1 },
          ticks: { stroke: colors.line },
          values: (_u, splits) => splits.map((v) => formatMetric(v, spec.unit)),
        },
      ],
      scales: {
        x: { time: true },
        y:
          spec.unit === 'percent'
            ? { range: [0, 100] }
            : { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
      },
      cursor: { drag: { x: true, y: false } },
      hooks: { drawClear: [phaseBands(phases, colors)] },
    };
    const plot = new uPlot(options, spec.data, el);
    const resize =
      typeof ResizeObserver === 'function'
        ? new ResizeObserver(() =>
            plot.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }),
          )
        : null;
    resize?.observe(el);
    return () => {
      resize?.disconnect();
      plot.destroy();
    };
  }, [spec, phases, scheme]);
  return (
    <figure className="metric-chart" data-testid={`chart-${spec.id}`}>
      <figcaption>{spec.title}</figcaption>
      <div ref={host} className="metric-chart-plot" />
    </figure>
  );
}
