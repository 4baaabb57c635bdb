// The simulators behind bench/collection-cycle.ts, in their own process so the bench's
// CPU time is the collectors' alone: Hetzner + GitLab simulators, ssh2 simulated hosts
// (`ssh` mode) or a static node_exporter page scraped by a real Prometheus as every VM
// (`prometheus` mode). Driven over IPC (fork): start → ready, tick → ticked, counts → counts.
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HcloudSim } from '../../test/sim/hcloud-sim';
import { SshSim } from '../../test/sim/ssh-sim';
import { writeHostState, type HostState } from '../../test/sim/host-state';
import { startGitLabSim, type GitLabSim } from '../../test/sim/gitlab/server';
import { fixtureInstance, machineName, SIM_TOKENS } from '../../test/sim/gitlab/fixtures';
import type { SimJob } from '../../test/sim/gitlab/state';
import { startSimPrometheus, type SimPrometheus } from '../../test/sim/prometheus-server';
import { existsSync } from 'node:fs';
import { PROMETHEUS_BINARY } from '../../test/sim/prometheus-server';
import { renderNodeMetrics } from '../../test/sim/node-exporter-sim';
import { readHostState } from '../../test/sim/host-state';

/** What the parent asks for. */
export type SimRequestMessage =
  | { type: 'start'; size: number; mode: 'ssh' | 'prometheus'; now: number }
  | { type: 'tick'; now: number; newJobs: number }
  | { type: 'counts' }
  | { type: 'stop' };

/** Where everything listens, for the settings and the naive approach. */
export interface SimReady {
  type: 'ready';
  hcloudUrl: string;
  hcloudToken: string;
  gitlabUrl: string;
  gitlabToken: string;
  ssh: { port: number; user: string; keyFile: string; knownHosts: string } | null;
  /** Prometheus behind a counting proxy, or null (ssh mode, or not installed: `prometheusSkip`). */
  prometheusUrl: string | null;
  prometheusSkip: string | null;
  /** The static exporter page every VM's target serves (for the naive per-host scrape). */
  exporterUrl: string | null;
  machines: { name: string; address: string }[];
  runners: number;
  runningJobs: number;
  unlinkedRunningJobs: number;
}

/** Requests the simulators saw since the last `counts`. */
export interface SimCounts {
  type: 'counts';
  gitlab: Record<string, number>;
  hetzner: number;
  sshExecs: number;
  prometheus: number;
}

const GiB = 1024 * 1024;
const send = (message: unknown) => process.send?.(message);

function hostState(name: string, i: number, nowSec: number): HostState {
  const used = 20 + (i % 60);
  return {
    hostname: name,
    now: nowSec,
    mounts: [
      {
        device: '/dev/sda1',
        fstype: 'ext4',
        mount: '/',
        sizeKiB: 80 * GiB,
        usedKiB: Math.round(0.8 * used * GiB),
        availKiB: Math.round(0.8 * (100 - used) * GiB),
        inodes: { total: 5_000_000, used: 200_000, free: 4_800_000 },
      },
    ],
  };
}

let hcloud: HcloudSim | null = null;
let gitlab: GitLabSim | null = null;
let ssh: SshSim | null = null;
let prometheus: SimPrometheus | null = null;
let exporter: Server | null = null;
let proxy: Server | null = null;
let root = '';
let simNow = 0;
let prometheusRequests = 0;
let hcloudSeen = 0;
let execsSeen = 0;
let nextJobId = 5_000_000;

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

