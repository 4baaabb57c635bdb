import { z } from 'zod';
import type { DiskUsage, LoadInfo, RunningJob } from '../../../../shared/machine';
import { CONTAINER_EXIT_LIMIT } from './probe-script';

/** One section of a probe answer. */
export interface ProbeSection {
  stdout: string;
  stderr: string;
  /** Exit status; null when the section was cut off before its end marker. */
  status: number | null;
}

/** A `runner-*` volume and its size (null when Docker did not say). */
export interface RunnerVolume {
  name: string;
  sizeBytes: number | null;
  /** Containers using it; null when unknown. */
  links: number | null;
}

/**
 * What a probe found. Each field is null when it could not be read, with the reason in
 * `errors`; a null is never to be read as zero or empty.
 */
export interface ProbeReport {
  disks: DiskUsage[] | null;
  jobs: RunningJob[] | null;
  load: LoadInfo | null;
  /** Null also when volumes were not asked for. */
  volumes: RunnerVolume[] | null;
  /** A `gitlab-runner` process runs on the host (pgrep); null when the check could not run. */
  runsGitlabRunner: boolean | null;
  /** When the job containers docker still lists stopped (idle evidence); null when unreadable. */
  containerExits: ContainerExitReport | null;
  /** Watched mounts that do not exist on the host (reported, not an error). */
  absentMounts: string[];
  /** One line per problem, naming the section ("df /var/lib/docker: …"). */
  errors: string[];
  /** False when the answer stopped before the final marker. */
  complete: boolean;
}

/**
 * What the job containers docker still lists say about the host's last job: ages on the
 * host's own clock (its `date` and Docker's FinishedAt come from the same clock), so a
 * host whose clock is off by an hour does not make a container look an hour older.
 */
export interface ContainerExitReport {
  /** The host's clock when it answered, ms. */
  hostNow: number;
  /**
   * The latest stop among stopped job containers, as an age (ms, never negative: a stop
   * "in the future" counts as now); null when docker lists none.
   */
  lastExit: { ageMs: number; jobId: number | null } | null;
  /** Job containers not stopped (running, created, paused, restarting): a job is on. */
  active: number;
  /** Stopped job containers counted (cache containers say nothing about the last job). */
  exited: number;
}

/** Splits a probe answer into its sections; lines outside sections are ignored. */
export function splitSections(
  output: string,
  nonce: string,
): { sections: Map<string, ProbeSection>; done: boolean } {
  const sections = new Map<string, ProbeSection>();
  const marker = `@@${nonce} `;
  let current: { name: string; out: string[]; err: string[]; inErr: boolean } | null = null;
  let done = false;
  for (const line of output.split('\n')) {
    if (line === `@@${nonce} done`) {
      done = true;
      continue;
    }
    if (!line.startsWith(marker)) {
      if (current) (current.inErr ? current.err : current.out).push(line);
      continue;
    }
    const rest = line.slice(marker.length);
    // Marker lines are short; a long one is content (and kept out of the regexes below).
    if (rest.length > 512) {
      if (current) (current.inErr ? current.err : current.out).push(line);
      continue;
    }
    const begin = /^begin (.+)$/.exec(rest);
    const stderr = /^stderr (.+)$/.exec(rest);
    const end = /^end (.+) (\d+)$/.exec(rest);
    if (begin?.[1]) {
      if (current) sections.set(current.name, close(current, null));
      current = { name: begin[1], out: [], err: [], inErr: false };
    } else if (stderr?.[1] && current?.name === stderr[1]) {
      current.inErr = true;
    } else if (end?.[1] && end[2] && current?.name === end[1]) {
      sections.set(current.name, close(current, Number(end[2])));
      current = null;
    }
  }
  if (current) sections.set(current.name, close(current, null));
  return { sections, done };
}

function close(s: { out: string[]; err: string[] }, status: number | null): ProbeSection {
  // The script adds one newline before each marker; drop the blank lines that leaves.
  return { stdout: trimBlank(s.out), stderr: trimBlank(s.err), status };
}

function trimBlank(lines: string[]): string {
  return lines.filter((l) => l.trim() !== '').join('\n');
}

