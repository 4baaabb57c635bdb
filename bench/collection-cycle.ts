// One collection cycle of the real collectors over simulated fleets of 16, 200 and 1,000
// machines (issue 13, point 1): Hetzner and GitLab simulators for every size, ssh2
// simulated hosts for 16 and 200, real Prometheus (Debian package) scraping a static
// node_exporter page as every VM for 1,000. The simulators run in a child process
// (bench/lib/fleet-sims.ts), so the CPU time here is the collectors' and the engine's.
// Requests are counted at the simulators. The naive approach — what a script does: one SSH
// connection per host after another (or one exporter scrape per host), every runner's jobs
// and every running job's trace read again each cycle — runs in the same process for the
// ratios. Run: npx tsx bench/collection-cycle.ts  (SIZES=16,200 to pick sizes)
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { Engine } from '../electron/core/engine';
import { createSources } from '../electron/core/runtime';
import { Settings, type SecretRef } from '../shared/settings';
import type { SimCounts, SimReady, SimRequestMessage } from './lib/fleet-sims';
import { describeMachine, writeResult, type TargetResult } from './lib/results';

const machine = describeMachine();
const INTERVAL_MS = 30_000;
const STEADY_CYCLES = Number(process.env.CYCLES ?? 12);
const NEW_JOBS_PER_CYCLE = 2;
const sizes = (process.env.SIZES ?? '16,200,1000').split(',').map(Number);

class Sims {
  private readonly child: ChildProcess;
  private waiting: ((m: { type: string }) => void) | null = null;
  constructor() {
    this.child = fork(new URL('./lib/fleet-sims.ts', import.meta.url).pathname, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: { type: string; message?: string }) => {
      if (m.type === 'error') console.error(`simulators failed: ${m.message}`);
      const w = this.waiting;
      this.waiting = null;
      w?.(m);
    });
  }
  ask<T>(message: SimRequestMessage): Promise<T> {
    return new Promise((resolve, reject) => {
      this.waiting = (m) =>
        m.type === 'error' ? reject(new Error('simulator error')) : resolve(m as T);
      this.child.send(message);
    });
  }
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const round = (n: number, d = 1) => Number(n.toFixed(d));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

interface CycleFigures {
  wallMs: number;
  cpuMs: number;
  gitlab: number;
  hetzner: number;
  sshExecs: number;
  prometheus: number;
  busyRunners: number;
  newJobs: number;
  traceRetries: number;
  traceReads: number;
}

