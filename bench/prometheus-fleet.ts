// Cost of the Prometheus source per cycle. (1) Mapping the five instant answers onto the
// fleet (pure, no I/O) for 100 … 5,000 machines. (2) One real cycle — five HTTP queries —
// against a real Prometheus scraping one node_exporter as 20 machines (Debian packages;
// skipped with the reason when absent). Run: npx tsx bench/prometheus-fleet.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  fleetQueries,
  readFleet,
  type FleetAnswers,
} from '../electron/core/sources/prometheus/fleet-read';
import { createPrometheusSource } from '../electron/core/sources/prometheus/source';
import type { Machine } from '../shared/machine';
import { Settings } from '../shared/settings';
import { testMachine } from '../test/support/machines';
import { prometheusSkipReason, startPrometheusHarness } from '../test/support/prometheus';

const settings = Settings.parse({
  fleets: [{ id: 'ci' }],
  prometheus: [{ id: 'p', fleet: 'ci', url: 'http://127.0.0.1:9', machineLabel: 'instance' }],
});
const fleet = settings.fleets[0]!;
const prom = settings.prometheus[0]!;

function answersFor(n: number): { answers: FleetAnswers; machines: Machine[] } {
  const machines: Machine[] = [];
  const answers: FleetAnswers = { filesystems: [], node: [], cpus: [], up: [], scrapedAt: [] };
  const at = Date.now();
  for (let i = 0; i < n; i++) {
    const address = `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    machines.push(testMachine(`vm-${i}`, { key: `ci/vm-${i}`, addresses: [address] }));
    const instance = `${address}:9100`;
    for (const mountpoint of ['/', '/var/lib/docker']) {
      for (const [name, value] of [
        ['node_filesystem_size_bytes', 80e9],
        ['node_filesystem_free_bytes', 40e9],
        ['node_filesystem_avail_bytes', 36e9],
        ['node_filesystem_files', 5e6],
        ['node_filesystem_files_free', 4e6],
      ] as const)
        answers.filesystems.push({
          metric: { __name__: name, instance, mountpoint, device: '/dev/sda1' },
          at,
          value,
        });
    }
    for (const name of [
      'node_load1',
      'node_load5',
      'node_load15',
      'node_memory_MemTotal_bytes',
      'node_memory_MemAvailable_bytes',
    ])
      answers.node.push({ metric: { __name__: name, instance }, at, value: 1 });
    answers.cpus.push({ metric: { instance }, at, value: 2 });
    answers.up.push({ metric: { instance, job: 'node' }, at, value: 1 });
    answers.scrapedAt.push({ metric: { instance }, at, value: at / 1000 });
  }
  return { answers, machines };
}

const results: Record<string, unknown> = {};
for (const n of [100, 1_000, 5_000]) {
  const { answers, machines } = answersFor(n);
  readFleet(answers, fleet, prom, machines); // warm-up
  const runs = 10;
  const started = performance.now();
  for (let r = 0; r < runs; r++) readFleet(answers, fleet, prom, machines);
  const ms = (performance.now() - started) / runs;
  results[`readFleet_${n}_ms`] = Number(ms.toFixed(2));
  console.log(
    `readFleet, ${n} machines (${answers.filesystems.length} filesystem series): ${ms.toFixed(2)} ms`,
  );
}
console.log(
  `queries per cycle, any fleet size: ${Object.keys(fleetQueries(prom, fleet.watchedMounts)).length}`,
);
results.queriesPerCycle = Object.keys(fleetQueries(prom, fleet.watchedMounts)).length;

const skip = prometheusSkipReason();
if (skip) {
  console.log(`real Prometheus cycle skipped: ${skip}`);
  results.realCycle = `skipped: ${skip}`;
} else {
  const names = Array.from({ length: 20 }, (_, i) => ({
    name: `vm-${i}`,
    instance: `127.0.7.${i + 1}:9100`,
  }));
  const lab = await startPrometheusHarness(names);
  try {
    await lab.waitForScrapes(2);
    const live = Settings.parse({
      fleets: [{ id: 'ci' }],
      prometheus: [{ id: 'p', fleet: 'ci', url: lab.url, machineLabel: 'machine' }],
    });
    const source = createPrometheusSource({
      settings: live,
      prom: live.prometheus[0]!,
      secrets: { resolve: () => Promise.reject(new Error('none')) },
    });
    const machines = names.map((m) => testMachine(m.name, { key: `ci/${m.name}` }));
    const times: number[] = [];
    for (let r = 0; r < 10; r++) {
      const t = performance.now();
      const out = await source.collect(AbortSignal.timeout(10_000), {
        now: Date.now,
        machines: () => machines,
      });
      times.push(performance.now() - t);
      if (out.machines.length !== names.length)
        throw new Error(`expected ${names.length} machines, got ${out.machines.length}`);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    results.realCycle20_medianMs = Number(median.toFixed(1));
    console.log(`real cycle (5 queries), 20 machines: median ${median.toFixed(1)} ms`);
  } finally {
    await lab.dispose();
  }
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/prometheus-fleet.json', import.meta.url),
  JSON.stringify({ node: process.version, date: new Date().toISOString(), ...results }, null, 2) +
    '\n',
);
