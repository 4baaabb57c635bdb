/*
 * Issue 13, point 2: one probe cycle over 50 real OpenSSH hosts on loopback (one sshd per
 * address 127.0.4.1–50, the test user with a plain /bin/sh and no start-up files, the
 * test/sim shims on PATH), against the naive approach written here: a new ssh2
 * connection per host, one host after another, each running the same probe.
 *
 * Measured: the cold cycle (every connection opened), warm cycles (p50/p95), connections
 * opened per steady-state cycle, our process's CPU per cycle, and the split of one host's
 * probe into the host's own command time (the same script run locally with `sh`), the SSH
 * round trip and the parse. All 50 "hosts" share this machine's cores, so their commands
 * run one after another on two CPUs here, where a real fleet runs them in parallel on 50
 * machines: the bench reports that floor (the probe script run locally for all hosts at
 * the same concurrency) next to every cycle.
 *
 * Needs root and openssh-server, like the integration tests. Figures go to
 * bench/results/ssh-fleet.json; nothing here asserts a time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import ssh2 from 'ssh2';
import { parseProbeOutput } from '../electron/core/sources/ssh/probe-parse';
import {
  CONTAINER_EXIT_FORMAT,
  CONTAINER_EXIT_LIMIT,
  probeCommand,
  type ProbeRequest,
} from '../electron/core/sources/ssh/probe-script';
import { createProbeSource } from '../electron/core/sources/ssh/probe-source';
import { shellJoin } from '../electron/core/sources/ssh/shell-quote';
import { emptySshConfig } from '../electron/core/sources/ssh/ssh-config';
import { resolveTarget } from '../electron/core/sources/ssh/target';
import { Settings } from '../shared/settings';
import { RUNNER_LABEL, SHIMS_DIR, writeHostState } from '../test/sim/host-state';
import {
  sshdSkipReason,
  startSshdCluster,
  TEST_USER,
  type SshdCluster,
} from '../test/support/sshd';
import { describeMachine, writeResult, type TargetResult } from './lib/results';

const HOSTS = Number(process.env.RW_BENCH_SSH_HOSTS ?? 50);
const WARM_CYCLES = Number(process.env.RW_BENCH_SSH_CYCLES ?? 20);
type Request = Omit<ProbeRequest, 'nonce'>;

const reason = sshdSkipReason();
if (reason) {
  console.error(`ssh-fleet bench skipped: ${reason}`);
  process.exit(0);
}

const run = promisify(execFile);
const round = (ms: number) => Math.round(ms * 10) / 10;
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const pct = (values: number[], p: number) => {
  const s = sorted(values);
  return round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN);
};
const median = (values: number[]) => pct(values, 50);
const timed = async <T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
};

const GiB = 1024 * 1024;

/** Host i's state: two mounts, load figures, and on every third host two running job containers. */
function hostState(i: number) {
  const now = Math.floor(Date.now() / 1000);
  const jobs = i % 3 === 0 ? [1000 + i * 2, 1001 + i * 2] : [];
  return {
    hostname: `bench-${i + 1}`,
    now,
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
        usedKiB: (20 + (i % 60)) * GiB,
        availKiB: (80 - (i % 60)) * GiB,
        inodes: null,
      },
    ],
    containers: jobs.map((jobId, n) => ({
      id: jobId.toString(16).padStart(64, '0'),
      name: `runner-x1y2z3w4-project-42-concurrent-${n}-${jobId}-build`,
      image: 'alpine:3.20',
      command: 'sh -c "make test"',
      created: now - 60,
      state: 'running' as const,
      labels: {
        [RUNNER_LABEL.jobId]: String(jobId),
        [RUNNER_LABEL.projectId]: '42',
        [RUNNER_LABEL.pipelineId]: '777',
        [RUNNER_LABEL.type]: 'build',
        [RUNNER_LABEL.jobUrl]: `http://127.0.0.1:1/g/p/-/jobs/${jobId}`,
      },
    })),
    processes: i % 10 === 0 ? ['gitlab-runner'] : [],
    load: {
      load1: 0.5,
      load5: 0.4,
      load15: 0.3,
      cpus: 4,
      memTotalKiB: 8 * GiB,
      memAvailableKiB: 5 * GiB,
    },
  };
}

/** The probe script run locally as the test user, with host `index`'s PATH and state: the host's own command time. */
async function localProbe(
  cluster: SshdCluster,
  request: Request,
  index: number,
  uid: number,
  gid: number,
) {
  const host = cluster.hosts[index]!;
  const { argv, nonce } = probeCommand(request);
  const { ms, value } = await timed(() =>
    run(argv[0]!, argv.slice(1), {
      uid,
      gid,
      cwd: '/',
      env: {
        PATH: `${host.overrideDir}:${cluster.shimDir}:/usr/bin:/bin`,
        RW_SIM_STATE: host.stateDir,
      },
    }),
  );
  return { ms, stdout: value.stdout, nonce };
}

