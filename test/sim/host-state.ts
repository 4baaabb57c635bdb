import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/*
 * The state of one simulated host, as the shims in `test/sim/shims/` read it.
 *
 * The shims are POSIX sh + awk (they also run behind a real sshd, without Node), so the
 * state lives in plain tab-separated files in the directory named by `RW_SIM_STATE`:
 *
 *   now            unix seconds the host believes it is (the scenario clock, not the wall clock)
 *   hostname       the host's name
 *   mounts.tsv     device fstype sizeKiB usedKiB availKiB inodes iused ifree mount   ("-" = no inode figures)
 *   paths.txt      other existing paths; `df PATH` answers for the mount holding them
 *   containers.tsv id name image command created createdText state exitCode labels volumes networks
 *                  finished finishedText   (unix seconds or 0, and RFC 3339 as `docker inspect` prints State.FinishedAt)
 *   volumes.tsv    name driver sizeBytes labels
 *   images.tsv     id repository tag created createdText sizeBytes
 *   machines.tsv   name state url driver        (docker-machine on a runner manager)
 *   processes.txt  pid name, one per line (pgrep -x)
 *   load.tsv       load1 load5 load15 cpus memTotalKiB memAvailableKiB   (cat /proc/loadavg, /proc/meminfo, nproc)
 *   docker-down    present: the Docker daemon does not answer
 *   calls.log      every shim call, one line, arguments separated by tabs (appended by the shims)
 *
 * Each file is replaced atomically (write + rename), so a shim never reads half a file
 * unless a test writes one on purpose.
 */

const noTabs = z
  .string()
  .refine((s) => !/[\t\n\r]/.test(s), 'must not contain tabs or line breaks (state files are TSV)');
const nonEmpty = noTabs.refine((s) => s.length > 0, 'must not be empty');
const kib = z.number().int().nonnegative();

/** GitLab Runner's job container labels (REFERENCE.md, GitLab Runner). */
export const RUNNER_LABEL = {
  jobId: 'com.gitlab.gitlab-runner.job.id',
  jobUrl: 'com.gitlab.gitlab-runner.job.url',
  jobRef: 'com.gitlab.gitlab-runner.job.ref',
  jobSha: 'com.gitlab.gitlab-runner.job.sha',
  projectId: 'com.gitlab.gitlab-runner.project.id',
  pipelineId: 'com.gitlab.gitlab-runner.pipeline.id',
  runnerId: 'com.gitlab.gitlab-runner.runner.id',
  managed: 'com.gitlab.gitlab-runner.managed',
  type: 'com.gitlab.gitlab-runner.type',
} as const;

/** One mounted filesystem, in KiB like `df -Pk`. */
export const SimMount = z
  .strictObject({
    device: nonEmpty,
    fstype: nonEmpty,
    mount: nonEmpty.refine(
      (s) => s.startsWith('/') && !/\s/.test(s),
      'must be an absolute path without spaces',
    ),
    sizeKiB: kib,
    usedKiB: kib,
    availKiB: kib,
    /** null: the filesystem reports no inode figures (df prints 0 and "-"). */
    inodes: z.strictObject({ total: kib, used: kib, free: kib }).nullable(),
  })
  .refine((m) => m.usedKiB + m.availKiB <= m.sizeKiB, 'usedKiB + availKiB must not exceed sizeKiB');
/** One mounted filesystem. */
export type SimMount = z.infer<typeof SimMount>;

/** A Docker container. */
export const SimContainer = z
  .strictObject({
    /** Full 64-hex id; `docker ps` shows 12 characters unless --no-trunc. */
    id: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters'),
    name: nonEmpty,
    image: nonEmpty,
    command: noTabs.default(''),
    /** Unix seconds. */
    created: z.number().int().nonnegative(),
    state: z.enum(['created', 'running', 'paused', 'restarting', 'exited', 'dead']),
    /**
     * When the container last stopped (unix seconds, fractions allowed): what `docker ps -a`
     * counts "Exited (0) 12 minutes ago" from and `docker inspect` prints as State.FinishedAt.
     * Absent: an exited or dead container stopped at its creation; any other never stopped.
     */
    finished: z.number().nonnegative().optional(),
    exitCode: z.number().int().default(0),
    labels: z
      .record(
        nonEmpty.refine((k) => !/[=,]/.test(k), 'label keys must not contain "=" or ","'),
        noTabs.refine((v) => !v.includes(','), 'label values must not contain ","'),
      )
      .default({}),
    /** Names of the volumes the container mounts. */
    volumes: z.array(nonEmpty.refine((s) => !s.includes(','), 'must not contain ","')).default([]),
    networks: nonEmpty.default('bridge'),
  })
  .refine((c) => c.finished === undefined || c.finished >= c.created, {
    message: 'finished must not be before created',
    path: ['finished'],
  });