/** One row of `df -P` (either `-k` or `-i`). */
export interface DfRow {
  filesystem: string;
  total: number | null;
  used: number | null;
  avail: number | null;
  mount: string;
}

/**
 * Longest `df` line accepted: a mount point is at most PATH_MAX (4096) plus the figures.
 * Longer lines are refused before any parsing, so a hostile host cannot stall the probe.
 */
export const MAX_DF_LINE = 8192;

/** Largest block or inode count whose byte figure (× 1024) stays an exact integer. */
const MAX_DF_COUNT = Math.floor(Number.MAX_SAFE_INTEGER / 1024);

/**
 * Parses `df -P` output: a header, then one row per filesystem (the mount point is the
 * rest of the line, so it may contain spaces). Throws on anything else. Linear in the
 * input: rows are split into whitespace-separated words once, then matched word by word.
 */
export function parseDf(stdout: string, kind: 'k' | 'i'): DfRow[] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const long = lines.find((l) => l.length > MAX_DF_LINE);
  if (long !== undefined)
    throw new Error(`df line longer than ${MAX_DF_LINE} characters (${long.length})`);
  const header = lines.shift();
  const expected =
    kind === 'k'
      ? ['Filesystem', '1024-blocks', 'Used', 'Available', 'Capacity', 'Mounted', 'on']
      : ['Filesystem', 'Inodes', 'IUsed', 'IFree', 'IUse%', 'Mounted', 'on'];
  const words = header === undefined ? [] : header.trim().split(/\s+/);
  if (words.length !== expected.length || words.some((w, i) => w !== expected[i])) {
    throw new Error(`unexpected df header ${JSON.stringify((header ?? '').slice(0, 120))}`);
  }
  if (lines.length === 0) throw new Error('df printed no filesystem');
  return lines.map(parseDfRow);
}

/**
 * One row: `<filesystem> <total> <used> <avail> <pct> <mount>`, where the filesystem
 * name and the mount point may contain spaces. The row is cut into words with their
 * offsets in one pass; the first place where four figures, a percentage and a word
 * starting with `/` follow each other splits it. Each position is tried once: linear.
 */
function parseDfRow(line: string): DfRow {
  const words: { text: string; start: number }[] = [];
  const pattern = /\S+/g;
  for (let m = pattern.exec(line); m; m = pattern.exec(line))
    words.push({ text: m[0], start: m.index });
  const figure = (w: string | undefined) => w !== undefined && /^(?:\d+|-)$/.test(w);
  const pct = (w: string | undefined) => w !== undefined && /^(?:\d+%|-)$/.test(w);
  for (let i = 1; i + 4 < words.length; i++) {
    const [total, used, avail, use, mount] = [0, 1, 2, 3, 4].map((k) => words[i + k]);
    if (
      !total ||
      !used ||
      !avail ||
      !figure(total.text) ||
      !figure(used.text) ||
      !figure(avail.text) ||
      !pct(use?.text) ||
      !mount?.text.startsWith('/')
    )
      continue;
    const first = words[0];
    const last = words[i - 1];
    if (!first || !last) break;
    return {
      filesystem: line.slice(first.start, last.start + last.text.length),
      total: dfCount(total.text),
      used: dfCount(used.text),
      avail: dfCount(avail.text),
      mount: line.slice(mount.start),
    };
  }
  throw new Error(`unexpected df line ${JSON.stringify(line.slice(0, 120))}`);
}

/** A df figure: null for `-`; a count too large to be real (or to multiply exactly) throws. */
function dfCount(text: string): number | null {
  if (text === '-') return null;
  // Beyond 16 digits the count is past MAX_DF_COUNT anyway; Number() of 400 digits is Infinity.
  const value = text.length > 16 ? Infinity : Number(text);
  if (!(value <= MAX_DF_COUNT))
    throw new Error(
      `df figure ${text.length > 20 ? `${text.slice(0, 20)}…` : text} is too large to be real`,
    );
  return value;
}

/**
 * Why a df row cannot describe a real filesystem, or null when it can. A 0-byte
 * filesystem "at 0 %" or one using more than its size would otherwise reach the reaper
 * as a figure it compares; unknown is the honest reading.
 */
