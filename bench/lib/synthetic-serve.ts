/*
 * A large synthetic fleet behind the real serve host, for the renderer bench: the real
 * Engine (fleet model, snapshots, deltas), the real TimelineService and API handlers, and
 * the real HTTP + SSE host serving the built renderer. Only the sources are synthetic:
 * in-memory inventory and probe sources for N machines, and one GitLab instance's recent
 * jobs (M of them over the last day, each placed on a machine). The engine runs on a bench
 * clock, so a day of disk history is fed in a few seconds before the browser connects.
 */
import { Engine } from '../../electron/core/engine';
import { createApiHandlers } from '../../electron/core/api';
import type { MachineObservation, Source } from '../../electron/core/sources/source';
import { TimelineService } from '../../electron/core/timeline/timeline-service';
import { startServeHost } from '../../electron/serve/serve-host';
import { ensureRendererBuilt } from '../../electron/cli/build-renderer';
import { defaultRendererDir } from '../../electron/cli/project-paths';
import type { RunnerJob } from '../../shared/runner';
import { Settings } from '../../shared/settings';

const HOUR = 3_600_000;
const FLEET = 'ci';
const INSTANCE = 'gitlab';

/** The running host: its URL with the token, and a way to push a fleet change. */
export interface SyntheticServe {
  /** `http://127.0.0.1:PORT/?token=…`, as the demo prints it. */
  url: string;
  machines: number;
  jobs: number;
  /** Name of machine i (sorted by name, machine 0 is the Fleet view's first row). */
  machineName(i: number): string;
  /** Machines and JSON bytes of the last delta the engine sent. */
  lastDelta(): { upserted: number; refreshed: number; bytes: number };
  /**
   * One engine cycle in which `changed` machines (0, then spread over the fleet) get a new
   * disk use; resolves with machine 0's new use (the Fleet view shows it as "NN %").
   */
  change(changed: number): Promise<number>;
  dispose(): Promise<void>;
}

