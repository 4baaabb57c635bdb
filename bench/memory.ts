// Core process memory for a day of history and the day after (issue 13, point 3): 1,000
// machines, 60 runners, 50,000 jobs a day, 30 s cycles on a fast scenario clock. The core
// (bench/lib/memory-core.ts) is bundled with esbuild and run by plain node — no
// TypeScript loader in the measured process. Targets: ≤ 150 MB RSS after 24 h; ≤ 5 %
// growth over the next 24 h. Run: npx tsx bench/memory.ts  (RW_BENCH_HOURS=48 default)
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describeMachine, writeResult, type TargetResult } from './lib/results';

const machine = describeMachine();
const hours = Number(process.env.RW_BENCH_HOURS ?? 48);
// Inside node_modules so the bundle's bare imports (zod, p-limit, …) resolve from there.
const outDir = join('node_modules', '.cache', 'rw-bench-memory');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, 'core.mjs');
await build({
  entryPoints: ['bench/lib/memory-core.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile,
  logLevel: 'warning',
});

interface Sample {
  hour: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  [key: string]: unknown;
}
const out = await new Promise<{ samples: Sample[] }>((resolve, reject) => {
  const child = spawn(process.execPath, ['--expose-gc', outfile], {
    env: { ...process.env, RW_BENCH_HOURS: String(hours) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    const line = chunk.toString().trim();
    if (line) console.log(line.slice(0, 240));
  });
  child.on('exit', (code) => {
    if (code !== 0) return reject(new Error(`memory core exited with ${code}`));
    const last = stdout.trim().split('\n').pop() ?? '{}';
    resolve(JSON.parse(last) as { samples: Sample[] });
  });
});
rmSync(outDir, { recursive: true, force: true });

const at = (h: number) => out.samples.find((s) => s.hour === h);
const day = at(Math.min(24, hours));
const end = at(hours);
const targets: TargetResult[] = [];
if (day)
  targets.push({
    what: `core RSS after ${day.hour} h of history (1,000 machines, 50,000 jobs/day)`,
    target: '<= 150 MB',
    value: day.rssMiB,
    met: day.rssMiB <= 150,
  });
if (day && end && end !== day) {
  const growth = Number(((end.rssMiB / day.rssMiB - 1) * 100).toFixed(1));
  targets.push({
    what: `RSS growth from hour ${day.hour} to hour ${end.hour}`,
    target: '<= 5 %',
    value: `${growth} %`,
    met: growth <= 5,
  });
  const heapGrowth = Number(((end.heapUsedMiB / day.heapUsedMiB - 1) * 100).toFixed(1));
  targets.push({
    what: `live heap growth from hour ${day.hour} to hour ${end.hour}`,
    target: '<= 5 %',
    value: `${heapGrowth} %`,
    met: heapGrowth <= 5,
  });
}
writeResult('memory', machine, targets, {
  machines: 1000,
  runners: 60,
  jobsPerDay: 50_000,
  cycleSec: 30,
  hours,
  samples: out.samples,
});