export function impossibleDf(total: number, used: number, avail: number): string | null {
  if (total === 0) return 'filesystem reports a size of 0';
  if (used > total) return `used (${used}) exceeds the size (${total})`;
  if (avail > total) return `available (${avail}) exceeds the size (${total})`;
  return null;
}

/** df's Use%: used / (used + available), rounded up; 0 for an empty filesystem. */
export function usedPercent(used: number, avail: number): number {
  const total = used + avail;
  if (total <= 0) return 0;
  return Math.min(100, Math.ceil((used * 100) / total));
}

function isAbsent(section: ProbeSection): boolean {
  return section.status !== 0 && /No such file or directory/.test(section.stderr);
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function sectionProblem(section: ProbeSection | undefined, what: string): string | null {
  if (!section) return `${what}: missing from the answer`;
  if (section.status === null) return `${what}: answer cut off`;
  if (section.status !== 0) {
    const why = firstLine(section.stderr) || firstLine(section.stdout);
    return `${what}: exit status ${section.status}${why ? ` (${why})` : ''}`;
  }
  return null;
}

function parseDisks(
  sections: Map<string, ProbeSection>,
  mounts: readonly string[],
  errors: string[],
  absent: string[],
): DiskUsage[] | null {
  const disks: DiskUsage[] = [];
  let failed = false;
  for (const path of mounts) {
    const section = sections.get(`df-k:${path}`);
    if (section && isAbsent(section)) {
      absent.push(path);
      continue;
    }
    const problem = sectionProblem(section, `df ${path}`);
    if (problem || !section) {
      errors.push(problem ?? `df ${path}: missing`);
      failed = true;
      continue;
    }
    let row: DfRow;
    try {
      const rows = parseDf(section.stdout, 'k');
      if (rows.length !== 1 || !rows[0])
        throw new Error(`expected one filesystem, got ${rows.length}`);
      row = rows[0];
      if (row.total === null || row.used === null || row.avail === null)
        throw new Error('size figures missing');
      const impossible = impossibleDf(row.total, row.used, row.avail);
      if (impossible) throw new Error(impossible);
    } catch (error) {
      errors.push(`df ${path}: ${(error as Error).message}`);
      failed = true;
      continue;
    }
    // Two watched paths on one filesystem are one disk, named by its real mount point.
    if (disks.some((d) => d.mount === row.mount)) continue;
    const used = row.used ?? 0;
    const avail = row.avail ?? 0;
    disks.push({
      mount: row.mount,
      sizeBytes: (row.total ?? 0) * 1024,
      usedBytes: used * 1024,
      availBytes: avail * 1024,
      usedPct: usedPercent(used, avail),
      ...inodesFor(sections.get(`df-i:${path}`), row.mount, errors, path),
    });
  }
  // One watched mount unreadable makes the disk picture unknown: a full disk could hide there.
  return failed ? null : disks;
}

function inodesFor(
  section: ProbeSection | undefined,
  mount: string,
  errors: string[],
  path: string,
): Pick<DiskUsage, 'inodesTotal' | 'inodesUsed' | 'inodesUsedPct'> {
  const unknown = { inodesTotal: null, inodesUsed: null, inodesUsedPct: null };
  const problem = sectionProblem(section, `df -i ${path}`);
  if (problem || !section) {
    errors.push(problem ?? `df -i ${path}: missing`);
    return unknown;
  }
  try {
    const row = parseDf(section.stdout, 'i')[0];
    if (!row || row.mount !== mount) throw new Error('inode row does not match the mount');
    // Filesystems without fixed inodes (btrfs, xfs on some kernels) print 0 and "-".
    if (row.total === null || row.used === null || row.avail === null || row.total === 0)
      return unknown;
    const impossible = impossibleDf(row.total, row.used, row.avail);
    if (impossible) throw new Error(impossible.replace('size', 'inode count'));
    return {
      inodesTotal: row.total,
      inodesUsed: row.used,
      inodesUsedPct: usedPercent(row.used, row.avail),
    };
  } catch (error) {
    errors.push(`df -i ${path}: ${(error as Error).message}`);
    return unknown;
  }
}

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
/** GitLab labels whose values are free text (a git ref may hold `,` and `=`). */
const FREE_TEXT = new Set(['com.gitlab.gitlab-runner.job.ref', 'com.gitlab.gitlab-runner.job.url']);

/**
 * Splits Docker's `Labels` string (`k=v` pairs joined with commas, in no fixed order).
 * Values may contain commas, so a comma-separated piece that does not start with a
 * plausible `key=` continues the previous value; after a free-text GitLab label (ref,
 * URL) only a dotted key (`com.example.x=`, as Docker recommends) starts a new label.
 */
export function parseDockerLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === '') return labels;
  let lastKey: string | null = null;
  for (const piece of text.split(',')) {
    const eq = piece.indexOf('=');
    const key = eq > 0 ? piece.slice(0, eq) : null;
    const startsLabel =
      key !== null &&
      LABEL_KEY.test(key) &&
      !Object.hasOwn(labels, key) &&
      (lastKey === null || !FREE_TEXT.has(lastKey) || key.includes('.'));
    if (startsLabel && key !== null) {
      labels[key] = piece.slice(eq + 1);
      lastKey = key;
    } else if (lastKey !== null) {
      labels[lastKey] += `,${piece}`;
    } else {
      throw new Error(
        `label text does not start with key=value: ${JSON.stringify(piece.slice(0, 60))}`,
      );
    }
  }
  return labels;
}