/** The naive approach: per host, one after another, a new ssh2 connection that runs the probe and closes. */
async function naiveCycle(
  cluster: SshdCluster,
  request: Request,
): Promise<{ ms: number; probed: number }> {
  const privateKey = readFileSync(cluster.clientKey);
  let probed = 0;
  const started = performance.now();
  for (const host of cluster.hosts) {
    const expected = host.hostKey();
    const { argv, nonce } = probeCommand(request);
    const stdout = await new Promise<string>((resolve, reject) => {
      const client = new ssh2.Client();
      const out: Buffer[] = [];
      client.on('error', reject);
      client.on('ready', () => {
        client.exec(shellJoin(argv), (error, stream) => {
          if (error) return reject(error);
          stream.on('data', (chunk: Buffer) => out.push(chunk));
          stream.stderr.resume();
          stream.on('close', () => {
            client.end();
            resolve(Buffer.concat(out).toString('utf8'));
          });
        });
      });
      client.connect({
        host: host.address,
        port: host.port,
        username: cluster.user,
        privateKey,
        readyTimeout: 10_000,
        // Even the naive script checks the host key (a plain `ssh` would).
        hostVerifier: (key: Buffer) => key.equals(expected),
      });
    });
    if (parseProbeOutput(stdout, nonce, request).disks !== null) probed += 1;
  }
  return { ms: performance.now() - started, probed };
}

/**
 * A host whose own commands cost what the real tools cost: df, cat and nproc are this
 * machine's binaries (symlinked first on PATH); docker (ps, ps -a, inspect) and pgrep
 * answer from the output the simulated host gave once (a shell script that cats a file):
 * the real docker is not installed here, and the real pgrep would scan this shared
 * machine's processes.
 */
async function makeLean(cluster: SshdCluster, request: Request, uid: number, gid: number) {
  for (const [i, host] of cluster.hosts.entries()) {
    const shim = async (tool: string, args: string[]) =>
      run(join(cluster.shimDir, tool), args, {
        uid,
        gid,
        env: { PATH: `${cluster.shimDir}:/usr/bin:/bin`, RW_SIM_STATE: host.stateDir },
      }).then(
        ({ stdout }) => ({ stdout, code: 0 }),
        (error: { stdout?: string; code?: number }) => ({
          stdout: error.stdout ?? '',
          code: error.code ?? 1,
        }),
      );
    const filter = `label=${RUNNER_LABEL.jobId}`;
    const ps = await shim('docker', [
      'ps',
      '--no-trunc',
      '--filter',
      filter,
      '--format',
      '{{json .}}',
    ]);
    const psAll = await shim('docker', [
      'ps',
      '-aq',
      '--no-trunc',
      '--last',
      String(CONTAINER_EXIT_LIMIT),
      '--filter',
      filter,
    ]);
    const ids = psAll.stdout.split('\n').filter(Boolean);
    const inspect = ids.length
      ? await shim('docker', ['inspect', '--format', CONTAINER_EXIT_FORMAT, ...ids])
      : { stdout: '', code: 0 };
    const pgrep = await shim('pgrep', ['-x', 'gitlab-runner']);
    const save = (what: string, answer: { stdout: string; code: number }) => {
      const file = join(host.stateDir, `${what}.recorded`);
      writeFileSync(file, answer.stdout);
      return `/usr/bin/cat ${file}; exit ${answer.code}`;
    };
    // The probe's three docker calls, each answered from its recording.
    host.override(
      'docker',
      [
        'case "$1 $2" in',
        `  "ps --no-trunc") ${save('docker-ps', ps)} ;;`,
        `  "ps -aq") ${save('docker-ps-a', psAll)} ;;`,
        `  "inspect --format") ${save('docker-inspect', inspect)} ;;`,
        '  *) echo "lean host: unexpected docker $*" >&2; exit 2 ;;',
        'esac',
      ].join('\n'),
    );
    host.override('pgrep', save('pgrep', pgrep));
    for (const tool of ['df', 'cat', 'nproc'])
      symlinkSync(`/usr/bin/${tool}`, join(host.overrideDir, tool));
    if (i === 0) {
      const local = await localProbe(cluster, request, 0, uid, gid);
      const report = parseProbeOutput(local.stdout, local.nonce, request);
      if (report.errors.length || report.disks === null || report.jobs === null)
        throw new Error(`lean host answers badly: ${report.errors.join('; ')}`);
    }
  }
}

interface Variant {
  name: string;
  describe: string;
  request: Request;
  prepare(): Promise<void>;
}

