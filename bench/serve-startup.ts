// Start-up of the serve host on the demo fleet (issue 13, point 6): from spawning
// `node bin/runner-watch.mjs demo --browser` to the URL line, to the first snapshot the
// API answers, and to the first snapshot in which every source has reported and every VM
// has a disk reading (what the Fleet view needs to show more than placeholders).
// Run: npx tsx bench/serve-startup.ts  (RUNS=3)
import { spawn } from 'node:child_process';
import { FleetSnapshot } from '../shared/fleet';
import { describeMachine, writeResult } from './lib/results';

const machine = describeMachine();
const RUNS = Number(process.env.RUNS ?? 3);
const URL_LINE = /Runner Watch: (http:\/\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+)\/\?token=(\S+)/;

async function once() {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['bin/runner-watch.mjs', 'demo', '--no-open', '--browser', '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const { origin, token } = await new Promise<{ origin: string; token: string }>(
      (resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL line in 60 s: ${stderr}`)), 60_000);
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          const m = URL_LINE.exec(stdout);
          if (m?.[1] && m[2]) {
            clearTimeout(timer);
            resolve({ origin: m[1], token: m[2] });
          }
        });
        child.once('exit', (code) => reject(new Error(`demo exited (${code}): ${stderr}`)));
      },
    );
    const urlMs = performance.now() - started;
    let firstMs: number | null = null;
    let completeMs: number | null = null;
    let machines = 0;
    const deadline = performance.now() + 60_000;
    while (completeMs === null && performance.now() < deadline) {
      const res = await fetch(`${origin}/api/invoke/${encodeURIComponent('rw:fleet:snapshot')}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin },
        body: '{}',
      }).catch(() => null);
      if (res?.ok) {
        const body: unknown = await res.json();
        const parsed = FleetSnapshot.safeParse(
          (body as { result?: unknown } | null)?.result ?? body,
        );
        if (parsed.success) {
          firstMs ??= performance.now() - started;
          const snap = parsed.data;
          const reported = snap.sources.every((s) => s.lastRunAt !== null);
          const vms = snap.machines.filter((m) => m.kind === 'autoscaled');
          const withDisk = vms.filter((m) => (m.disks.value?.length ?? 0) > 0).length;
          if (reported && vms.length > 0 && withDisk === vms.length) {
            completeMs = performance.now() - started;
            machines = snap.machines.length;
          }
        }
      } else if (res) {
        await res.body?.cancel();
      }
      if (completeMs === null) await new Promise((r) => setTimeout(r, 25));
    }
    return {
      urlLineMs: Math.round(urlMs),
      firstSnapshotMs: firstMs === null ? null : Math.round(firstMs),
      completeSnapshotMs: completeMs === null ? null : Math.round(completeMs),
      machines,
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const runs = [];
for (let i = 0; i < RUNS; i++) {
  const r = await once();
  console.log(r);
  runs.push(r);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const complete = runs.map((r) => r.completeSnapshotMs ?? Number.POSITIVE_INFINITY);
writeResult(
  'serve-startup',
  machine,
  [
    {
      what: 'serve host (demo fleet): start → first complete snapshot, median',
      target: 'reported (the issue sets no figure)',
      value: median(complete),
      met: complete.every(Number.isFinite),
    },
  ],
  {
    medianUrlLineMs: median(runs.map((r) => r.urlLineMs)),
    medianFirstSnapshotMs: median(runs.map((r) => r.firstSnapshotMs ?? Number.POSITIVE_INFINITY)),
    medianCompleteSnapshotMs: median(complete),
    runs,
  },
);
process.exit(0);