const DockerPsLine = z.object({
  ID: z.string().min(1),
  Names: z.string().min(1),
  Labels: z.string(),
  CreatedAt: z.string().optional(),
  State: z.string().optional(),
});

const L = 'com.gitlab.gitlab-runner.';

/** `2026-11-23 15:04:05 +0000 UTC` (docker ps CreatedAt) → ms, or null. */
export function parseDockerTime(text: string | undefined): number | null {
  if (!text) return null;
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.\d+)? ([+-]\d{2})(\d{2})\b/.exec(text);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3]}:${m[4]}`);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Turns `docker ps --format '{{json .}}'` lines of job containers into running jobs, one
 * per job id (build, helper and service containers of a job collapse into one; the
 * build container names it). Throws on a line that is not a container or a job id that
 * is not a positive integer: one unreadable container makes the job list unknown.
 */
export function parseDockerPs(stdout: string): RunningJob[] {
  const jobs = new Map<number, RunningJob & { named: boolean }>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new Error(`docker ps line is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const parsed = DockerPsLine.safeParse(json);
    if (!parsed.success)
      throw new Error(`docker ps line lacks ID/Names/Labels: ${JSON.stringify(line.slice(0, 80))}`);
    const c = parsed.data;
    const labels = parseDockerLabels(c.Labels);
    const jobId = positiveInt(labels[`${L}job.id`]);
    if (jobId === null) {
      throw new Error(
        `container ${c.Names}: job id label ${JSON.stringify(labels[`${L}job.id`] ?? null)} is not a job id`,
      );
    }
    const isBuild = labels[`${L}type`] === 'build' || /-build$/.test(c.Names);
    const created = parseDockerTime(c.CreatedAt);
    const existing = jobs.get(jobId);
    if (existing) {
      if (isBuild && !existing.named) {
        existing.containerName = c.Names;
        existing.named = true;
      }
      if (created !== null && (existing.startedAt === null || created < existing.startedAt))
        existing.startedAt = created;
      existing.projectId ??= positiveInt(labels[`${L}project.id`]);
      existing.pipelineId ??= positiveInt(labels[`${L}pipeline.id`]);
      existing.runnerId ??= positiveInt(labels[`${L}runner.id`]);
      existing.jobUrl ??= labels[`${L}job.url`] ?? null;
      existing.ref ??= labels[`${L}job.ref`] ?? null;
      continue;
    }
    jobs.set(jobId, {
      jobId,
      projectId: positiveInt(labels[`${L}project.id`]),
      pipelineId: positiveInt(labels[`${L}pipeline.id`]),
      runnerId: positiveInt(labels[`${L}runner.id`]),
      containerName: c.Names,
      jobUrl: labels[`${L}job.url`] ?? null,
      ref: labels[`${L}job.ref`] ?? null,
      name: null,
      projectPath: null,
      user: null,
      startedAt: created,
      seenIn: ['machine'],
      named: isBuild,
    });
  }
  return [...jobs.values()]
    .map(({ named: _named, ...job }) => job)
    .sort((a, b) => a.jobId - b.jobId);
}