/** A small deterministic generator, so every run draws the same fleet. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts the engine, feeds it a day of history on the bench clock, and serves it. */
export async function startSyntheticServe(options: {
  machines: number;
  jobs: number;
}): Promise<SyntheticServe> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const missing = await ensureRendererBuilt(defaultRendererDir, log);
  if (missing) throw new Error(missing);

  const random = mulberry32(13);
  const realNow = Date.now();
  let clock = realNow - 24 * HOUR;
  const now = () => clock;
  const name = (i: number) =>
    `runner-x1y2z3w4-auto-scale-${1_700_000_000 + i}-${i.toString(16).padStart(8, '0')}`;
  const diskPct = Array.from({ length: options.machines }, () => 15 + Math.floor(random() * 50));

  const settings = Settings.parse({
    gitlab: [
      {
        id: INSTANCE,
        url: 'http://127.0.0.1:1/',
        token: { env: 'RW_BENCH_UNUSED' },
        timelineHours: 24,
      },
    ],
    fleets: [{ id: FLEET, kind: 'autoscaled', watchedMounts: ['/'] }],
  });

  const inventory: MachineObservation[] = Array.from({ length: options.machines }, (_, i) => ({
    fleet: FLEET,
    name: name(i),
    identity: {
      kind: 'autoscaled',
      provider: 'hetzner',
      providerId: String(10_000 + i),
      serverType: 'cx22',
      createdAt: realNow - 30 * HOUR,
      labels: { role: 'ci' },
      addresses: [`127.0.${1 + (i >> 8)}.${i & 255}`],
      providerStatus: 'running',
      state: 'running',
    },
  }));
  const probe = (): MachineObservation[] =>
    diskPct.map((used, i) => ({
      fleet: FLEET,
      name: name(i),
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
      jobs: [],
      load: {
        load1: 0.5,
        load5: 0.4,
        load15: 0.3,
        cpus: 2,
        memTotalBytes: 4e9,
        memAvailableBytes: 2e9,
      },
      runsGitlabRunner: false,
    }));
  const source = (id: string, phase: Source['phase'], collect: () => MachineObservation[]) =>
    ({
      id,
      kind: phase === 'inventory' ? 'hetzner' : 'ssh',
      label: id,
      phase,
      intervalMs: 30_000,
      timeoutMs: 30_000,
      collect: async () => ({
        machines: collect(),
        ...(phase === 'inventory' ? { inventoryOf: [FLEET] } : {}),
      }),
    }) satisfies Source;

  const engine = new Engine({
    sources: [
      source('hetzner:bench', 'inventory', () => inventory),
      source('ssh:bench', 'probe', probe),
    ],
    now,
  });

  // M jobs over the last day, each on a machine, 5–60 minutes long; the newest still run.
  const jobs: RunnerJob[] = [];
  for (let j = 0; j < options.jobs; j++) {
    const machine = Math.floor(random() * options.machines);
    const started = realNow - 24 * HOUR + random() * 24 * HOUR;
    const duration = (5 + random() * 55) * 60_000;
    const finished = started + duration;
    const running = finished > realNow;
    const status = running ? 'running' : random() < 0.1 ? 'failed' : 'success';
    const jobId = 100_000 + j;
    jobs.push({
      key: `${INSTANCE}/${jobId}`,
      instance: INSTANCE,
      jobId,
      runnerId: 1 + (machine % 60),
      status,
      name: ['build', 'test', 'lint', 'deploy'][j % 4] ?? 'build',
      projectId: 1 + (j % 40),
      projectPath: `group/project-${j % 40}`,
      pipelineId: 50_000 + Math.floor(j / 4),
      ref: 'main',
      user: `dev${j % 25}`,
      jobUrl: `http://127.0.0.1:1/group/project-${j % 40}/-/jobs/${jobId}`,
      createdAt: Math.round(started - 20_000),
      startedAt: Math.round(started),
      finishedAt: running ? null : Math.round(finished),
      machine: name(machine),
      queuedSec: 20,
    });
  }
  const timeline = new TimelineService({
    engine,
    fleets: settings.fleets,
    gitlab: settings.gitlab,
    sources: [{ instance: INSTANCE, timeline: () => jobs }],
    now,
  });

  // A day of disk history: one cycle per 10 minutes of bench clock, disks drifting.
  while (clock < realNow) {
    for (let i = 0; i < diskPct.length; i++) {
      if (random() < 0.2)
        diskPct[i] = Math.max(5, Math.min(95, diskPct[i]! + (random() < 0.5 ? -3 : 4)));
    }
    await engine.runOnce();
    clock += 10 * 60_000;
  }
  clock = realNow;
  await engine.runOnce();
  // From here the bench clock follows the wall clock (the renderer compares with Date.now).
  clock = Date.now();

  const api = createApiHandlers({
    engine,
    info: {
      name: 'Runner Watch',
      version: 'bench',
      host: 'serve',
      demo: true,
      startedAt: realNow,
      warnings: [],
    },
    timeline,
  });
  const host = await startServeHost({
    runtime: { engine, api },
    port: 0,
    rendererDir: defaultRendererDir,
    warn: log,
  });

  let lastDelta = { upserted: 0, refreshed: 0, bytes: 0 };
  engine.onEvent((event) => {
    if (event.type === 'delta')
      lastDelta = {
        upserted: event.upserted.length,
        refreshed: (event.refreshed ?? []).reduce((n, r) => n + r.keys.length, 0),
        bytes: JSON.stringify(event).length,
      };
  });

  let turn = 0;
  return {
    url: `${host.url}?token=${host.token}`,
    machines: options.machines,
    jobs: options.jobs,
    machineName: name,
    lastDelta: () => lastDelta,
    async change(changed) {
      turn += 1;
      clock = Date.now();
      // Machine 0 always changes, to a value it did not have before (alternating 70/71…).
      diskPct[0] = 70 + (turn % 20);
      const stride = Math.max(1, Math.floor(diskPct.length / Math.max(1, changed)));
      for (let n = 1, i = stride; n < changed && i < diskPct.length; n++, i += stride) {
        diskPct[i] = 20 + ((diskPct[i]! + 7) % 60);
      }
      await engine.runOnce();
      return diskPct[0];
    },
    async dispose() {
      await host.dispose();
      await timeline.dispose();
      await engine.dispose();
    },
  };
}