/** A Docker container. */
export type SimContainer = z.input<typeof SimContainer>;

/** A Docker volume; which containers use it follows from their `volumes`. */
export const SimVolume = z.strictObject({
  name: nonEmpty.refine((s) => !s.includes(','), 'must not contain ","'),
  driver: nonEmpty.default('local'),
  sizeBytes: z.number().int().nonnegative(),
  labels: z.record(nonEmpty, noTabs).default({}),
});
/** A Docker volume. */
export type SimVolume = z.input<typeof SimVolume>;

/** A Docker image. */
export const SimImage = z.strictObject({
  id: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex>'),
  repository: nonEmpty,
  tag: nonEmpty.default('latest'),
  /** Unix seconds. */
  created: z.number().int().nonnegative(),
  sizeBytes: z.number().int().nonnegative(),
});
/** A Docker image. */
export type SimImage = z.input<typeof SimImage>;

/** A machine `docker-machine ls` lists on a runner manager. */
export const SimMachine = z.strictObject({
  name: nonEmpty,
  state: z.enum([
    'Running',
    'Stopped',
    'Starting',
    'Stopping',
    'Error',
    'Timeout',
    'Saved',
    'Paused',
  ]),
  /** e.g. tcp://127.0.1.3:2376; empty when the machine is not running. */
  url: noTabs.default(''),
  driver: nonEmpty.default('hetzner'),
});
/** A docker-machine machine. */
export type SimMachine = z.input<typeof SimMachine>;

/** Everything a simulated host answers about itself. */
export const HostState = z.strictObject({
  hostname: nonEmpty,
  /** Unix seconds the host believes it is (drives "Up 5 minutes" and `until=` filters). */
  now: z.number().int().nonnegative(),
  mounts: z.array(SimMount).min(1, 'a host has at least one mount'),
  /** Other existing directories; `df PATH` answers for the mount that holds them. */
  paths: z
    .array(
      nonEmpty.refine(
        (s) => s.startsWith('/') && !/\s/.test(s),
        'must be an absolute path without spaces',
      ),
    )
    .default([]),
  containers: z.array(SimContainer).default([]),
  volumes: z.array(SimVolume).default([]),
  images: z.array(SimImage).default([]),
  /** docker-machine machines (runner manager only); absent = no docker-machine state. */
  machines: z.array(SimMachine).optional(),
  dockerDown: z.boolean().default(false),
  /** Names of processes running on the host, for `pgrep -x` (a runner manager runs `gitlab-runner`). */
  processes: z.array(nonEmpty.refine((s) => !/\s/.test(s), 'must not contain spaces')).default([]),
  /** Load and memory for `cat /proc/loadavg`, `cat /proc/meminfo` and `nproc`; absent: the real machine's. */
  load: z
    .strictObject({
      load1: z.number().nonnegative(),
      load5: z.number().nonnegative(),
      load15: z.number().nonnegative(),
      cpus: z.number().int().positive(),
      memTotalKiB: kib,
      memAvailableKiB: kib,
    })
    .refine(
      (l) => l.memAvailableKiB <= l.memTotalKiB,
      'memAvailableKiB must not exceed memTotalKiB',
    )
    .optional(),
});
/** Everything a simulated host answers about itself (as written). */
export type HostState = z.input<typeof HostState>;
/** A host state after defaults. */
export type ParsedHostState = z.output<typeof HostState>;

/** Thrown for a state that cannot be written; says which field is wrong. */
export class HostStateError extends Error {
  override readonly name = 'HostStateError';
}