function positiveInt(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return null;
  const n = Number(text);
  return n > 0 ? n : null;
}

/** Longest line of the container-exits section accepted (an id, four words and a type). */
export const MAX_EXIT_LINE = 512;

const CONTAINER_STATES = new Set([
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]);
/** What docker says for each listed id that is gone by the time inspect runs. */
const NO_SUCH = /^Error(?: response from daemon)?: No such (?:object|container): [0-9a-f]{12,64}$/;

/**
 * Go's RFC3339Nano (`2026-12-03T13:17:00.461876391Z`, or with a `+01:00` offset) → ms;
 * null for Go's zero time (never stopped); throws on anything else.
 */
export function parseRfc3339(text: string): number | null {
  if (text === '0001-01-01T00:00:00Z') return null;
  const m =
    text.length > 40
      ? null
      : /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(
          text,
        );
  if (!m) throw new Error(`not an RFC 3339 time: ${JSON.stringify(text.slice(0, 40))}`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    throw new Error(`not a real time: ${JSON.stringify(text)}`);
  const fraction = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const offset = m[9] ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60_000 : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second) + fraction - offset;
}

/**
 * The container-exits section: the host's `date +%s`, then one `docker inspect` line per
 * job container (`<id> <state> <FinishedAt> <job id> <type>`). Strict: a line that is not
 * one, a stopped container without a finish time, more lines than the probe asks for, or
 * an error other than "No such object" (a container removed between listing and
 * inspecting it: it just stopped, so it counts as a stop now) makes the reading unknown.
 */
export function parseContainerExits(section: ProbeSection): ContainerExitReport {
  const stderr = section.stderr.split('\n').filter((l) => l.trim() !== '');
  const gone = stderr.filter((l) => l.length <= MAX_EXIT_LINE && NO_SUCH.test(l.trim())).length;
  if (section.status === null) throw new Error('answer cut off');
  if (section.status !== 0 && (stderr.length === 0 || gone !== stderr.length)) {
    const why = firstLine(section.stderr) || firstLine(section.stdout);
    throw new Error(`exit status ${section.status}${why ? ` (${why})` : ''}`);
  }
  const lines = section.stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length > CONTAINER_EXIT_LIMIT + 1)
    throw new Error(`more than ${CONTAINER_EXIT_LIMIT} containers listed (${lines.length - 1})`);
  const long = lines.find((l) => l.length > MAX_EXIT_LINE);
  if (long !== undefined) throw new Error(`line longer than ${MAX_EXIT_LINE} characters`);
  const [clock, ...rows] = lines;
  if (clock === undefined || !/^\d{1,12}$/.test(clock.trim()))
    throw new Error(`host clock ${JSON.stringify((clock ?? '').slice(0, 40))} is not unix seconds`);
  const hostNow = Number(clock.trim()) * 1000;
  const report: ContainerExitReport = { hostNow, lastExit: null, active: 0, exited: 0 };
  const stopped = (ageMs: number, jobId: number | null) => {
    const age = Math.max(0, ageMs);
    if (report.lastExit === null || age < report.lastExit.ageMs)
      report.lastExit = { ageMs: age, jobId };
  };
  for (const row of rows) {
    const [id = '', state = '', finished = '', jobText = '', ...rest] = row.trim().split(' ');
    const type = rest.join(' ');
    if (!/^[0-9a-f]{64}$/.test(id) || !CONTAINER_STATES.has(state))
      throw new Error(`unexpected line ${JSON.stringify(row.slice(0, 80))}`);
    const at = parseRfc3339(finished);
    const jobId = positiveInt(jobText);
    if (state === 'exited' || state === 'dead') {
      if (type === 'cache') continue;
      if (at === null)
        throw new Error(`container ${id.slice(0, 12)} is ${state} but never stopped`);
      report.exited += 1;
      stopped(hostNow - at, jobId);
    } else if (state === 'removing') {
      // On its way out after it stopped: a job ended just now.
      report.exited += 1;
      stopped(0, jobId);
    } else if (!(state === 'created' && type === 'cache')) {
      report.active += 1;
    }
  }
  for (let i = 0; i < gone; i++) stopped(0, null);
  if (gone > 0) report.exited += gone;
  return report;
}

