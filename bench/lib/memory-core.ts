// The measured process of bench/memory.ts, bundled by esbuild and run by plain node
// (no TypeScript loader): the core runtime as the serve host builds it (engine, sources,
// reaper with audit log, timeline, cost, alerts) over MemoryWorld, on a fast scenario
// clock of 30 s cycles. Prints one JSON line with the samples.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { tuneHeapForLongRun } from '../../electron/core/heap-tuning';
import { createRuntime } from '../../electron/core/runtime';
import { Settings } from '../../shared/settings';
import { MemoryWorld } from './memory-world';

// As the serve host and the desktop app do at start (RW_BENCH_NO_TUNING=1: V8's defaults).
if (!process.env.RW_BENCH_NO_TUNING) tuneHeapForLongRun();
const CYCLE_MS = 30_000;
const HOURS = Number(process.env.RW_BENCH_HOURS ?? 48);
const MACHINES = Number(process.env.RW_BENCH_MACHINES ?? 1000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

let clock = Date.UTC(2026, 10, 23, 0, 0, 0);
const now = () => clock;
const world = new MemoryWorld(
  { machines: MACHINES, runners: 60, jobsPerDay: 50_000, start: clock },
  now,
);
const mib = (n: number) => Number((n / 2 ** 20).toFixed(1));
/**
 * Where the RSS is, from /proc/self/smaps (Linux): mapped files (node's code, libraries),
 * the brk heap and anonymous mappings by size — V8's heap pages are 256 KiB chunks
 * (plus large objects), glibc's thread arenas up to 64 MiB.
 */
const rssByMapping = (): Record<string, number> => {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return {};
  }
  const out: Record<string, number> = {};
  let kind = 'other';
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const size = (parseInt(header[2]!, 16) - parseInt(header[1]!, 16)) / 1024;
      const path = header[3] ?? '';
      kind = path.startsWith('/')
        ? 'files'
        : path !== ''
          ? path
          : size <= 256
            ? 'anon ≤256 KiB'
            : size <= 4096
              ? 'anon ≤4 MiB'
              : size <= 65536
                ? 'anon ≤64 MiB'
                : 'anon >64 MiB';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] = (out[kind] ?? 0) + Number(rss[1]) / 1024;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Number(v.toFixed(1))]));
};
const sample = (hour: number, extra: Record<string, number>) => {
  gc();
  const m = process.memoryUsage();
  const h = getHeapStatistics();
  return {
    hour,
    rssMiB: mib(m.rss),
    heapUsedMiB: mib(m.heapUsed),
    heapTotalMiB: mib(m.heapTotal),
    externalMiB: mib(m.external),
    arrayBuffersMiB: mib(m.arrayBuffers),
    mallocedMiB: mib(h.malloced_memory),
    spacesMiB: Object.fromEntries(
      getHeapSpaceStatistics().map((sp) => [sp.space_name, mib(sp.space_used_size)]),
    ),
    spacesCommittedMiB: Object.fromEntries(
      getHeapSpaceStatistics()
        .filter((sp) => sp.space_size > 0)
        .map((sp) => [sp.space_name, mib(sp.space_size)]),
    ),
    rssByMappingMiB: rssByMapping(),
    ...extra,
  };
};
const before = sample(0, {});

globalThis.fetch = world.fetch as typeof fetch;
const stateDir = mkdtempSync(join(tmpdir(), 'rw-bench-memory-'));
const settings = Settings.parse({
  fleets: [{ id: 'ci', kind: 'autoscaled', watchedMounts: ['/'] }],
  hetzner: [
    {
      id: 'h',
      fleet: 'ci',
      token: { env: 'X' },
      apiUrl: 'http://127.0.9.1/v1',
      labelSelector: 'role=ci-runner',
    },
  ],
  gitlab: [{ id: 'gl', url: 'http://127.0.9.2', token: { env: 'X' } }],
  prometheus: [
    { id: 'p', fleet: 'ci', url: 'http://127.0.9.3', machineLabel: 'machine', stripPort: false },
  ],
  probe: { sshConfigFile: null },
  stateDir,
});
const runtime = await createRuntime({
  settings,
  secrets: { resolve: async () => 'bench-token-not-a-secret' },
  host: 'serve',
  demo: false,
  version: 'bench',
  now,
  actions: true,
});
// What the serve host does with every event: one JSON text per SSE client.
let eventBytes = 0;
let events = 0;
let deltaMachines = 0;
let deltaRefreshed = 0;
if (!process.env.RW_BENCH_NO_CLIENT)
  runtime.engine.onEvent((event) => {
    eventBytes += JSON.stringify(event).length;
    events += 1;
    if (event.type === 'delta') {
      deltaMachines += event.upserted.length;
      for (const refresh of event.refreshed ?? []) deltaRefreshed += refresh.keys.length;
    }
  });

// Where the garbage of a cycle comes from (allocation sampling, collected objects included).
if (process.env.RW_BENCH_ALLOC_PROFILE) {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  for (let c = 0; c < 10; c++) {
    clock += CYCLE_MS;
    world.advance();
    await runtime.engine.runOnce();
  }
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 32_768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const cycles = 20;
  for (let c = 0; c < cycles; c++) {
    clock += CYCLE_MS;
    world.advance();
    await runtime.engine.runOnce();
  }
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(process.env.RW_BENCH_ALLOC_PROFILE, JSON.stringify({ cycles, profile }));
  await runtime.dispose();
  process.exit(0);
}

const samples = [before];
const cyclesPerHour = 3_600_000 / CYCLE_MS;
let cycleMs = 0;
for (let hour = 1; hour <= HOURS; hour++) {
  eventBytes = 0;
  events = 0;
  deltaMachines = 0;
  deltaRefreshed = 0;
  const t = performance.now();
  for (let c = 0; c < cyclesPerHour; c++) {
    clock += CYCLE_MS;
    world.advance();
    const snapshot = await runtime.engine.runOnce();
    if (hour === 1 && c === 2) {
      const failing = snapshot.sources.filter((s) => s.state === 'failing');
      if (failing.length > 0)
        throw new Error(
          `sources failing: ${failing.map((s) => `${s.id} ${s.lastError?.message}`).join('; ')}`,
        );
      const withDisk = snapshot.machines.filter((m) => (m.disks.value?.length ?? 0) > 0).length;
      if (withDisk < MACHINES) throw new Error(`only ${withDisk} machines have disks`);
    }
  }
  cycleMs = (performance.now() - t) / cyclesPerHour;
  const snap = runtime.engine.snapshot();
  samples.push(
    sample(hour, {
      machines: snap.machines.length,
      timelineJobs: runtime.api ? runtime.engine.snapshot().runners.length : 0,
      meanCycleMs: Number(cycleMs.toFixed(1)),
      eventKiBPerCycle: Number((eventBytes / 1024 / cyclesPerHour).toFixed(1)),
      eventsPerCycle: Number((events / cyclesPerHour).toFixed(2)),
      deltaMachinesPerCycle: Number((deltaMachines / cyclesPerHour).toFixed(1)),
      deltaRefreshedPerCycle: Number((deltaRefreshed / cyclesPerHour).toFixed(1)),
    }),
  );
  process.stderr.write(`${JSON.stringify(samples[samples.length - 1])}\n`);
}
if (process.env.RW_BENCH_HEAPSNAPSHOT) writeHeapSnapshot(process.env.RW_BENCH_HEAPSNAPSHOT);
await runtime.dispose();
rmSync(stateDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ samples, worldRequests: world.requests })}\n`);
process.exit(0);
