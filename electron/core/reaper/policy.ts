import { createHash } from 'node:crypto';
import type { Machine, RunningJob } from '../../../shared/machine';
import type {
  Evidence,
  Proposal,
  ReaperAction,
  ReaperMode,
  ReaperRule,
} from '../../../shared/proposal';
import { roughSpan, type OrphanStatus } from '../../../shared/orphan';
import { NOT_PROBED_JOBS_UNKNOWN } from '../../../shared/fleet';
import type { FleetSettings } from '../../../shared/settings';
import { idleSinceText } from '../../../shared/idle-since-text';
import { isExpendable } from './glob';
import { maxWatchedUse, type HistoryView, type MachineHistory } from './history';
import { deleteBlockers, matchesSelector, NO_FACTS, type IdentityFacts } from './identity';
import {
  checkOrphan,
  dedicatedMachines,
  NO_ORPHAN_FACTS,
  orphanContext,
  type OrphanFacts,
} from './orphans';

export { matchesSelector } from './identity';

/** Everything the policy decides on. Pure data: the caller owns clock, history and ledger. */
export interface PolicyInput {
  machines: readonly Machine[];
  history: HistoryView;
  fleets: readonly FleetSettings[];
  /** Actions started per fleet in the last hour (the hourly budget). */
  killsInLastHour: ReadonlyMap<string, number>;
  now: number;
  /** Mode overrides set at run time (`setMode`); the fleet's settings otherwise. */
  modes?: ReadonlyMap<string, ReaperMode>;
  /** Machines with an action in flight: not counted as fleet capacity, not proposed again. */
  busy?: ReadonlySet<string>;
  /**
   * Machines acted on in the last hour. The inventory may still list a deleted machine as
   * running for a while; it must not count towards the minimum fleet size meanwhile.
   */
  recent?: ReadonlySet<string>;
  /**
   * SSH hosts, runner managers and inventory filters (see `identityFacts`): what decides
   * whether a machine may be deleted at all. Absent: none known.
   */
  identity?: IdentityFacts;
  /**
   * The runner managers' machine lists (see `managerListings`) and prices: what the orphan
   * rule decides on. Absent: no listing known, so nothing is an orphan.
   */
  orphans?: OrphanFacts;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Which rule wins when several fire on one machine: the most urgent first. */
const RULE_ORDER: readonly ReaperRule[] = ['disk', 'orphan', 'unreachable', 'max-age', 'idle'];

/**
 * Stable id of a proposal: same machine, same rule, same episode (run start) → same id.
 * The server's provider id and creation time are part of it, so a server replaced under
 * the same name never inherits a proposal someone is about to confirm.
 */
export function proposalId(
  machineKey: string,
  rule: ReaperRule,
  episodeStart: number,
  server: { providerId: string | null; createdAt: number | null } = {
    providerId: null,
    createdAt: null,
  },
): string {
  const serverPart =
    server.providerId === null && server.createdAt === null
      ? ''
      : `\n${server.providerId ?? ''}\n${server.createdAt ?? ''}`;
  const hash = createHash('sha256')
    .update(`${machineKey}\n${rule}\n${episodeStart}${serverPart}`)
    .digest('hex');
  return `p-${hash.slice(0, 20)}`;
}

/** The mode in force for a fleet. */
export function modeOf(fleet: FleetSettings, modes?: ReadonlyMap<string, ReaperMode>): ReaperMode {
  return modes?.get(fleet.id) ?? fleet.reaper.mode;
}

/**
 * The mode in force for the fleet's orphan proposals: the fleet's, except that `auto`
 * executes orphans only when the user opted in (`reaper.orphans: 'auto'`); by default a
 * person confirms each one.
 */
export function orphanModeOf(
  fleet: FleetSettings,
  modes?: ReadonlyMap<string, ReaperMode>,
): ReaperMode {
  const mode = modeOf(fleet, modes);
  return mode === 'auto' && fleet.reaper.orphans !== 'auto' ? 'notify' : mode;
}

/** The mode a proposal of this rule runs under. */
function ruleModeOf(
  rule: ReaperRule,
  fleet: FleetSettings,
  modes?: ReadonlyMap<string, ReaperMode>,
): ReaperMode {
  return rule === 'orphan' ? orphanModeOf(fleet, modes) : modeOf(fleet, modes);
}

/**
 * What acting on a machine runs: dedicated fleets, dedicated hosts and SSH-only hosts are
 * cleaned up, never deleted; everything else is a deletion that `deleteBlockers` guards.
 */
export function actionFor(machine: Machine, fleet?: FleetSettings): ReaperAction {
  if (fleet?.kind === 'dedicated' || machine.kind === 'dedicated' || machine.provider === 'ssh')
    return 'cleanup';
  return machine.provider === 'docker-machine' ? 'machine-rm' : 'hcloud-delete';
}

/** Running jobs on a machine from both witnesses, deduplicated by job id. */
export function runningJobs(machine: Machine): RunningJob[] {
  const byId = new Map<number, RunningJob>();
  for (const job of [...(machine.jobs.value ?? []), ...(machine.gitlabJobs.value ?? [])]) {
    const known = byId.get(job.jobId);
    // Keep the richer record: GitLab's has name and project, the container's may not.
    byId.set(job.jobId, known ? mergeJob(known, job) : job);
  }
  return [...byId.values()].sort((a, b) => a.jobId - b.jobId);
}

function mergeJob(a: RunningJob, b: RunningJob): RunningJob {
  return {
    ...a,
    name: a.name ?? b.name,
    projectPath: a.projectPath ?? b.projectPath,
    ref: a.ref ?? b.ref,
    user: a.user ?? b.user,
    seenIn: [...new Set([...a.seenIn, ...b.seenIn])],
  };
}

const ago = (ms: number) => `${Math.round(ms / 1000)} s ago`;

/**
 * Reasons the machine's readings do not allow any action: unknown is never idle, and a
 * stale reading is unknown. Shared by every rule and by the executor's re-check. With
 * `probeUnknownAllowed` (the unreachable rule) the probe's own readings may be unknown:
 * that is the condition itself, and a person acknowledges it when confirming. With
 * `notProbed` (the fleet's `probe: "none"`) unknown job containers say that nothing reads them.
 */
export function readingBlockers(
  machine: Machine,
  now: number,
  options: { probeUnknownAllowed?: boolean; notProbed?: boolean } = {},
): string[] {
  const reasons: string[] = [];
  const { jobs, gitlabJobs, disks } = machine;
  const probeUnknownAllowed = options.probeUnknownAllowed === true;
  if (jobs.value === null) {
    if (!probeUnknownAllowed)
      reasons.push(
        options.notProbed === true && jobs.error === null
          ? NOT_PROBED_JOBS_UNKNOWN
          : `job containers on the machine unknown${jobs.error ? ` (${jobs.error})` : ''}`,
      );
  } else if (jobs.stale) {
    reasons.push(
      `job container reading is stale (${jobs.observedAt === null ? 'never read' : ago(now - jobs.observedAt)})`,
    );
  }
  if (gitlabJobs.value === null) {
    reasons.push(
      `GitLab job state unknown${gitlabJobs.error ? ` (${gitlabJobs.error})` : ' (no fresh GitLab reading)'}`,
    );
  } else if (gitlabJobs.stale) {
    reasons.push(
      `GitLab job reading is stale (${gitlabJobs.observedAt === null ? 'never read' : ago(now - gitlabJobs.observedAt)})`,
    );
  }
  if (disks.value === null) {
    if (!probeUnknownAllowed)
      reasons.push(`disk use unknown${disks.error ? ` (${disks.error})` : ''}`);
  } else if (disks.stale) {
    reasons.push(
      `disk reading is stale (${disks.observedAt === null ? 'never read' : ago(now - disks.observedAt)})`,
    );
  }
  return reasons;
}

interface Candidate {
  machine: Machine;
  rule: ReaperRule;
  episode: number;
  action: ReaperAction;
  /** For the orphan rule: what the orphan check found. */
  orphan?: OrphanStatus;
}

/** Which rules fire on the machine now, most urgent first, with each one's episode start. */
function firingRules(
  machine: Machine,
  fleet: FleetSettings,
  history: MachineHistory | undefined,
  now: number,
  orphan: OrphanStatus | null,
): Candidate[] {
  const settings = fleet.reaper;
  const action = actionFor(machine, fleet);
  const out: Candidate[] = [];
  const push = (rule: ReaperRule, episode: number) => out.push({ machine, rule, episode, action });
  if (history?.diskOver && history.diskOver.count >= settings.samples)
    push('disk', history.diskOver.since);
  // Dedicated hosts (and machines we only reach by SSH) get cleanups; only a full disk calls for one.
  if (action !== 'cleanup') {
    // An unlisted server fires once nothing says "not yet" (grace period, a recent job);
    // what is unknown then blocks it, with the reason named. The episode is the server:
    // its id and creation time are in the proposal id too.
    if (
      orphan !== null &&
      settings.orphans !== 'off' &&
      orphan.notYet.length === 0 &&
      machine.createdAt !== null
    )
      out.push({ machine, rule: 'orphan', episode: machine.createdAt, action, orphan });
    if (settings.unreachableMinutes !== null && history?.unreachableSince != null) {
      if (
        now - history.unreachableSince >= settings.unreachableMinutes * MINUTE &&
        machine.status.value === 'running'
      ) {
        push('unreachable', history.unreachableSince);
      }
    }
    if (
      settings.maxAgeHours !== null &&
      machine.createdAt !== null &&
      now - machine.createdAt >= settings.maxAgeHours * HOUR
    ) {
      push('max-age', machine.createdAt);
    }
    // Opt-in: the autoscaler's IdleCount/IdleTime keep idle VMs on purpose. The episode is
    // the watched start (stable); how long it has been idle may reach back further on evidence.
    const idle = idleSince(machine, history);
    if (
      settings.idleMinutes !== null &&
      history?.idleSince != null &&
      idle !== null &&
      now - idle.at >= settings.idleMinutes * MINUTE
    ) {
      push('idle', history.idleSince);
    }
  }
  // A proven orphan comes first: same deletion, and "nobody uses it" says more than a full
  // disk; one still unproven yields to the disk rule, which may be free to act.
  const rank = (c: Candidate) =>
    c.rule === 'orphan' && c.orphan?.state === 'orphan' ? -1 : RULE_ORDER.indexOf(c.rule);
  return out.sort((a, b) => rank(a) - rank(b));
}

/** Since when the machine is idle, and what says so. */
export interface IdleSince {
  at: number;
  source: NonNullable<Evidence['idleSinceSource']>;
  jobId: number | null;
}

/**
 * Idle since, from evidence: the later of (a) the earliest start of idleness something
 * proves and (b) the last moment something proves the machine was busy.
 *
 * (a) Watching proves the start of the current idle run; GitLab, provided every finished
 * job of the window its history covers is linked to a machine, proves that no job ran on
 * the machine since the window's start (or since the server was created, if later) other
 * than those linked to it. (b) The finish of the last GitLab job linked to the machine
 * and the last stop of a job container on it (`docker inspect`) each prove it was busy
 * until then — a container's stop never proves idleness on its own: GitLab Runner
 * removes a job's containers when it ends, so later jobs may have left no trace.
 *
 * Null unless the machine reads idle now (known, no job) and no job container on it is
 * running or starting. Container stops the probe tried and failed to read allow no
 * reaching back: what was watched stands. A start after now (the clock went back) is
 * left as it is: the idle rule then waits, and the evidence shows 0 min.
 */
export function idleSince(machine: Machine, history: MachineHistory | undefined): IdleSince | null {
  if (history?.idleSince == null) return null;
  const exits = machine.containerExits;
  if (exits?.value && exits.value.active > 0) return null;
  let proven: IdleSince = { at: history.idleSince, source: 'watched', jobId: null };
  const evidence = machine.idleEvidence;
  const exitsUnread = exits !== undefined && exits.value === null;
  if (evidence && evidence.gitlabSince !== null && !exitsUnread) {
    const window: IdleSince =
      machine.createdAt !== null && machine.createdAt > evidence.gitlabSince
        ? { at: machine.createdAt, source: 'created', jobId: null }
        : { at: evidence.gitlabSince, source: 'gitlab-window', jobId: null };
    if (window.at < proven.at) proven = window;
  }
  let result = proven;
  const lastJob = evidence?.gitlabSince != null ? evidence.lastJob : null;
  if (lastJob && lastJob.finishedAt > result.at)
    result = { at: lastJob.finishedAt, source: 'gitlab-job', jobId: lastJob.jobId };
  const lastExitAt = exits?.value?.lastExitAt ?? null;
  if (lastExitAt !== null && lastExitAt > result.at)
    result = {
      at: lastExitAt,
      source: 'container-exit',
      jobId: exits?.value?.lastExitJobId ?? null,
    };
  return result;
}

/** Reasons that depend on the machine alone (not on the rest of the fleet). */
function machineBlockers(
  candidate: Candidate,
  fleet: FleetSettings,
  input: PolicyInput,
  dedicated: readonly Machine[],
): string[] {
  const { machine, action } = candidate;
  const reasons: string[] = [];
  const mode = ruleModeOf(candidate.rule, fleet, input.modes);
  if (mode === 'off') reasons.push(`reaper mode is off for fleet ${fleet.id}`);
  // Unknown is never an orphan: each missing reading is a reason of its own.
  if (candidate.orphan)
    reasons.push(...candidate.orphan.unknown.map((u) => `not proven an orphan: ${u}`));
  if (action === 'cleanup' && !matchesSelector(machine, fleet))
    reasons.push(`not matched by the selector of fleet ${fleet.id}`);
  if (input.busy?.has(machine.key)) reasons.push('an action is already running on this machine');
  reasons.push(
    ...readingBlockers(machine, input.now, {
      probeUnknownAllowed: candidate.rule === 'unreachable',
      notProbed: fleet.probe === 'none',
    }),
  );
  if (action !== 'cleanup') {
    reasons.push(...deleteBlockers(machine, fleet, input.identity ?? NO_FACTS, dedicated, action));
    const expendable = fleet.reaper.expendable;
    for (const job of runningJobs(machine)) {
      if (!isExpendable(job, expendable))
        reasons.push(`non-expendable job #${job.jobId}${describeJob(job)} is running`);
    }
    if (machine.status.value !== 'running') {
      reasons.push(
        `provider status is ${machine.providerStatus ?? machine.status.value ?? 'unknown'}, not running`,
      );
    } else if (machine.status.stale) {
      reasons.push('provider status reading is stale');
    }
    if (action === 'hcloud-delete' && machine.providerId === null)
      reasons.push('no Hetzner server id known');
  }
  return reasons;
}

/** True when the machine may be deleted as far as its identity goes (counts as fleet capacity). */
function deletable(
  machine: Machine,
  fleet: FleetSettings,
  input: PolicyInput,
  dedicated: readonly Machine[],
): boolean {
  const action = actionFor(machine, fleet);
  return (
    action !== 'cleanup' &&
    deleteBlockers(machine, fleet, input.identity ?? NO_FACTS, dedicated, action).length === 0
  );
}

function describeJob(job: RunningJob): string {
  const parts = [job.projectPath, job.name].filter((part): part is string => part !== null);
  return parts.length > 0 ? ` (${parts.join(': ')})` : '';
}

function evidenceOf(
  machine: Machine,
  fleet: FleetSettings,
  history: MachineHistory | undefined,
  now: number,
  orphan?: OrphanStatus,
): Evidence {
  const { pct, mount } = maxWatchedUse(machine, fleet.watchedMounts);
  const jobs = runningJobs(machine);
  const idle = idleSince(machine, history);
  const observed = [machine.disks.observedAt, machine.jobs.observedAt].filter(
    (at): at is number => at !== null,
  );
  return {
    diskPct: pct,
    diskMount: mount,
    samplesOver: history?.diskOver?.count ?? 0,
    idleSinceMs: idle !== null ? Math.max(0, now - idle.at) : null,
    idleSinceSource: idle?.source ?? null,
    idleSinceJobId: idle?.jobId ?? null,
    runningContainers: machine.jobs.value === null ? null : machine.jobs.value.length,
    runningJobIds: jobs.map((job) => job.jobId),
    ageMs: machine.createdAt === null ? null : Math.max(0, now - machine.createdAt),
    observedAt: observed.length > 0 ? Math.max(...observed) : null,
    thresholdPct: fleet.reaper.diskThresholdPct,
    expendableJobIds: jobs
      .filter((job) => isExpendable(job, fleet.reaper.expendable))
      .map((job) => job.jobId),
    unreachableSince: history?.unreachableSince ?? null,
    providerStatus: machine.providerStatus,
    ...(orphan ? { orphan } : {}),
  };
}

/** "Delete orphan … (no manager lists it, no job for 3 d, 1.23 EUR so far)". */
function orphanSummary(candidate: Candidate, orphan: OrphanStatus, now: number): string {
  const facts = [`not listed by ${orphan.managers.join(' or ')}`];
  if (orphan.noJobSince !== null) facts.push(`no job for ${roughSpan(now - orphan.noJobSince)}`);
  if (candidate.machine.createdAt !== null)
    facts.push(`age ${roughSpan(now - candidate.machine.createdAt)}`);
  if (orphan.costSoFar !== null && orphan.currency !== null)
    facts.push(`${orphan.costSoFar.toFixed(2)} ${orphan.currency} so far`);
  return `Delete orphan ${candidate.machine.name} (${facts.join(', ')})`;
}

function summaryOf(candidate: Candidate, evidence: Evidence, now: number): string {
  if (candidate.rule === 'orphan' && candidate.orphan)
    return orphanSummary(candidate, candidate.orphan, now);
  const verb = candidate.action === 'cleanup' ? 'Clean up' : 'Kill';
  const facts: string[] = [];
  if (evidence.diskPct !== null)
    facts.push(
      `disk ${evidence.diskPct} %${evidence.diskMount ? ` on ${evidence.diskMount}` : ''}`,
    );
  if (evidence.idleSinceMs !== null)
    facts.push(
      [`idle ${Math.floor(evidence.idleSinceMs / MINUTE)} min`, idleSinceText(evidence)]
        .filter((part) => part !== null)
        .join(' '),
    );
  if (candidate.rule === 'max-age' && evidence.ageMs !== null)
    facts.push(`age ${Math.floor(evidence.ageMs / HOUR)} h`);
  if (candidate.rule === 'unreachable') facts.push('unreachable');
  return `${verb} ${candidate.machine.name} (${facts.join(', ') || candidate.rule})`;
}

/**
 * The reaper policy, pure: which machines to delete (or clean up), why, and every reason
 * each one may not be acted on now. At most one proposal per machine (the most urgent
 * rule). Fleet-wide guards come last: the minimum fleet size and the hourly budget are
 * shared among the proposals that are otherwise free to run, most urgent first, so that
 * executing all unblocked proposals together can never break either guard.
 */
export function evaluate(input: PolicyInput): Proposal[] {
  const proposals: Proposal[] = [];
  const orphanFacts = input.orphans ?? NO_ORPHAN_FACTS;
  const context = orphanContext(input.machines, orphanFacts.listings);
  for (const fleet of input.fleets) {
    const members = input.machines.filter((machine) => machine.fleet === fleet.id);
    // Build hosts as the probe reached them, any fleet: their addresses are never a VM's.
    const dedicated = dedicatedMachines(input.machines);
    const fleetProposals: { proposal: Proposal; candidate: Candidate }[] = [];
    // Servers no manager lists serve no runner: they are no capacity for the minimum size.
    const unlisted = new Set<string>();
    for (const machine of members) {
      if (machine.status.value === 'gone' || machine.status.value === 'deleting') continue;
      const history = input.history.of(machine.key);
      const check = checkOrphan(
        machine,
        fleet,
        orphanFacts,
        input.identity ?? NO_FACTS,
        dedicated,
        input.now,
        context,
      );
      const orphan = check.state === 'unlisted' ? check.status : null;
      if (orphan) unlisted.add(machine.key);
      const candidate = firingRules(machine, fleet, history, input.now, orphan)[0];
      if (!candidate) continue;
      const mode = ruleModeOf(candidate.rule, fleet, input.modes);
      const evidence = evidenceOf(machine, fleet, history, input.now, candidate.orphan);
      fleetProposals.push({
        candidate,
        proposal: {
          id: proposalId(machine.key, candidate.rule, candidate.episode, machine),
          machineKey: machine.key,
          machineName: machine.name,
          fleet: fleet.id,
          rule: candidate.rule,
          action: candidate.action,
          evidence,
          blocked: machineBlockers(candidate, fleet, input, dedicated),
          state: mode === 'dry-run' ? 'dry-run' : 'pending',
          createdAt: candidate.episode,
          summary: summaryOf(candidate, evidence, input.now),
          mode,
          // Bound to this very server: one replaced under the same name is another server.
          providerId: machine.providerId,
          serverCreatedAt: machine.createdAt,
          providerSource: machine.status.source,
          acknowledge:
            candidate.rule === 'unreachable' && candidate.action !== 'cleanup'
              ? 'unknown-job-state'
              : null,
        },
      });
    }
    applyFleetGuards(fleet, members, fleetProposals, input, dedicated, unlisted);
    proposals.push(...fleetProposals.map((entry) => entry.proposal));
  }
  return proposals;
}

function applyFleetGuards(
  fleet: FleetSettings,
  members: readonly Machine[],
  entries: { proposal: Proposal; candidate: Candidate }[],
  input: PolicyInput,
  dedicated: readonly Machine[],
  unlisted: ReadonlySet<string>,
): void {
  const { minFleetSize, maxKillsPerHour } = fleet.reaper;
  const spent = input.killsInLastHour.get(fleet.id) ?? 0;
  let budget = maxKillsPerHour - spent;
  // Capacity is what could be deleted: managers, build hosts and unidentified servers are
  // not the autoscaler's VMs and do not stand in for them; nor do servers no runner
  // manager lists (orphans serve no runner, so deleting one never needs them as spare).
  const capacity = members.filter(
    (machine) =>
      machine.status.value === 'running' &&
      !input.busy?.has(machine.key) &&
      !input.recent?.has(machine.key) &&
      !unlisted.has(machine.key) &&
      deletable(machine, fleet, input, dedicated),
  );
  const running = capacity.length;
  let spare = running - minFleetSize;
  // The runner keeps IdleCount VMs idle on purpose; the idle rule never goes below it.
  const idleCount = fleet.autoscaler?.idleCount;
  const idleNow = capacity.filter((m) => input.history.of(m.key)?.idleSince != null).length;
  let spareIdle = idleCount === undefined ? Number.POSITIVE_INFINITY : idleNow - idleCount;
  const ordered = [...entries].sort(
    (a, b) =>
      RULE_ORDER.indexOf(a.candidate.rule) - RULE_ORDER.indexOf(b.candidate.rule) ||
      (b.proposal.evidence.diskPct ?? -1) - (a.proposal.evidence.diskPct ?? -1) ||
      a.proposal.machineKey.localeCompare(b.proposal.machineKey),
  );
  for (const { proposal, candidate } of ordered) {
    const free = proposal.blocked.length === 0;
    const deletes = proposal.action !== 'cleanup';
    if (budget <= 0) {
      proposal.blocked.push(
        spent >= maxKillsPerHour
          ? `hourly budget spent (${spent} of ${maxKillsPerHour} actions in the last hour)`
          : `hourly budget (${maxKillsPerHour}) taken by more urgent proposals`,
      );
    }
    // An orphan is no capacity, so deleting one takes none; it still needs the fleet to
    // have its minimum of VMs a manager does list (fewer hints at a listing that is short).
    const orphan = candidate.rule === 'orphan';
    if (orphan && running < minFleetSize) {
      proposal.blocked.push(
        `minimum fleet size not met by listed VMs (${running} running, minimum ${minFleetSize})`,
      );
    } else if (deletes && !orphan && spare <= 0) {
      proposal.blocked.push(
        running <= minFleetSize
          ? `minimum fleet size reached (${running} running, minimum ${minFleetSize})`
          : `minimum fleet size (${minFleetSize}) would be broken by more urgent proposals`,
      );
    }
    if (candidate.rule === 'idle' && spareIdle <= 0) {
      proposal.blocked.push(
        `the runner keeps IdleCount ${idleCount ?? 0} idle VMs on purpose (${idleNow} idle now)`,
      );
    }
    if (free && proposal.blocked.length === 0) {
      budget -= 1;
      if (deletes && !orphan) spare -= 1;
      if (candidate.rule === 'idle') spareIdle -= 1;
    }
  }
}