/**
 * Bounds of what a real machine reports. Past them a figure is a broken or hostile probe
 * answer and the field is unknown: Linux supports at most 8192 CPUs (NR_CPUS), and a load
 * average of a million runnable tasks per minute is beyond any scheduler.
 */
export const PROBE_LIMITS = { maxLoad: 1_000_000, maxCpus: 16_384 } as const;

/** `/proc/loadavg`: `0.52 0.58 0.59 1/467 12345`. */
export function parseLoadavg(stdout: string): [number, number, number] {
  const text = stdout.trim();
  const m = text.length > 200 ? null : /^(\d+\.\d+) (\d+\.\d+) (\d+\.\d+) \d+\/\d+ \d+$/.exec(text);
  if (!m) throw new Error(`unexpected /proc/loadavg ${JSON.stringify(stdout.slice(0, 80))}`);
  const loads: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (loads.some((load) => !(load <= PROBE_LIMITS.maxLoad)))
    throw new Error(`/proc/loadavg: load above ${PROBE_LIMITS.maxLoad} is not real`);
  return loads;
}

/** `/proc/meminfo` MemTotal and MemAvailable in bytes; impossible figures throw. */
export function parseMeminfo(stdout: string): { total: number; available: number } {
  const get = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(stdout);
    if (!m?.[1]) throw new Error(`/proc/meminfo has no ${key}`);
    const bytes = m[1].length > 16 ? Infinity : Number(m[1]) * 1024;
    if (!Number.isSafeInteger(bytes))
      throw new Error(`/proc/meminfo: ${key} is too large to be real`);
    return bytes;
  };
  const total = get('MemTotal');
  const available = get('MemAvailable');
  if (total === 0) throw new Error('/proc/meminfo: MemTotal is 0');
  if (available > total) throw new Error('/proc/meminfo: MemAvailable exceeds MemTotal');
  return { total, available };
}

/** `nproc` output: a CPU count within `PROBE_LIMITS.maxCpus`, or null when it is not one. */
export function parseNproc(stdout: string): number | null {
  const text = stdout.trim();
  if (!/^\d{1,6}$/.test(text)) return null;
  const cpus = Number(text);
  return cpus >= 1 && cpus <= PROBE_LIMITS.maxCpus ? cpus : null;
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  PB: 1e15,
};