async function start(size: number, mode: 'ssh' | 'prometheus', now: number): Promise<SimReady> {
  simNow = now;
  root = mkdtempSync(join(tmpdir(), 'rw-bench-cycle-'));
  // Shaped like the fleet in issue 13: 1,000 VMs, 60 runners, 300 running jobs, of which
  // 20 have a trace that does not name a machine yet (image pulls).
  const runners = Math.max(1, Math.round(size / 16.7));
  const perRunner = Math.ceil(size / runners);
  const runningPerRunner = Math.max(1, Math.round((0.3 * size) / runners));
  const state = fixtureInstance({
    now,
    onlineRunners: runners,
    offlineRunners: 0,
    staleRunners: 0,
    machinesPerRunner: perRunner,
    runningJobsPerRunner: runningPerRunner,
    finishedJobsPerRunner: 2,
  });
  const running = state.jobs.filter((j) => j.status === 'running');
  const unlinkedEvery = 15;
  running.forEach((job, i) => {
    if (i % unlinkedEvery === 0)
      job.trace = `Running with gitlab-runner 17.5.0 (a1b2c3d4)\n  on autoscale-${job.runnerId}\nPreparing the "docker+machine" executor\nUsing Docker executor with image alpine:3.20 ...\nPulling docker image alpine:3.20 ...\n`;
  });
  gitlab = await startGitLabSim({ state, now: () => simNow });
  hcloud = await HcloudSim.start({ now: () => simNow, rateLimitPerHour: 1_000_000 });
  const machines: { name: string; address: string }[] = [];
  for (let r = 0; r < runners; r++) {
    const runnerId = state.runners[r]?.id ?? r + 1;
    for (let k = 0; k < perRunner && machines.length < size; k++) {
      const i = machines.length;
      const address = `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      machines.push({ name: machineName('x1y2', runnerId, k), address });
    }
  }
  for (const m of machines)
    hcloud.addServer('default', {
      name: m.name,
      labels: { role: 'ci-runner' },
      publicIp: m.address,
      createdMs: now - 3_600_000,
    });
  let sshInfo: SimReady['ssh'] = null;
  if (mode === 'ssh') {
    ssh = await SshSim.start({});
    await Promise.all(
      machines.map((m, i) => {
        const dir = join(root, 'hosts', m.name);
        mkdirSync(dir, { recursive: true });
        writeHostState(dir, hostState(m.name, i, Math.floor(now / 1000)));
        return ssh!.addHost({ address: m.address, stateDir: dir, name: m.name });
      }),
    );
    const knownHosts = join(root, 'known_hosts');
    ssh.writeKnownHosts(knownHosts);
    sshInfo = { port: ssh.sharedPort, user: ssh.user, keyFile: ssh.clientKeyFile, knownHosts };
  }
  let prometheusUrl: string | null = null;
  let exporterUrl: string | null = null;
  let prometheusSkip: string | null = null;
  if (mode === 'prometheus') {
    const dir = join(root, 'exporter');
    writeHostState(dir, hostState('vm', 7, Math.floor(now / 1000)));
    const page = renderNodeMetrics(
      readHostState(dir),
      { at: now, cpu: [], diskRead: 0, diskWritten: 0, rx: 0, tx: 0 },
      now,
    );
    exporter = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(page);
    });
    const exporterPort = await listen(exporter);
    exporterUrl = `http://127.0.0.1:${exporterPort}/metrics`;
    if (!existsSync(PROMETHEUS_BINARY)) {
      prometheusSkip = `${PROMETHEUS_BINARY} not installed (apt-get install prometheus)`;
    } else {
      prometheus = await startSimPrometheus({
        dir: join(root, 'prometheus'),
        targets: [],
        scrapeIntervalSec: 15,
      });
      // One target per VM: the same page, told apart by the `machine` label.
      const { writeFileSync, renameSync } = await import('node:fs');
      const file = join(root, 'prometheus', 'targets.json');
      writeFileSync(
        `${file}.tmp`,
        JSON.stringify(
          machines.map((m) => ({
            targets: [`127.0.0.1:${exporterPort}`],
            labels: { machine: m.name, instance: `${m.address}:9100` },
          })),
        ),
      );
      renameSync(`${file}.tmp`, file);
      const upstream = new URL(prometheus.url);
      proxy = createServer((req, res) => {
        prometheusRequests += 1;
        const out = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on('error', () => res.destroy());
        req.pipe(out);
      });
      prometheusUrl = `http://127.0.0.1:${await listen(proxy)}`;
      // Wait until every VM's target has been scraped once.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const n = await fetch(
          `${prometheus.url}/api/v1/query?query=${encodeURIComponent('count(up{job="node"} == 1)')}`,
        )
          .then((r) => r.json() as Promise<{ data?: { result?: { value?: [number, string] }[] } }>)
          .then((j) => Number(j.data?.result?.[0]?.value?.[1] ?? 0))
          .catch(() => 0);
        if (n >= machines.length) break;
        if (Date.now() > deadline) throw new Error(`only ${n} of ${machines.length} targets up`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }
  hcloudSeen = hcloud.requests.length;
  return {
    type: 'ready',
    hcloudUrl: hcloud.url,
    hcloudToken: hcloud.tokensOf().token,
    gitlabUrl: gitlab.url,
    gitlabToken: SIM_TOKENS.admin,
    ssh: sshInfo,
    prometheusUrl,
    prometheusSkip,
    exporterUrl,
    machines,
    runners,
    runningJobs: running.length,
    unlinkedRunningJobs: running.filter((_, i) => i % unlinkedEvery === 0).length,
  };
}

/** The world moves on: `newJobs` running jobs finish and as many new ones start. */
function tick(now: number, newJobs: number): void {
  simNow = now;
  const state = gitlab?.state;
  if (!state) return;
  for (const runner of state.runners) {
    runner.contactedAt = now - 5_000;
    for (const m of runner.managers) m.contactedAt = now - 5_000;
  }
  const running = state.jobs.filter((j) => j.status === 'running' && j.trace === undefined);
  for (let k = 0; k < newJobs; k++) {
    const done = running[(k * 7) % Math.max(1, running.length)];
    if (!done) break;
    done.status = 'success';
    done.finishedAt = now - 1_000;
    const job: SimJob = {
      ...done,
      id: nextJobId++,
      status: 'running',
      createdAt: now - 20_000,
      startedAt: now - 15_000,
      finishedAt: null,
    };
    state.jobs.push(job);
  }
}

function counts(): SimCounts {
  const gl = Object.fromEntries(gitlab?.counts() ?? []);
  gitlab?.resetCounts();
  const hetzner = (hcloud?.requests.length ?? 0) - hcloudSeen;
  hcloudSeen = hcloud?.requests.length ?? 0;
  const execs = (ssh?.execs.length ?? 0) - execsSeen;
  execsSeen = ssh?.execs.length ?? 0;
  const prom = prometheusRequests;
  prometheusRequests = 0;
  return { type: 'counts', gitlab: gl, hetzner, sshExecs: execs, prometheus: prom };
}

async function stop(): Promise<void> {
  const close = (s: Server | null) => new Promise<void>((r) => (s ? s.close(() => r()) : r()));
  await Promise.allSettled([
    prometheus?.dispose(),
    close(proxy),
    close(exporter),
    ssh?.dispose(),
    gitlab?.close(),
    hcloud?.dispose(),
  ]);
  if (root) rmSync(root, { recursive: true, force: true });
}

process.on('message', (raw: SimRequestMessage) => {
  void (async () => {
    try {
      if (raw.type === 'start') send(await start(raw.size, raw.mode, raw.now));
      else if (raw.type === 'tick') {
        tick(raw.now, raw.newJobs);
        send({ type: 'ticked' });
      } else if (raw.type === 'counts') send(counts());
      else if (raw.type === 'stop') {
        await stop();
        send({ type: 'stopped' });
        process.exit(0);
      }
    } catch (error) {
      send({ type: 'error', message: error instanceof Error ? error.stack : String(error) });
    }
  })();
});
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