async function product(size: number, ready: SimReady, sims: Sims, clock: { now: number }) {
  const stateDir = mkdtempSync(join(tmpdir(), 'rw-bench-state-'));
  const env: Record<string, string> = {
    RW_BENCH_HCLOUD: ready.hcloudToken,
    RW_BENCH_GITLAB: ready.gitlabToken,
  };
  const settings = Settings.parse({
    fleets: [
      {
        id: 'ci',
        kind: 'autoscaled',
        watchedMounts: ['/'],
        // The Prometheus path replaces per-host SSH for disk and load, as a user with
        // 1,000 VMs configures it: no SSH probe of the fleet's machines.
        probe: ready.ssh ? 'ssh' : 'none',
        ssh: ready.ssh
          ? {
              user: ready.ssh.user,
              port: ready.ssh.port,
              identityFiles: [ready.ssh.keyFile],
              useAgent: false,
              knownHostsFile: ready.ssh.knownHosts,
              connectTimeoutSec: 20,
              commandTimeoutSec: 30,
            }
          : {},
      },
    ],
    hetzner: [
      {
        id: 'h',
        fleet: 'ci',
        token: { env: 'RW_BENCH_HCLOUD' },
        apiUrl: ready.hcloudUrl,
        labelSelector: 'role=ci-runner',
        intervalSec: INTERVAL_MS / 1000,
      },
    ],
    gitlab: [
      {
        id: 'gl',
        url: ready.gitlabUrl,
        token: { env: 'RW_BENCH_GITLAB' },
        intervalSec: INTERVAL_MS / 1000,
      },
    ],
    prometheus: ready.prometheusUrl
      ? [
          {
            id: 'p',
            fleet: 'ci',
            url: ready.prometheusUrl,
            machineLabel: 'machine',
            stripPort: false,
            matchers: 'job="node"',
            scrapeIntervalSec: 15,
            intervalSec: INTERVAL_MS / 1000,
          },
        ]
      : [],
    probe: { sshConfigFile: null, intervalSec: INTERVAL_MS / 1000 },
    stateDir,
  });
  const secrets = {
    resolve: async (ref: SecretRef) => {
      const value = 'env' in ref ? env[ref.env] : undefined;
      if (value === undefined) throw new Error('no such secret');
      return value;
    },
  };
  const set = createSources(settings, secrets, () => clock.now);
  const engine = new Engine({ sources: set.sources, now: () => clock.now, warn: () => undefined });
  const gitlab = set.gitlab[0];
  if (!gitlab) throw new Error('no GitLab source');
  const cycles: CycleFigures[] = [];
  const run = async (): Promise<CycleFigures> => {
    await sims.ask<SimCounts>({ type: 'counts' });
    const cpu = process.cpuUsage();
    const t = performance.now();
    const snapshot = await engine.runOnce();
    const wallMs = performance.now() - t;
    const used = cpuMs(process.cpuUsage(cpu));
    const counts = await sims.ask<SimCounts>({ type: 'counts' });
    const failing = snapshot.sources.filter((s) => s.state === 'failing');
    if (failing.length > 0)
      throw new Error(
        `sources failed: ${failing.map((s) => `${s.id}: ${s.lastError?.message}`).join('; ')}`,
      );
    const seen = snapshot.machines.filter((m) => (m.disks.value?.length ?? 0) > 0).length;
    if (seen < size * 0.99) throw new Error(`only ${seen} of ${size} machines have disk readings`);
    const stats = gitlab.lastCycle;
    return {
      wallMs: round(wallMs),
      cpuMs: round(used),
      gitlab: sum(counts.gitlab),
      hetzner: counts.hetzner,
      sshExecs: counts.sshExecs,
      prometheus: counts.prometheus,
      busyRunners: stats?.busyRunners ?? 0,
      newJobs: stats?.newJobs ?? 0,
      traceRetries: stats?.traceRetries ?? 0,
      traceReads: Object.entries(counts.gitlab)
        .filter(([k]) => k.endsWith('/trace'))
        .reduce((n, [, v]) => n + v, 0),
    };
  };
  try {
    const cold = await run();
    for (let i = 0; i < STEADY_CYCLES; i++) {
      clock.now += INTERVAL_MS;
      await sims.ask({ type: 'tick', now: clock.now, newJobs: NEW_JOBS_PER_CYCLE });
      cycles.push(await run());
    }
    return { cold, steady: cycles };
  } finally {
    await engine.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** A script's way: every call every cycle, one after another, nothing cached. */
async function naive(ready: SimReady, sims: Sims) {
  await sims.ask<SimCounts>({ type: 'counts' });
  const cpu = process.cpuUsage();
  const t = performance.now();
  const hetzner = { Authorization: `Bearer ${ready.hcloudToken}` };
  for (let page = 1; ; page++) {
    const res = await fetch(
      `${ready.hcloudUrl}/servers?label_selector=role%3Dci-runner&per_page=50&page=${page}`,
      { headers: hetzner },
    );
    const body = (await res.json()) as { meta?: { pagination?: { next_page: number | null } } };
    if (!body.meta?.pagination?.next_page) break;
  }
  const gl = { 'PRIVATE-TOKEN': ready.gitlabToken };
  const api = `${ready.gitlabUrl.replace(/\/+$/, '')}/api/v4`;
  const runners: { id: number }[] = [];
  for (let page = 1; ; page++) {
    const res = await fetch(`${api}/runners/all?per_page=100&page=${page}`, { headers: gl });
    runners.push(...((await res.json()) as { id: number }[]));
    if (!res.headers.get('x-next-page')) break;
  }
  for (const runner of runners) {
    for (let page = 1; ; page++) {
      const res = await fetch(`${api}/runners/${runner.id}/jobs?per_page=100&page=${page}`, {
        headers: gl,
      });
      const jobs = (await res.json()) as { id: number; status: string; project?: { id: number } }[];
      for (const job of jobs) {
        if (job.status !== 'running' || !job.project) continue;
        const trace = await fetch(`${api}/projects/${job.project.id}/jobs/${job.id}/trace`, {
          headers: gl,
        });
        await trace.text();
      }
      if (!res.headers.get('x-next-page')) break;
    }
  }
  if (ready.ssh) {
    const key = readFileSync(ready.ssh.keyFile);
    for (const m of ready.machines) {
      await new Promise<void>((resolve, reject) => {
        const client = new ssh2.Client();
        client
          .on('ready', () => {
            client.exec(
              "df -Pk /; docker ps --filter label=com.gitlab.gitlab-runner.job.id --format '{{json .}}'",
              (error, stream) => {
                if (error) return reject(error);
                stream.on('data', () => undefined);
                stream.stderr.on('data', () => undefined);
                stream.on('close', () => {
                  client.end();
                  resolve();
                });
              },
            );
          })
          .on('error', reject)
          .connect({
            host: m.address,
            port: ready.ssh!.port,
            username: ready.ssh!.user,
            privateKey: key,
            readyTimeout: 20_000,
          });
      });
    }
  } else if (ready.exporterUrl) {
    for (let i = 0; i < ready.machines.length; i++) {
      const text = await (await fetch(ready.exporterUrl)).text();
      if (!text.includes('node_filesystem_avail_bytes'))
        throw new Error('exporter page without disks');
    }
  }
  const wallMs = performance.now() - t;
  const used = cpuMs(process.cpuUsage(cpu));
  const counts = await sims.ask<SimCounts>({ type: 'counts' });
  return {
    wallMs: round(wallMs),
    cpuMs: round(used),
    gitlab: sum(counts.gitlab),
    hetzner: counts.hetzner,
    sshConnections: ready.ssh ? ready.machines.length : 0,
    sshExecs: counts.sshExecs,
    exporterScrapes: ready.ssh ? 0 : ready.machines.length,
  };
}

const results: Record<string, unknown>[] = [];
const targets: TargetResult[] = [];
for (const size of sizes) {
  const mode = size > 200 ? 'prometheus' : 'ssh';
  const sims = new Sims();
  const clock = { now: Date.UTC(2026, 10, 23, 12, 0, 0) };
  const ready = await sims.ask<SimReady>({ type: 'start', size, mode, now: clock.now });
  if (mode === 'prometheus' && !ready.prometheusUrl) {
    console.log(`${size} machines via Prometheus skipped: ${ready.prometheusSkip}`);
    results.push({ machines: size, skipped: ready.prometheusSkip });
    await sims.ask({ type: 'stop' });
    continue;
  }
  const ours = await product(size, ready, sims, clock);
  const theirs = await naive(ready, sims);
  await sims.ask({ type: 'stop' }).catch(() => undefined);
  // The first cycles after the cold one still link the finished jobs of the timeline
  // window to machines (20 trace heads per cycle at most): steady state starts after them.
  const backfill = Math.ceil((ready.runners * 2) / 20);
  const s = ours.steady.slice(backfill);
  const steadyWall = median(s.map((c) => c.wallMs));
  const steadyCpu = median(s.map((c) => c.cpuMs));
  const perCycle = (f: (c: CycleFigures) => number) =>
    round(s.reduce((n, c) => n + f(c), 0) / s.length, 2);
  const gitlabWithin = s.filter((c) => c.gitlab <= c.busyRunners + c.newJobs + 1).length;
  const gitlabMean = perCycle((c) => c.gitlab);
  const gitlabAllowed = perCycle((c) => c.busyRunners + c.newJobs + 1);
  const row = {
    machines: size,
    mode,
    runners: ready.runners,
    runningJobs: ready.runningJobs,
    unlinkedRunningJobs: ready.unlinkedRunningJobs,
    coldCycle: ours.cold,
    steadyMedianWallMs: steadyWall,
    steadyMedianCpuMs: steadyCpu,
    steadyRequestsPerCycle: {
      gitlab: perCycle((c) => c.gitlab),
      hetzner: perCycle((c) => c.hetzner),
      sshExecs: perCycle((c) => c.sshExecs),
      prometheus: perCycle((c) => c.prometheus),
    },
    gitlabBusyRunnersPlusNewJobs: perCycle((c) => c.busyRunners + c.newJobs),
    gitlabTraceReadsPerCycle: perCycle((c) => c.traceReads),
    /** What the code before the back-off read every cycle: every unlinked running job's trace. */
    gitlabTraceReadsPerCycleWithoutBackoff: ready.unlinkedRunningJobs + NEW_JOBS_PER_CYCLE,
    gitlabCyclesWithinTarget: `${gitlabWithin}/${s.length}`,
    /** Above busy runners + new jobs + the list page: trace re-reads on the back-off, timeline pages every 5 min per online runner. */
    gitlabOverheadPerCycle: {
      traceRetries: perCycle((c) => c.traceRetries),
      timelineAndDetails: perCycle(
        (c) => c.gitlab - 1 - c.busyRunners - c.newJobs - c.traceRetries,
      ),
    },
    backfillCycles: ours.steady.slice(0, backfill),
    steady: s,
    naive: theirs,
    ratios: {
      wall: round(theirs.wallMs / steadyWall, 1),
      cpu: round(theirs.cpuMs / Math.max(steadyCpu, 0.1), 1),
      gitlabRequests: round(
        theirs.gitlab /
          Math.max(
            perCycle((c) => c.gitlab),
            1,
          ),
        1,
      ),
    },
  };
  results.push(row);
  console.log(JSON.stringify({ ...row, steady: undefined }, null, 2));
  if (size === 16)
    targets.push({
      what: '16 machines, steady cycle wall time',
      target: '< 1000 ms',
      value: steadyWall,
      met: steadyWall < 1000,
    });
  if (mode === 'prometheus') {
    const promReq = Math.max(...s.map((c) => c.prometheus));
    targets.push({
      what: `${size} machines via Prometheus, steady cycle wall time`,
      target: '< 2000 ms',
      value: steadyWall,
      met: steadyWall < 2000,
    });
    targets.push({
      what: `${size} machines via Prometheus, Prometheus requests per cycle`,
      target: '<= 15',
      value: promReq,
      met: promReq <= 15,
    });
  }
  targets.push({
    what: `${size} machines, GitLab requests per steady cycle (mean)`,
    target: `<= busy runners + new jobs + 1 list page = ${gitlabAllowed}`,
    value: gitlabMean,
    met: gitlabMean <= gitlabAllowed,
  });
}
writeResult('collection-cycle', machine, targets, {
  intervalSec: INTERVAL_MS / 1000,
  steadyCycles: STEADY_CYCLES,
  newJobsPerCycle: NEW_JOBS_PER_CYCLE,
  results,
});
process.exit(0);
