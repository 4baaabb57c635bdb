import type { TimelineJobStatus, TimelineMarkKind } from '../../shared/timeline';

/**
 * Colours of the timeline canvas. Status and mark colours come from the Okabe–Ito palette,
 * which stays distinguishable with the common colour-vision deficiencies; every status
 * also has its own pattern or outline (see draw.ts), so colour is never the only cue.
 */
export interface TimelinePalette {
  background: string;
  rowAlt: string;
  rowSelected: string;
  grid: string;
  axisText: string;
  labelText: string;
  mutedText: string;
  now: string;
  noHistory: string;
  focus: string;
  barText: string;
  status: Record<TimelineJobStatus, { fill: string; stroke: string }>;
  /** Disk strip: use below the warn level in five steps of lightness, then warn, then over. */
  diskLow: readonly [string, string, string, string, string];
  diskWarn: string;
  diskOver: string;
  marks: Record<TimelineMarkKind, string>;
}

export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

const light: TimelinePalette = {
  background: '#ffffff',
  rowAlt: '#f4f6f9',
  rowSelected: '#e4edfc',
  grid: '#dde1e8',
  axisText: '#3d4553',
  labelText: '#1d2330',
  mutedText: '#5c6677',
  now: '#2f6fdb',
  noHistory: 'rgba(92, 102, 119, 0.14)',
  focus: '#1d2330',
  barText: '#ffffff',
  status: {
    success: { fill: OKABE_ITO.bluishGreen, stroke: '#006b4f' },
    failed: { fill: OKABE_ITO.vermillion, stroke: '#7a3500' },
    running: { fill: OKABE_ITO.blue, stroke: '#00446b' },
    canceled: { fill: 'rgba(0, 0, 0, 0)', stroke: '#5c6677' },
    other: { fill: 'rgba(204, 121, 167, 0.25)', stroke: '#8f4a72' },
  },
  diskLow: ['#eef0f3', '#dfe2e7', '#ccd1d8', '#b7bdc6', '#a0a7b2'],
  diskWarn: OKABE_ITO.orange,
  diskOver: OKABE_ITO.vermillion,
  marks: {
    proposed: '#b57d00',
    killed: OKABE_ITO.vermillion,
    cleaned: OKABE_ITO.bluishGreen,
    failed: '#a34700',
    refused: '#8f4a72',
    'dry-run': '#5c6677',
  },
};

const dark: TimelinePalette = {
  background: '#1b1f26',
  rowAlt: '#20252d',
  rowSelected: '#233250',
  grid: '#2c323c',
  axisText: '#c3cad6',
  labelText: '#e3e7ee',
  mutedText: '#98a2b3',
  now: '#6fa0ff',
  noHistory: 'rgba(152, 162, 179, 0.12)',
  focus: '#ffffff',
  barText: '#0b0d10',
  status: {
    success: { fill: '#1fb88c', stroke: '#8de3c8' },
    failed: { fill: '#f07a2a', stroke: '#ffc59c' },
    running: { fill: OKABE_ITO.skyBlue, stroke: '#b8e1f7' },
    canceled: { fill: 'rgba(0, 0, 0, 0)', stroke: '#98a2b3' },
    other: { fill: 'rgba(204, 121, 167, 0.3)', stroke: '#e3a9c9' },
  },
  diskLow: ['#262b33', '#303640', '#3b424d', '#47505c', '#56606d'],
  diskWarn: OKABE_ITO.orange,
  diskOver: '#ff7a3d',
  marks: {
    proposed: OKABE_ITO.yellow,
    killed: '#ff7a3d',
    cleaned: '#1fb88c',
    failed: '#f0a050',
    refused: '#e3a9c9',
    'dry-run': '#98a2b3',
  },
};

/** The palette of a colour scheme. */
export function paletteFor(scheme: 'light' | 'dark'): TimelinePalette {
  return scheme === 'dark' ? dark : light;
}

/** Colour of a disk sample; null (not read) is drawn as nothing: unknown is never "low". */
export function diskColour(
  palette: TimelinePalette,
  pct: number | null,
  warnPct: number,
  killPct: number,
): string | null {
  if (pct === null) return null;
  if (pct >= killPct) return palette.diskOver;
  if (pct >= warnPct) return palette.diskWarn;
  const step = Math.min(4, Math.floor((pct / Math.max(1, warnPct)) * 5));
  return palette.diskLow[step] ?? palette.diskLow[4];
}

/** Patterns laid over bars so status reads without colour: hatch = failed, stripes = running. */
export interface TimelinePatterns {
  failed: CanvasPattern | null;
  running: CanvasPattern | null;
  noHistory: CanvasPattern | null;
}

/**
 * Builds the patterns once per palette from small tiles. `makeTile` returns a 2D context
 * of an 8×8 canvas, or null where there is none (then bars keep their outlines only).
 */
export function createPatterns(
  target: Pick<CanvasRenderingContext2D, 'createPattern'>,
  makeTile: () => CanvasRenderingContext2D | null,
  palette: TimelinePalette,
): TimelinePatterns {
  const tile = (paint: (ctx: CanvasRenderingContext2D) => void): CanvasPattern | null => {
    const ctx = makeTile();
    if (!ctx) return null;
    paint(ctx);
    return target.createPattern(ctx.canvas, 'repeat');
  };
  return {
    failed: tile((ctx) => {
      // Cross-hatch in the bar text colour: failed jobs read as "crossed out".
      ctx.strokeStyle = palette.barText;
      ctx.globalAlpha = 0.55;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(0, 8);
      ctx.lineTo(8, 0);
      ctx.moveTo(0, 0);
      ctx.lineTo(8, 8);
      ctx.stroke();
    }),
    running: tile((ctx) => {
      ctx.fillStyle = palette.barText;
      ctx.globalAlpha = 0.35;
      ctx.fillRect(0, 0, 3, 8);
    }),
    noHistory: tile((ctx) => {
      ctx.strokeStyle = palette.mutedText;
      ctx.globalAlpha = 0.35;
      ctx.beginPath();
      ctx.moveTo(0, 8);
      ctx.lineTo(8, 0);
      ctx.stroke();
    }),
  };
}