/** `2026-11-23 15:04:05 +0000 UTC`, the way `docker ps` prints CreatedAt. */
export function dockerTime(unixSec: number): string {
  const iso = new Date(unixSec * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

/**
 * `2026-11-23T15:04:05.5Z`, the way `docker inspect` prints State.FinishedAt (Go's
 * RFC3339Nano: UTC here, trailing zeros of the fraction dropped); the zero time for never.
 */
export function dockerRfc3339(unixSec: number | null): string {
  if (unixSec === null) return '0001-01-01T00:00:00Z';
  const iso = new Date(Math.round(unixSec * 1000)).toISOString();
  return iso.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** When a container last stopped, as the state files record it; null: never. */
export function finishedOf(c: {
  created: number;
  state: string;
  finished?: number | undefined;
}): number | null {
  if (c.finished !== undefined) return c.finished;
  return c.state === 'exited' || c.state === 'dead' ? c.created : null;
}

/**
 * What this process last wrote per file, so unchanged files are not rewritten every step
 * (the scenario writes 17 hosts per tick). A file someone else changed since (a shim, a
 * test writing garbage) has another mtime or size and is written again.
 */
const written = new Map<string, { text: string; mtimeMs: number; size: number }>();

function writeAtomic(dir: string, file: string, text: string): void {
  const target = join(dir, file);
  const last = written.get(target);
  if (last && last.text === text) {
    try {
      const st = statSync(target);
      if (st.mtimeMs === last.mtimeMs && st.size === last.size) return;
    } catch {
      // gone: write it again
    }
  }
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(16).slice(2)}`;
  writeFileSync(tmp, text);
  renameSync(tmp, target);
  const st = statSync(target);
  written.set(target, { text, mtimeMs: st.mtimeMs, size: st.size });
}

/**
 * Whether any of the files in `dir` changed since this process last wrote them (a shim
 * removed a volume, a test wrote garbage). Files never written here count as changed.
 */
export function changedSinceWritten(dir: string, files: readonly string[]): boolean {
  return files.some((file) => {
    const target = join(dir, file);
    const last = written.get(target);
    if (!last) return true;
    try {
      const st = statSync(target);
      return st.mtimeMs !== last.mtimeMs || st.size !== last.size;
    } catch {
      return true;
    }
  });
}

const rows = (lines: string[][]): string => lines.map((cols) => cols.join('\t') + '\n').join('');
const joinLabels = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * Writes a host's state into `dir` (created if missing), each file replaced atomically.
 * `calls.log` is left alone: it belongs to the shims. Throws HostStateError naming the
 * offending field for invalid input.
 */
export function writeHostState(dir: string, state: HostState): void {
  const parsed = HostState.safeParse(state);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new HostStateError(`invalid host state at ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const s = parsed.data;
  mkdirSync(dir, { recursive: true });
  writeAtomic(dir, 'now', `${s.now}\n`);
  writeAtomic(dir, 'hostname', `${s.hostname}\n`);
  writeAtomic(
    dir,
    'mounts.tsv',
    rows(
      s.mounts.map((m) => [
        m.device,
        m.fstype,
        String(m.sizeKiB),
        String(m.usedKiB),
        String(m.availKiB),
        m.inodes ? String(m.inodes.total) : '-',
        m.inodes ? String(m.inodes.used) : '-',
        m.inodes ? String(m.inodes.free) : '-',
        m.mount,
      ]),
    ),
  );
  writeAtomic(dir, 'paths.txt', s.paths.map((p) => p + '\n').join(''));
  writeAtomic(
    dir,
    'containers.tsv',
    rows(
      s.containers.map((c) => [
        c.id,
        c.name,
        c.image,
        c.command,
        String(c.created),
        dockerTime(c.created),
        c.state,
        String(c.exitCode),
        joinLabels(c.labels),
        c.volumes.join(','),
        c.networks,
        String(finishedOf(c) ?? 0),
        dockerRfc3339(finishedOf(c)),
      ]),
    ),
  );
  writeAtomic(
    dir,
    'volumes.tsv',
    rows(s.volumes.map((v) => [v.name, v.driver, String(v.sizeBytes), joinLabels(v.labels)])),
  );
  writeAtomic(
    dir,
    'images.tsv',
    rows(
      s.images.map((i) => [
        i.id,
        i.repository,
        i.tag,
        String(i.created),
        dockerTime(i.created),
        String(i.sizeBytes),
      ]),
    ),
  );
  if (s.machines) {
    writeAtomic(
      dir,
      'machines.tsv',
      rows(s.machines.map((m) => [m.name, m.state, m.url, m.driver])),
    );
  }
  if (s.load) {
    const l = s.load;
    writeAtomic(
      dir,
      'load.tsv',
      rows([
        [
          l.load1.toFixed(2),
          l.load5.toFixed(2),
          l.load15.toFixed(2),
          String(l.cpus),
          String(l.memTotalKiB),
          String(l.memAvailableKiB),
        ],
      ]),
    );
  } else if (existsSync(join(dir, 'load.tsv'))) rmSync(join(dir, 'load.tsv'), { force: true });
  writeAtomic(dir, 'processes.txt', s.processes.map((name, i) => `${1000 + i} ${name}\n`).join(''));
  const down = join(dir, 'docker-down');
  if (s.dockerDown) writeFileSync(down, '');
  else if (existsSync(down)) rmSync(down, { force: true });
}

/** One line of `calls.log`: the tool and its arguments. */
export interface ShimCall {
  tool: string;
  args: string[];
}

/** Reads `calls.log` (every shim call so far), optionally from a byte offset. */
export function readCalls(dir: string, fromOffset = 0): { calls: ShimCall[]; offset: number } {
  const file = join(dir, 'calls.log');
  if (!existsSync(file)) return { calls: [], offset: fromOffset };
  const buf = readFileSync(file);
  const text = buf.subarray(fromOffset).toString('utf8');
  const end = text.lastIndexOf('\n') + 1; // a line still being appended waits for the next read
  const calls = text
    .slice(0, end)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const [tool = '', ...args] = line.split('\t');
      return { tool, args };
    });
  return { calls, offset: fromOffset + Buffer.byteLength(text.slice(0, end)) };
}