async function measureVariant(
  cluster: SshdCluster,
  variant: Variant,
  uid: number,
  gid: number,
): Promise<Record<string, unknown>> {
  const { request } = variant;
  await variant.prepare();
  console.log(`— ${variant.name}: ${variant.describe}`);

  // The hosts' own command time: the probe script run locally, one host at a time (one
  // host's figure) and all hosts at the cycle's concurrency (the floor of a loopback cycle,
  // where every host's commands share this machine's CPUs).
  for (let i = 0; i < 3; i++) await localProbe(cluster, request, i, uid, gid); // page cache
  const localOne: number[] = [];
  let sampleOutput = '';
  let sampleNonce = '';
  for (let i = 0; i < HOSTS; i++) {
    const r = await localProbe(cluster, request, i, uid, gid);
    localOne.push(r.ms);
    if (i === 0) {
      sampleOutput = r.stdout;
      sampleNonce = r.nonce;
    }
  }
  const localAll = async (concurrency: number) => {
    const limit = pLimit(concurrency);
    const all = () =>
      Promise.all(
        cluster.hosts.map((_, i) => limit(() => localProbe(cluster, request, i, uid, gid))),
      );
    return (await timed(all)).ms;
  };

  // Parse cost of one host's answer.
  const PARSES = 2000;
  const parseStarted = performance.now();
  for (let i = 0; i < PARSES; i++) parseProbeOutput(sampleOutput, sampleNonce, request);
  const parseUs = ((performance.now() - parseStarted) / PARSES) * 1000;

  const cycles: Record<string, unknown>[] = [];
  for (const concurrency of [16, HOSTS]) {
    const localFloorMs = median([
      await localAll(concurrency),
      await localAll(concurrency),
      await localAll(concurrency),
    ]);
    const settings = Settings.parse({
      fleets: [
        { id: 'bench', kind: 'dedicated', ssh: cluster.access(), watchedMounts: request.mounts },
      ],
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
      const before = source.pool.stats.connectionsOpened;
      const cpu = process.cpuUsage();
      const { ms, value } = await timed(() =>
        source.collect(new AbortController().signal, context),
      );
      const used = process.cpuUsage(cpu);
      return {
        ms,
        cpuMs: (used.user + used.system) / 1000,
        probed: value.machines.filter((m) => m.disks !== null && m.jobs !== null && !m.error)
          .length,
        opened: source.pool.stats.connectionsOpened - before,
      };
    };
    const cold = await cycle();
    const warm = [];
    for (let i = 0; i < WARM_CYCLES; i++) warm.push(await cycle());

    // One host at a time over its pooled connection: the probe's exec round trip and a bare
    // `true`, against the same script run locally (localOne).
    const targets = settings.sshHosts.map((h) =>
      resolveTarget(h.alias, settings.fleets[0]!.ssh, emptySshConfig, { host: h.host }),
    );
    const probeExec: number[] = [];
    const trueExec: number[] = [];
    for (const target of targets) {
      const { argv } = probeCommand(request);
      probeExec.push((await timed(() => source.pool.exec(target, argv))).ms);
      trueExec.push((await timed(() => source.pool.exec(target, ['true']))).ms);
    }
    const limit = pLimit(concurrency);
    const trueAll: number[] = [];
    for (let r = 0; r < 3; r++) {
      const all = () => Promise.all(targets.map((t) => limit(() => source.pool.exec(t, ['true']))));
      trueAll.push((await timed(all)).ms);
    }
    const connectionsTotal = source.pool.stats.connectionsOpened;
    await source.dispose?.();

    const warmMs = warm.map((w) => w.ms);
    const row = {
      concurrency,
      hosts: HOSTS,
      coldMs: round(cold.ms),
      coldConnections: cold.opened,
      coldCpuMs: round(cold.cpuMs),
      warmCycles: WARM_CYCLES,
      warmP50Ms: median(warmMs),
      warmP95Ms: pct(warmMs, 95),
      warmMaxMs: pct(warmMs, 100),
      warmCpuMsP50: median(warm.map((w) => w.cpuMs)),
      connectionsPerWarmCycleMax: Math.max(...warm.map((w) => w.opened)),
      connectionsOpenedTotal: connectionsTotal,
      allProbedEveryCycle: [cold, ...warm].every((c) => c.probed === HOSTS),
      hostsOwnCommandsAllHostsMs: localFloorMs,
      trueAllHostsMs: median(trueAll),
      perHost: {
        probeExecP50Ms: median(probeExec),
        ownCommandP50Ms: median(localOne),
        sshOverheadP50Ms: round(median(probeExec) - median(localOne)),
        bareTrueExecP50Ms: median(trueExec),
        parseUs: round(parseUs),
      },
    };
    cycles.push(row);
    console.log(
      `concurrency ${concurrency}: cold ${row.coldMs} ms (${row.coldConnections} connections), ` +
        `warm p50 ${row.warmP50Ms} ms p95 ${row.warmP95Ms} ms over ${WARM_CYCLES} cycles ` +
        `(our CPU ${row.warmCpuMsP50} ms/cycle), connections per warm cycle ≤ ${row.connectionsPerWarmCycleMax}, ` +
        `all probed: ${row.allProbedEveryCycle}; hosts' own commands for all ${HOSTS} at this concurrency ` +
        `(run locally): ${row.hostsOwnCommandsAllHostsMs} ms; bare \`true\` on all pooled connections: ${row.trueAllHostsMs} ms`,
    );
    console.log(
      `  per host (one at a time): probe exec ${row.perHost.probeExecP50Ms} ms = own commands ` +
        `${row.perHost.ownCommandP50Ms} ms + SSH ${row.perHost.sshOverheadP50Ms} ms; bare \`true\` ` +
        `${row.perHost.bareTrueExecP50Ms} ms; parse ${row.perHost.parseUs} µs`,
    );
  }

  const naive = await naiveCycle(cluster, request);
  const bestWarm = Math.min(...cycles.map((c) => c.warmP50Ms as number));
  const naiveRow = {
    ms: round(naive.ms),
    probed: naive.probed,
    perHostMs: round(naive.ms / HOSTS),
    ratioToBestWarmP50: round(naive.ms / bestWarm),
  };
  console.log(
    `naive (new connection per host, one after another): ${naiveRow.ms} ms for ${HOSTS} hosts ` +
      `(${naiveRow.perHostMs} ms per host, ${naive.probed} probed); ${naiveRow.ratioToBestWarmP50}× the best warm p50`,
  );
  return { describe: variant.describe, mounts: request.mounts, cycles, naive: naiveRow };
}

/** The three targets, for each kind of host, at the default concurrency (16). */
function targetsOf(variants: Record<string, unknown>): TargetResult[] {
  const out: TargetResult[] = [];
  for (const [name, raw] of Object.entries(variants)) {
    const variant = raw as {
      cycles: { concurrency: number; warmP50Ms: number; connectionsPerWarmCycleMax: number }[];
      naive: { ratioToBestWarmP50: number };
    };
    const cycle = variant.cycles.find((c) => c.concurrency === 16) ?? variant.cycles[0];
    if (!cycle) continue;
    out.push(
      {
        what: `${name} hosts: warm cycle over ${HOSTS} hosts (p50, concurrency 16)`,
        target: '≤ 150 ms',
        value: `${cycle.warmP50Ms} ms`,
        met: cycle.warmP50Ms <= 150,
      },
      {
        what: `${name} hosts: naive approach / best warm cycle`,
        target: '≥ 20×',
        value: `${variant.naive.ratioToBestWarmP50}×`,
        met: variant.naive.ratioToBestWarmP50 >= 20,
      },
      {
        what: `${name} hosts: connections opened per steady-state cycle`,
        target: '0',
        value: cycle.connectionsPerWarmCycleMax,
        met: cycle.connectionsPerWarmCycleMax === 0,
      },
    );
  }
  return out;
}

const machine = describeMachine();
const addresses = Array.from({ length: HOSTS }, (_, i) => `127.0.4.${i + 1}`);
console.log(`starting ${HOSTS} sshd hosts…`);
const cluster = await startSshdCluster({ addresses, shimDir: SHIMS_DIR });
const uid = Number(execFileSync('id', ['-u', TEST_USER]).toString().trim());
const gid = Number(execFileSync('id', ['-g', TEST_USER]).toString().trim());
const variants: Record<string, unknown> = {};
try {
  cluster.hosts.forEach((host, i) => writeHostState(host.stateDir, hostState(i)));
  const simulated: Request = { mounts: ['/', '/var/lib/docker'], volumes: false };
  // This machine has no /var/lib/docker; the real df answers for / and /tmp instead.
  const lean: Request = { mounts: ['/', '/tmp'], volumes: false };
  for (const variant of [
    {
      name: 'simulated',
      describe: 'test/sim shims (sh + awk over state files) answer every command',
      request: simulated,
      prepare: async () => undefined,
    },
    {
      name: 'lean',
      describe:
        'real df/cat/nproc; docker and pgrep answer from their recorded output: host commands at the cost of real tools',
      request: lean,
      prepare: () => makeLean(cluster, lean, uid, gid),
    },
  ] satisfies Variant[]) {
    variants[variant.name] = await measureVariant(cluster, variant, uid, gid);
  }
} finally {
  await cluster.dispose();
}

writeResult('ssh-fleet', machine, targetsOf(variants), {
  note:
    'All hosts share this machine: their own commands queue on its cores, and hostsOwnCommandsAllHostsMs ' +
    '(the probe script run locally for every host at the same concurrency) is the floor of a loopback cycle. ' +
    'perHost splits one probe into own commands, SSH and parse.',
  variants,
});
