/*
 * One probe cycle over 20 real sshd hosts (loopback 127.0.3.1–20): wall time and SSH
 * connections, cold (every connection opened) and warm (pooled connections reused).
 * Needs root and openssh-server, like the integration tests. Figures go to
 * bench/results/ssh-probe.json; nothing here asserts a time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createProbeSource } from '../electron/core/sources/ssh/probe-source';
import { emptySshConfig } from '../electron/core/sources/ssh/ssh-config';
import { resolveTarget } from '../electron/core/sources/ssh/target';
import { Settings } from '../shared/settings';
import { SHIMS_DIR, writeHostState } from '../test/sim/host-state';
import { sshdSkipReason, startSshdCluster } from '../test/support/sshd';

const HOSTS = 20;
const WARM_CYCLES = 5;

const reason = sshdSkipReason();
if (reason) {
  console.error(`ssh-probe bench skipped: ${reason}`);
  process.exit(0);
}

const GiB = 1024 * 1024;
const addresses = Array.from({ length: HOSTS }, (_, i) => `127.0.3.${i + 1}`);
const cluster = await startSshdCluster({ addresses, shimDir: SHIMS_DIR });
const results: Record<string, unknown>[] = [];
try {
  cluster.hosts.forEach((host, i) =>
    writeHostState(host.stateDir, {
      hostname: `bench-${i + 1}`,
      now: Math.floor(Date.now() / 1000),
      mounts: [
        {
          device: '/dev/sda1',
          fstype: 'ext4',
          mount: '/',
          sizeKiB: 40 * GiB,
          usedKiB: 10 * GiB,
          availKiB: 28 * GiB,
          inodes: { total: 2_600_000, used: 200_000, free: 2_400_000 },
        },
        {
          device: '/dev/sdb',
          fstype: 'ext4',
          mount: '/var/lib/docker',
          sizeKiB: 100 * GiB,
          usedKiB: (20 + i) * GiB,
          availKiB: (80 - i) * GiB,
          inodes: null,
        },
      ],
      containers: [],
    }),
  );
  for (const concurrency of [16, 4]) {
    const settings = Settings.parse({
      fleets: [{ id: 'bench', kind: 'dedicated', ssh: cluster.access() }],
      sshHosts: cluster.hosts.map((h, i) => ({
        alias: `bench-${i + 1}`,
        fleet: 'bench',
        host: h.address,
      })),
      probe: { sshConfigFile: null, concurrency },
    });
    const source = createProbeSource({ settings, secrets: null });
    const context = { now: Date.now, machines: () => [] };
    const cycle = async () => {
      const started = performance.now();
      const result = await source.collect(new AbortController().signal, context);
      const ms = performance.now() - started;
      const probed = result.machines.filter((m) => m.disks !== null).length;
      return {
        ms: Math.round(ms * 10) / 10,
        probed,
        connectionsOpened: source.pool.stats.connectionsOpened,
      };
    };
    const cold = await cycle();
    const warm = [];
    for (let i = 0; i < WARM_CYCLES; i++) warm.push(await cycle());
    // The SSH share of a cycle: one `true` per host over the same pooled connections
    // (the rest of a probe cycle is the df/docker shims and /proc reads on the hosts).
    const targets = settings.sshHosts.map((h) =>
      resolveTarget(h.alias, settings.fleets[0]!.ssh, emptySshConfig, { host: h.host }),
    );
    const rtStarted = performance.now();
    await Promise.all(targets.map((t) => source.pool.exec(t, ['true'])));
    const roundTripMs = Math.round((performance.now() - rtStarted) * 10) / 10;
    await source.dispose?.();
    const warmMs = warm.map((w) => w.ms).sort((a, b) => a - b);
    const row = {
      concurrency,
      hosts: HOSTS,
      coldMs: cold.ms,
      coldConnections: cold.connectionsOpened,
      warmMedianMs: warmMs[Math.floor(warmMs.length / 2)],
      warmMaxMs: warmMs[warmMs.length - 1],
      connectionsAfterWarm: warm[warm.length - 1]?.connectionsOpened,
      allProbed: [cold, ...warm].every((c) => c.probed === HOSTS),
      trueRoundTripAllHostsMs: roundTripMs,
    };
    results.push(row);
    console.log(
      `concurrency ${concurrency}: cold cycle ${row.coldMs} ms (${row.coldConnections} connections), warm median ${row.warmMedianMs} ms, max ${row.warmMaxMs} ms, connections after ${WARM_CYCLES} warm cycles: ${row.connectionsAfterWarm}, all ${HOSTS} probed every cycle: ${row.allProbed}; bare \`true\` on all ${HOSTS} pooled connections: ${row.trueRoundTripAllHostsMs} ms`,
    );
  }
} finally {
  await cluster.dispose();
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/ssh-probe.json',
  `${JSON.stringify({ bench: 'ssh-probe', node: process.version, at: new Date().toISOString(), loadavgAtEnd: loadavg(), note: 'host shims (awk) dominate a cycle; the bare round trip is the SSH share', results }, null, 2)}\n`,
);
console.log('wrote bench/results/ssh-probe.json');
