/*
 * Issue 13, point 5: the renderer in Debian's Chromium (playwright-core, /usr/bin/chromium
 * with the e2e flags), fed by the real serve host over HTTP + SSE with a synthetic fleet of
 * 1,000 machines and 10,000 jobs (bench/synthetic-serve.ts).
 *
 * Timeline: first paint (from the click on the tab to the first painted frame with jobs
 * drawn), then frame times during a scripted zoom, pan and row scroll over the whole day:
 * the interval between animation frames (requestAnimationFrame timestamps in the page; a
 * dropped frame shows as ~33 ms) and the main thread's work per frame (from a Chrome trace:
 * the renderer main thread's tasks, summed per frame). Fleet view with 1,000 rows: the
 * cost of one snapshot delta, from the SSE event's arrival in the page to the painted
 * frame that shows the change, for deltas of 1, 100 and 1,000 machines.
 *
 * Figures go to bench/results/renderer-timeline.json; nothing here asserts a time.
 */
import { chromium, type Page } from 'playwright-core';
import e2eConfig from '../test/e2e/playwright.config';
import { describeMachine, writeResult, type TargetResult } from './lib/results';
import { startSyntheticServe } from './lib/synthetic-serve';

const MACHINES = Number(process.env.RW_BENCH_MACHINES ?? 1000);
const JOBS = Number(process.env.RW_BENCH_JOBS ?? 10_000);
const DELTAS = 15;
const VIEWPORT = { width: 1440, height: 900 };

const round = (ms: number) => Math.round(ms * 10) / 10;
const pct = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN);
};
const stats = (values: number[]) => ({
  count: values.length,
  p50: pct(values, 50),
  p95: pct(values, 95),
  max: pct(values, 100),
});

/**
 * Page-side instruments, installed before the app's scripts: SSE arrival times, a frame
 * recorder, and "after the next paint" (a message posted from requestAnimationFrame runs
 * once that frame is rendered).
 */
