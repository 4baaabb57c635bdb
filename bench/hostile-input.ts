// Cost of the hostile-input guards: parsing the worst `df` rows a host can send (one row
// at the 8192-character bound, one far past it) and checking a fleet's readings against
// the contract before they enter the model. Run: npx tsx bench/hostile-input.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { checkReading } from '../electron/core/fleet/reading-check';
import { MAX_DF_LINE, parseDf } from '../electron/core/sources/ssh/probe-parse';

const HEADER = 'Filesystem     1024-blocks     Used Available Capacity Mounted on';

/** Median milliseconds of `runs` calls of `fn`, after one warm-up call. */
function median(runs: number, fn: () => void): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Math.round((times[Math.floor(times.length / 2)] ?? 0) * 1000) / 1000;
}

const attempt = (text: string) => () => {
  try {
    parseDf(text, 'k');
  } catch {
    // Refused rows are the point here; the figure is how long refusing takes.
  }
};

const rows = {
  'df row of 50,000 spaces (refused by length)': `${HEADER}\n/dev/vda${' '.repeat(50_000)}x`,
  'df row of spaces at the bound': `${HEADER}\n/dev/vda${' '.repeat(MAX_DF_LINE - 10)}x`,
  'df row of figures at the bound (most split points)': `${HEADER}\na ${'1 '.repeat((MAX_DF_LINE - 4) / 2)}`,
  'df row, ordinary': `${HEADER}\n/dev/vda 264212084 24032592 82358320 23% /`,
};

const disks = [
  {
    mount: '/',
    sizeBytes: 80e9,
    usedBytes: 4e10,
    availBytes: 4e10,
    usedPct: 50,
    inodesTotal: 5e6,
    inodesUsed: 1e5,
    inodesUsedPct: 2,
  },
  {
    mount: '/var/lib/docker',
    sizeBytes: 8e10,
    usedBytes: 4e10,
    availBytes: 4e10,
    usedPct: 50,
    inodesTotal: null,
    inodesUsed: null,
    inodesUsedPct: null,
  },
];
const load = {
  load1: 1,
  load5: 1,
  load15: 1,
  cpus: 4,
  memTotalBytes: 16e9,
  memAvailableBytes: 8e9,
};

const results: { case: string; medianMs: number }[] = Object.entries(rows).map(([name, text]) => ({
  case: name,
  medianMs: median(50, attempt(text)),
}));
results.push({
  case: 'contract check of 5,000 machines (disks, jobs, load)',
  medianMs: median(10, () => {
    for (let i = 0; i < 5000; i++) {
      checkReading('disks', disks);
      checkReading('jobs', []);
      checkReading('load', load);
    }
  }),
});
console.table(results);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/hostile-input.json',
  `${JSON.stringify({ bench: 'hostile-input', node: process.version, at: new Date().toISOString(), results }, null, 2)}\n`,
);
console.log('wrote bench/results/hostile-input.json');
