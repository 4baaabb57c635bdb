// Engine cost per collection cycle for large fleets: merge of inventory + probe results,
// snapshot building and delta computation, with in-memory sources (no I/O), so the figure
// is the engine's own overhead. Run: npx tsx bench/engine-cycle.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { Engine } from '../electron/core/engine';
import type { MachineObservation, Source } from '../electron/core/sources/source';

function fleetOf(
  size: number,
  cycle: number,
): { inventory: MachineObservation[]; probe: MachineObservation[] } {
  const inventory: MachineObservation[] = [];
  const probe: MachineObservation[] = [];
  for (let i = 0; i < size; i++) {
    const name = `runner-x1y2z3w4-auto-scale-${1_700_000_000 + i}-${i.toString(16).padStart(8, '0')}`;
    inventory.push({
      fleet: 'ci',
      name,
      identity: {
        kind: 'autoscaled',
        provider: 'hetzner',
        providerId: String(i),
        serverType: 'cx22',
        createdAt: 0,
        labels: { role: 'ci' },
        addresses: [`127.0.${1 + (i >> 8)}.${i & 255}`],
        providerStatus: 'running',
        state: 'running',
      },
    });
    // A tenth of the fleet changes its disk each cycle, like a busy afternoon.
    const used = 20 + ((i + (i % 10 === cycle % 10 ? cycle : 0)) % 70);
    probe.push({
      fleet: 'ci',
      name,
      disks: [
        {
          mount: '/',
          sizeBytes: 80e9,
          usedBytes: used * 8e8,
          availBytes: (100 - used) * 8e8,
          usedPct: used,
          inodesTotal: 5e6,
          inodesUsed: 1e5,
          inodesUsedPct: 2,
        },
      ],
      jobs:
        i % 3 === 0
          ? []
          : [
              {
                jobId: 1000 + i,
                projectId: 7,
                pipelineId: 70,
                runnerId: 1,
                containerName: `runner-${i}-build`,
                jobUrl: null,
                ref: 'main',
                name: null,
                projectPath: null,
                user: null,
                startedAt: 0,
                seenIn: ['machine'],
              },
            ],
      load: {
        load1: 0.5,
        load5: 0.4,
        load15: 0.3,
        cpus: 2,
        memTotalBytes: 4e9,
        memAvailableBytes: 2e9,
      },
    });
  }
  return { inventory, probe };
}

async function measure(size: number, cycles: number) {
  let cycle = 0;
  const source = (id: string, phase: Source['phase'], pick: 'inventory' | 'probe'): Source => ({
    id,
    kind: phase === 'inventory' ? 'hetzner' : 'ssh',
    label: id,
    phase,
    intervalMs: 30_000,
    timeoutMs: 30_000,
    collect: async () => ({
      machines: fleetOf(size, cycle)[pick],
      ...(pick === 'inventory' ? { inventoryOf: ['ci'] } : {}),
    }),
  });
  const engine = new Engine({
    sources: [source('hetzner:p', 'inventory', 'inventory'), source('ssh:ci', 'probe', 'probe')],
  });
  let deltaBytes = 0;
  engine.onEvent((event) => {
    if (event.type === 'delta') deltaBytes = JSON.stringify(event).length;
  });
  await engine.runOnce();
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const times: number[] = [];
  for (cycle = 1; cycle <= cycles; cycle++) {
    const start = performance.now();
    await engine.runOnce();
    times.push(performance.now() - start);
  }
  const snapshotBytes = JSON.stringify(engine.snapshot()).length;
  const heapAfter = process.memoryUsage().heapUsed;
  await engine.dispose();
  times.sort((a, b) => a - b);
  return {
    machines: size,
    cycles,
    medianCycleMs: Number(times[Math.floor(times.length / 2)]!.toFixed(2)),
    p95CycleMs: Number(times[Math.floor(times.length * 0.95)]!.toFixed(2)),
    snapshotKiB: Math.round(snapshotBytes / 1024),
    lastDeltaKiB: Math.round(deltaBytes / 1024),
    heapGrowthMiB: Number(((heapAfter - heapBefore) / 2 ** 20).toFixed(1)),
  };
}

const results = [];
for (const size of [16, 100, 1000, 5000]) results.push(await measure(size, size >= 5000 ? 5 : 20));
console.table(results);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/engine-cycle.json',
  `${JSON.stringify({ bench: 'engine-cycle', node: process.version, at: new Date().toISOString(), results }, null, 2)}\n`,
);
console.log('wrote bench/results/engine-cycle.json');