function instruments() {
  interface Bench {
    lastEventAt: number | null;
    afterPaint(): Promise<number>;
    frames: number[] | null;
    startFrames(): void;
    stopFrames(): number[];
    pending: Promise<{ arrival: number | null; painted: number }> | null;
  }
  const bench: Bench = {
    lastEventAt: null,
    afterPaint: () =>
      new Promise((resolve) =>
        requestAnimationFrame(() => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => resolve(performance.now());
          channel.port2.postMessage(0);
        }),
      ),
    frames: null,
    startFrames() {
      const frames: number[] = [];
      bench.frames = frames;
      const loop = (ts: number) => {
        if (bench.frames !== frames) return;
        frames.push(ts);
        requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
    },
    stopFrames() {
      const frames = bench.frames ?? [];
      bench.frames = null;
      return frames;
    },
    pending: null,
  };
  (globalThis as unknown as { __rwBench: Bench }).__rwBench = bench;
  // The HTTP transport reads the SSE stream with fetch and a stream reader: the first
  // chunk of an event (`event: rw:fleet:event`) is its arrival.
  const marker = new TextEncoder().encode('event: rw:fleet:event');
  const read = ReadableStreamDefaultReader.prototype.read;
  ReadableStreamDefaultReader.prototype.read = function (this: ReadableStreamDefaultReader) {
    return read.call(this).then((result: ReadableStreamReadResult<unknown>) => {
      const chunk = result.value;
      if (
        bench.lastEventAt === null &&
        chunk instanceof Uint8Array &&
        marker.every((byte, k) => chunk[k] === byte)
      )
        bench.lastEventAt = performance.now();
      return result;
    });
  } as typeof read;
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

/**
 * Main-thread work per frame from a Chrome trace: the renderer main thread's top-level
 * tasks, each counted in the frame (BeginMainThreadFrame to the next) it started in.
 */
function workPerFrame(trace: { traceEvents: TraceEvent[] }): number[] {
  const main = trace.traceEvents.find(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  );
  if (!main) throw new Error('no renderer main thread in the trace');
  const onMain = trace.traceEvents.filter((e) => e.pid === main.pid && e.tid === main.tid);
  const frames = onMain
    .filter((e) => e.name === 'BeginMainThreadFrame')
    .map((e) => e.ts)
    .sort((a, b) => a - b);
  const tasks = onMain
    .filter(
      (e) => e.ph === 'X' && (e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask'),
    )
    .sort((a, b) => a.ts - b.ts);
  const work = new Array<number>(Math.max(0, frames.length - 1)).fill(0);
  let f = 0;
  for (const task of tasks) {
    while (f < frames.length - 1 && task.ts >= frames[f + 1]!) f++;
    if (f >= frames.length - 1 || task.ts < frames[0]!) continue;
    work[f]! += (task.dur ?? 0) / 1000;
  }
  return work;
}

const machine = describeMachine();
const serve = await startSyntheticServe({ machines: MACHINES, jobs: JOBS });
const launch = e2eConfig.use?.launchOptions;
const browser = await chromium.launch({
  executablePath: launch?.executablePath ?? '/usr/bin/chromium',
  args: launch?.args ?? [],
  headless: true,
});
const results: Record<string, unknown> = {};
const browserVersion = browser.version();
try {
  const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light' });
  const page = await context.newPage();
  // tsx (esbuild) wraps named functions in __name(…); functions sent to the page need it.
  await page.addInitScript('globalThis.__name = (target) => target;');
  await page.addInitScript(instruments);
  const timelineBytes = { value: 0 };
  page.on('response', (response) => {
    if (response.url().includes('rw:timeline:get'))
      void response.body().then(
        (b) => (timelineBytes.value = b.length),
        () => undefined,
      );
  });
  const loadStarted = Date.now();
  await page.goto(serve.url);
  await page.getByTestId('machine-row').first().waitFor({ timeout: 60_000 });
  const fleetFirstRowMs = Date.now() - loadStarted;

  // Fleet view, 1,000 rows: delta arrival → painted frame showing machine 0's new disk use.
  const deltaCost = async (changed: number) => {
    const costs: number[] = [];
    const sizes: { upserted: number; refreshed: number; bytes: number }[] = [];
    for (let i = 0; i < DELTAS; i++) {
      await armForChange(page, serve.machineName(0));
      await serve.change(changed);
      const { arrival, painted } = await page.evaluate(() => {
        const bench = (
          globalThis as unknown as {
            __rwBench: { pending: Promise<{ arrival: number | null; painted: number }> };
          }
        ).__rwBench;
        return bench.pending;
      });
      if (arrival === null) throw new Error('no fleet event arrived');
      costs.push(painted - arrival);
      sizes.push(serve.lastDelta());
    }
    const last = sizes[sizes.length - 1];
    return {
      ...stats(costs),
      machinesInDelta: last?.upserted ?? 0,
      refreshedInDelta: last?.refreshed ?? 0,
      deltaKiB: Math.round((last?.bytes ?? 0) / 1024),
    };
  };
  const fleetDelta = {
    rows: MACHINES,
    delta1: await deltaCost(1),
    delta100: await deltaCost(100),
    deltaAll: await deltaCost(MACHINES),
  };
  console.log(
    `Fleet view, ${MACHINES} rows (first row after ${fleetFirstRowMs} ms): delta → painted frame ` +
      `p50/p95: 1 machine changed ${fleetDelta.delta1.p50}/${fleetDelta.delta1.p95} ms, 100 ` +
      `${fleetDelta.delta100.p50}/${fleetDelta.delta100.p95} ms, all ${MACHINES} ` +
      `${fleetDelta.deltaAll.p50}/${fleetDelta.deltaAll.p95} ms (the engine's deltas carry ` +
      `${fleetDelta.delta1.machinesInDelta}/${fleetDelta.delta100.machinesInDelta}/${fleetDelta.deltaAll.machinesInDelta} machines whole and ` +
      `${fleetDelta.delta1.refreshedInDelta}/${fleetDelta.delta100.refreshedInDelta}/${fleetDelta.deltaAll.refreshedInDelta} as read times, ` +
      `${fleetDelta.delta1.deltaKiB}/${fleetDelta.delta100.deltaKiB}/${fleetDelta.deltaAll.deltaKiB} KiB)`,
  );
  results.fleet = { firstRowAfterLoadMs: fleetFirstRowMs, ...fleetDelta };

  // Timeline: first paint from the tab click to the first painted frame with jobs drawn.
  const firstPaint = await page.evaluate(async () => {
    const bench = (globalThis as unknown as { __rwBench: { afterPaint(): Promise<number> } })
      .__rwBench;
    const link = [...document.querySelectorAll('a')].find(
      (a) => a.textContent?.trim() === 'Timeline',
    );
    if (!link) throw new Error('no Timeline tab');
    const started = performance.now();
    const drawn = new Promise<void>((resolve) => {
      const check = () => {
        const canvas = document.querySelector('[data-testid="timeline-canvas"]');
        return Number(canvas?.getAttribute('data-jobs-drawn') ?? 0) > 0;
      };
      const observer = new MutationObserver(() => {
        if (check()) {
          observer.disconnect();
          resolve();
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    link.click();
    await drawn;
    const painted = await bench.afterPaint();
    return painted - started;
  });
  const counts = (await page.getByTestId('timeline-counts').textContent()) ?? '';
  console.log(
    `Timeline first paint: ${round(firstPaint)} ms (${counts.trim()}; rw:timeline:get ${Math.round(timelineBytes.value / 1024)} KiB)`,
  );

  // The whole day in view: every job is a candidate for drawing.
  await page.getByTestId('preset-24h').click();
  await page.waitForTimeout(300);
  const canvas = page.getByTestId('timeline-canvas');
  const box = await canvas.boundingBox();
  if (!box) throw new Error('no timeline canvas');
  const cx = box.x + box.width * 0.6;
  const cy = box.y + Math.min(box.height / 2, 300);
  await page.mouse.move(cx, cy);

  await browser.startTracing(page, {
    categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline.frame'],
  });
  await page.evaluate(() =>
    (globalThis as unknown as { __rwBench: { startFrames(): void } }).__rwBench.startFrames(),
  );
  // Zoom in (Ctrl + wheel), drag-pan back and forth, scroll rows, zoom out again.
  await page.keyboard.down('Control');
  for (let i = 0; i < 30; i++) await page.mouse.wheel(0, -60);
  await page.keyboard.up('Control');
  await page.mouse.down();
  for (let i = 1; i <= 40; i++) await page.mouse.move(cx - i * 8, cy + (i % 2));
  for (let i = 1; i <= 40; i++) await page.mouse.move(cx - 320 + i * 8, cy);
  await page.mouse.up();
  for (let i = 0; i < 30; i++) await page.mouse.wheel(0, 120);
  await page.keyboard.down('Control');
  for (let i = 0; i < 30; i++) await page.mouse.wheel(0, 60);
  await page.keyboard.up('Control');
  const stamps = await page.evaluate(() =>
    (globalThis as unknown as { __rwBench: { stopFrames(): number[] } }).__rwBench.stopFrames(),
  );
  const trace = JSON.parse((await browser.stopTracing()).toString('utf8')) as {
    traceEvents: TraceEvent[];
  };
  const intervals = stamps.slice(1).map((t, i) => t - stamps[i]!);
  const work = workPerFrame(trace).filter((w) => w > 0);
  const drawn = Number(await canvas.getAttribute('data-jobs-drawn'));
  results.timeline = {
    machines: MACHINES,
    jobs: JOBS,
    counts: counts.trim(),
    timelineResponseKiB: Math.round(timelineBytes.value / 1024),
    firstPaintMs: round(firstPaint),
    frameIntervalMs: stats(intervals),
    mainThreadWorkPerFrameMs: stats(work),
    jobsDrawnInLastFrame: drawn,
  };
  console.log(
    `Timeline pan/zoom over ${intervals.length} frames: interval p50 ${pct(intervals, 50)} ms, p95 ` +
      `${pct(intervals, 95)} ms, max ${pct(intervals, 100)} ms; main-thread work per frame p50 ` +
      `${pct(work, 50)} ms, p95 ${pct(work, 95)} ms, max ${pct(work, 100)} ms (${work.length} frames with work)`,
  );
  await context.close();
} finally {
  await browser.close();
  await serve.dispose();
}

/**
 * Arms the page for the next delta: `pending` resolves (in the page) once machine `name`'s
 * row shows another disk use than now, with the arrival time of the last fleet event
 * before that and the time after the frame that shows it was painted.
 */
async function armForChange(page: Page, name: string): Promise<void> {
  await page.evaluate((machine) => {
    const bench = (
      globalThis as unknown as {
        __rwBench: {
          lastEventAt: number | null;
          afterPaint(): Promise<number>;
          pending: Promise<{ arrival: number | null; painted: number }> | null;
        };
      }
    ).__rwBench;
    const read = () => {
      const row = [...document.querySelectorAll('[data-testid="machine-row"]')].find(
        (r) => r.querySelector('[data-testid="machine-name"]')?.getAttribute('title') === machine,
      );
      return row?.querySelector('[data-testid="disk-pct"]')?.textContent?.trim() ?? null;
    };
    const before = read();
    if (before === null) throw new Error(`machine ${machine} is not on screen`);
    bench.lastEventAt = null;
    bench.pending = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (read() === before) return;
        observer.disconnect();
        const arrival = bench.lastEventAt;
        void bench.afterPaint().then((painted) => resolve({ arrival, painted }));
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  }, name);
}

interface TimelineFigures {
  frameIntervalMs: { p95: number };
  mainThreadWorkPerFrameMs: { p95: number };
}

/** Issue 13's renderer target, in the shape bench/run.ts summarises. */
function timelineTargets(timeline: TimelineFigures | undefined): TargetResult[] {
  if (!timeline) return [];
  const work = timeline.mainThreadWorkPerFrameMs.p95;
  const interval = timeline.frameIntervalMs.p95;
  return [
    {
      what: `Timeline ${MACHINES} × ${JOBS}: main-thread work per frame during pan/zoom (p95)`,
      target: '< 16 ms',
      value: `${work} ms`,
      met: work < 16,
    },
    {
      what: 'Timeline: interval between frames during pan/zoom (p95; 16.7 ms = no frame dropped)',
      target: '≤ 16.7 ms',
      value: `${interval} ms`,
      met: interval <= 16.7 + 0.5,
    },
  ];
}

writeResult(
  'renderer-timeline',
  machine,
  timelineTargets(results.timeline as TimelineFigures | undefined),
  {
    browser: `Chromium ${browserVersion} (headless, /usr/bin/chromium)`,
    viewport: VIEWPORT,
    ...results,
  },
);