function readTsv(dir: string, file: string): string[][] {
  const path = join(dir, file);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

const int = (s: string | undefined, what: string): number => {
  const n = Number(s);
  if (s === undefined || !Number.isInteger(n))
    throw new HostStateError(`state file: ${what} is not an integer: ${JSON.stringify(s)}`);
  return n;
};
const num = (s: string | undefined, what: string): number => {
  const n = Number(s);
  if (s === undefined || s === '' || !Number.isFinite(n))
    throw new HostStateError(`state file: ${what} is not a number: ${JSON.stringify(s)}`);
  return n;
};
const splitLabels = (s: string | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const kv of (s ?? '').split(',')) {
    if (!kv) continue;
    const eq = kv.indexOf('=');
    if (eq < 0) out[kv] = '';
    else out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
};

/**
 * Reads a host's state back (after shims changed it, e.g. `docker volume rm`). Throws
 * HostStateError for files that are not well-formed.
 */
export function readHostState(dir: string): ParsedHostState {
  const text = (f: string) =>
    existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').trim() : '';
  const machineRows = existsSync(join(dir, 'machines.tsv')) ? readTsv(dir, 'machines.tsv') : null;
  const raw: HostState = {
    hostname: text('hostname'),
    now: int(text('now'), 'now'),
    mounts: readTsv(dir, 'mounts.tsv').map((r) => ({
      device: r[0] ?? '',
      fstype: r[1] ?? '',
      sizeKiB: int(r[2], 'mount size'),
      usedKiB: int(r[3], 'mount used'),
      availKiB: int(r[4], 'mount avail'),
      inodes:
        r[5] === '-'
          ? null
          : { total: int(r[5], 'inodes'), used: int(r[6], 'iused'), free: int(r[7], 'ifree') },
      mount: r[8] ?? '',
    })),
    paths: text('paths.txt').split('\n').filter(Boolean),
    containers: readTsv(dir, 'containers.tsv').map((r) => ({
      id: r[0] ?? '',
      name: r[1] ?? '',
      image: r[2] ?? '',
      command: r[3] ?? '',
      created: int(r[4], 'container created'),
      state: (r[6] ?? '') as 'running',
      exitCode: int(r[7], 'exit code'),
      labels: splitLabels(r[8]),
      volumes: (r[9] ?? '').split(',').filter(Boolean),
      networks: r[10] ?? 'bridge',
      ...(r[11] !== undefined && r[11] !== '0'
        ? { finished: num(r[11], 'container finished') }
        : {}),
    })),
    volumes: readTsv(dir, 'volumes.tsv').map((r) => ({
      name: r[0] ?? '',
      driver: r[1] ?? 'local',
      sizeBytes: int(r[2], 'volume size'),
      labels: splitLabels(r[3]),
    })),
    images: readTsv(dir, 'images.tsv').map((r) => ({
      id: r[0] ?? '',
      repository: r[1] ?? '',
      tag: r[2] ?? '',
      created: int(r[3], 'image created'),
      sizeBytes: int(r[5], 'image size'),
    })),
    dockerDown: existsSync(join(dir, 'docker-down')),
    ...(existsSync(join(dir, 'load.tsv'))
      ? (() => {
          const r = readTsv(dir, 'load.tsv')[0] ?? [];
          return {
            load: {
              load1: num(r[0], 'load1'),
              load5: num(r[1], 'load5'),
              load15: num(r[2], 'load15'),
              cpus: int(r[3], 'cpus'),
              memTotalKiB: int(r[4], 'memTotal'),
              memAvailableKiB: int(r[5], 'memAvailable'),
            },
          };
        })()
      : {}),
    ...(machineRows
      ? {
          machines: machineRows.map((r) => ({
            name: r[0] ?? '',
            state: (r[1] ?? '') as 'Running',
            url: r[2] ?? '',
            driver: r[3] ?? 'hetzner',
          })),
        }
      : {}),
  };
  const parsed = HostState.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HostStateError(
      `state file in ${dir} is malformed at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`,
    );
  }
  return parsed.data;
}

/** Paths of the shims directory, to put first on PATH. */
export const SHIMS_DIR = new URL('./shims', import.meta.url).pathname;
