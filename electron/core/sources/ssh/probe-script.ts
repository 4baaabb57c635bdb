import { randomBytes } from 'node:crypto';

/**
 * How many job containers (newest first, any state) the probe reads finish times of: a
 * host keeps few (GitLab Runner removes a job's containers when it ends), and a host
 * that kept thousands must not make the answer unbounded.
 */
export const CONTAINER_EXIT_LIMIT = 50;

/** What `docker inspect` prints per job container: id, state, finish time, job id, type. */
export const CONTAINER_EXIT_FORMAT =
  '{{.Id}} {{.State.Status}} {{.State.FinishedAt}} {{index .Config.Labels "com.gitlab.gitlab-runner.job.id"}} {{index .Config.Labels "com.gitlab.gitlab-runner.type"}}';

/** The sections, in the order they print. */
const SECTIONS = [
  'for m in "$@"; do s "df-k:$m" df -Pk "$m"; done',
  'for m in "$@"; do s "df-i:$m" df -Pi "$m"; done',
  `s docker-ps docker ps --no-trunc --filter label=com.gitlab.gitlab-runner.job.id --format '{{json .}}'`,
  `if [ "$vol" = 1 ]; then s volumes docker system df -v --format '{{json .}}'; fi`,
  's container-exits e',
  's loadavg cat /proc/loadavg',
  's meminfo cat /proc/meminfo',
  's nproc nproc',
  // A runner manager (or dedicated host) runs gitlab-runner; an autoscaled VM does not.
  's gitlab-runner pgrep -x gitlab-runner',
  `printf '@@%s done\\n' "$n"`,
];

/**
 * The probe: one POSIX sh script (on one line) per host per cycle. Each section prints
 *
 *   @@<nonce> begin <name>
 *   …the command's stdout…
 *   @@<nonce> stderr <name>
 *   …its stderr…
 *   @@<nonce> end <name> <exit status>
 *
 * and the script ends with `@@<nonce> done`. The nonce is fresh per call, so nothing a
 * command prints (a container name, a mount point) can fake a marker, and a missing
 * `done` tells a cut-off answer from a complete one. The script gets its parameters as
 * positional arguments (`sh -c SCRIPT rw-probe NONCE VOLUMES MOUNT…`), never spliced in.
 */
export const PROBE_SCRIPT = [
  'n=$1; vol=$2; shift 2',
  't=$(mktemp 2>/dev/null) || t=/tmp/rw-probe.$$',
  `trap 'rm -f "$t"' EXIT`,
  // s NAME CMD...: one section with the command's stdout, stderr and exit status. The
  // stderr file is read only when the command wrote to it (`[` is a shell builtin): a
  // cat per section was 10 of the probe's ~26 processes on a host, every cycle.
  `s() { name=$1; shift; printf '@@%s begin %s\\n' "$n" "$name"; "$@" 2>"$t" </dev/null; rc=$?; printf '\\n@@%s stderr %s\\n' "$n" "$name"; [ ! -s "$t" ] || cat "$t"; printf '\\n@@%s end %s %s\\n' "$n" "$name" "$rc"; }`,
  // Idle evidence: the host's clock, then state, finish time, job id and type of the job
  // containers docker still lists, running or not (the newest CONTAINER_EXIT_LIMIT).
  // `docker ps` prints finish times only as "Exited (0) 12 minutes ago"; inspect is exact.
  `e() { date +%s || return; ids=$(docker ps -aq --no-trunc --last ${CONTAINER_EXIT_LIMIT} --filter label=com.gitlab.gitlab-runner.job.id) || return; [ -z "$ids" ] || docker inspect --format '${CONTAINER_EXIT_FORMAT}' $ids; }`,
  // The answer is gathered in memory and written at once. Printed section by section, it
  // leaves sshd (which keeps Nagle on for sessions without a terminal) with a small write
  // every few milliseconds, each held until our delayed ACK: ~50–80 ms more per probe than
  // the host's own commands. Memory, not a file: the disk may be the full one.
  // Substitution drops trailing line ends only; the printf restores the final one.
  `out=$(${SECTIONS.join('; ')})`,
  `printf '%s\\n' "$out"`,
  // One line: the command passes through the user's login shell, and csh-family shells
  // do not accept line breaks inside a quoted argument.
].join('; ');

/** What one probe asks for. */
export interface ProbeRequest {
  /** Mounts to read with `df -Pk` / `df -Pi`, e.g. `/` and `/var/lib/docker`. */
  mounts: readonly string[];
  /** Also list `runner-*` volumes with their sizes (`docker system df -v`, slower). */
  volumes: boolean;
  /** Marker nonce; random unless a test fixes it. */
  nonce?: string;
}

/** The argv to run on the host, and the nonce its answer will carry. */
export function probeCommand(request: ProbeRequest): { argv: string[]; nonce: string } {
  const nonce = request.nonce ?? randomBytes(8).toString('hex');
  if (!/^[A-Za-z0-9]{8,64}$/.test(nonce))
    throw new Error('probe nonce must be 8–64 letters or digits');
  for (const mount of request.mounts) {
    if (!mount.startsWith('/')) throw new Error(`probe mount must be an absolute path: ${mount}`);
  }
  return {
    argv: [
      'sh',
      '-c',
      PROBE_SCRIPT,
      'rw-probe',
      nonce,
      request.volumes ? '1' : '0',
      ...request.mounts,
    ],
    nonce,
  };
}