/** Docker's human sizes (`123.5MB`, `0B`; decimal units, go-units HumanSize) → bytes. */
export function parseHumanSize(text: string): number | null {
  const trimmed = text.trim();
  const m = trimmed.length > 40 ? null : /^(\d+(?:\.\d+)?)\s*([kKMGTP]?B)$/.exec(trimmed);
  if (!m?.[1] || !m[2]) return null;
  const unit = SIZE_UNITS[m[2]];
  if (unit === undefined) return null;
  // 400 digits would be Infinity: a size that is not an exact integer is unknown, not huge.
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

const SystemDf = z.object({
  Volumes: z
    .array(
      z.object({ Name: z.string(), Size: z.string().optional(), Links: z.string().optional() }),
    )
    .nullable(),
});

/** `docker system df -v --format '{{json .}}'` → the `runner-*` volumes. */
export function parseRunnerVolumes(stdout: string): RunnerVolume[] {
  const line = stdout.split('\n').find((l) => l.trim().startsWith('{'));
  if (!line) throw new Error('docker system df printed no JSON');
  const parsed = SystemDf.safeParse(JSON.parse(line));
  if (!parsed.success) throw new Error('docker system df answer has no Volumes list');
  return (parsed.data.Volumes ?? [])
    .filter((v) => v.Name.startsWith('runner-'))
    .map((v) => ({
      name: v.Name,
      sizeBytes: v.Size === undefined ? null : parseHumanSize(v.Size),
      links: v.Links !== undefined && /^\d{1,9}$/.test(v.Links) ? Number(v.Links) : null,
    }));
}

/**
 * Parses a whole probe answer. Strict: every section must be well-formed or its field is
 * unknown (null, with the reason); a mount missing on the host is listed in
 * `absentMounts` and does not affect the others.
 */
export function parseProbeOutput(
  output: string,
  nonce: string,
  request: { mounts: readonly string[]; volumes: boolean },
): ProbeReport {
  const { sections, done } = splitSections(output, nonce);
  const errors: string[] = [];
  const absentMounts: string[] = [];
  if (!done) errors.push('probe answer ended early');
  const disks = parseDisks(sections, request.mounts, errors, absentMounts);

  let jobs: RunningJob[] | null = null;
  const ps = sections.get('docker-ps');
  const psProblem = sectionProblem(ps, 'docker ps');
  if (psProblem || !ps) errors.push(psProblem ?? 'docker ps: missing');
  else {
    try {
      jobs = parseDockerPs(ps.stdout);
    } catch (error) {
      errors.push(`docker ps: ${(error as Error).message}`);
    }
  }

  let volumes: RunnerVolume[] | null = null;
  if (request.volumes) {
    const section = sections.get('volumes');
    const problem = sectionProblem(section, 'docker system df');
    if (problem || !section) errors.push(problem ?? 'docker system df: missing');
    else {
      try {
        volumes = parseRunnerVolumes(section.stdout);
      } catch (error) {
        errors.push(`docker system df: ${(error as Error).message}`);
      }
    }
  }

  let load: LoadInfo | null = null;
  const loadavg = sections.get('loadavg');
  const loadProblem = sectionProblem(loadavg, '/proc/loadavg');
  if (loadProblem || !loadavg) errors.push(loadProblem ?? '/proc/loadavg: missing');
  else {
    try {
      const [load1, load5, load15] = parseLoadavg(loadavg.stdout);
      load = { load1, load5, load15, cpus: null, memTotalBytes: null, memAvailableBytes: null };
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  if (load) {
    const meminfo = sections.get('meminfo');
    const memProblem = sectionProblem(meminfo, '/proc/meminfo');
    if (memProblem || !meminfo) errors.push(memProblem ?? '/proc/meminfo: missing');
    else {
      try {
        const mem = parseMeminfo(meminfo.stdout);
        load.memTotalBytes = mem.total;
        load.memAvailableBytes = mem.available;
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    const nproc = sections.get('nproc');
    const nprocProblem = sectionProblem(nproc, 'nproc');
    if (nprocProblem || !nproc) errors.push(nprocProblem ?? 'nproc: missing');
    else {
      const cpus = parseNproc(nproc.stdout);
      if (cpus !== null) load.cpus = cpus;
      else errors.push(`nproc: unexpected ${JSON.stringify(nproc.stdout.slice(0, 40))}`);
    }
  }
  let containerExits: ContainerExitReport | null = null;
  const exits = sections.get('container-exits');
  if (!exits) errors.push('container exits: missing from the answer');
  else {
    try {
      containerExits = parseContainerExits(exits);
    } catch (error) {
      errors.push(`container exits: ${(error as Error).message}`);
    }
  }
  return {
    disks,
    jobs,
    load,
    volumes,
    containerExits,
    runsGitlabRunner: parseRunnerProcess(sections.get('gitlab-runner')),
    absentMounts,
    errors,
    complete: done,
  };
}

/**
 * `pgrep -x gitlab-runner`: status 0 with process ids = running, status 1 with no output =
 * not running; anything else (pgrep missing, cut off) = unknown. Not an error of the probe:
 * the disk and job readings stand on their own.
 */
export function parseRunnerProcess(section: ProbeSection | undefined): boolean | null {
  if (!section) return null;
  if (section.status === 0 && /^\d+(\n\d+)*$/.test(section.stdout.trim())) return true;
  if (section.status === 1 && section.stdout.trim() === '') return false;
  return null;
}
