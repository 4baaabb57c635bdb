import type { Machine } from '../../../shared/machine';
import type { OrphanStatus } from '../../../shared/orphan';
import type { FleetSettings, Settings } from '../../../shared/settings';
import type { SourceHealth } from '../../../shared/source';
import type { HourlyPrice } from '../cost/job-cost';
import {
  deleteBlockers,
  isDockerMachineName,
  runnerTokenPart,
  type IdentityFacts,
} from './identity';

/*
 * Orphans: servers the provider lists for an autoscaled fleet that no runner manager
 * accounts for. A manager accounts for a server when its `docker-machine ls` lists it; a
 * runner uses it when a job container runs there or GitLab links a job to it. Only
 * positive knowledge makes an orphan: every listing that could own the server answered
 * recently and after the grace period, the probe read its containers, GitLab's running and
 * finished jobs are complete. Pure functions over data; the engine and the reaper share them.
 */

/** One runner manager's machine list as the engine last read it. */
export interface ManagerListing {
  /** Source id, `docker-machine:<id>`, as in `Machine.listedBy`. */
  source: string;
  /** For messages: `docker-machine on <manager>`. */
  label: string;
  fleet: string;
  /** The source reports only machines whose name starts with this; null: all. */
  namePrefix: string | null;
  /** When the last listing succeeded; null: never. */
  lastOkAt: number | null;
  /** Why the last listing cannot be relied on now (failed, stale, never ran); null: fresh. */
  problem: string | null;
}

/** What the orphan check needs besides the machine. */
export interface OrphanFacts {
  listings: readonly ManagerListing[];
  /** The server's hourly price (the cost code's `machinePrice`); absent: unpriced. */
  price?: (machine: Machine) => HourlyPrice;
  /** Currency of the prices. */
  currency?: string;
}

/** No manager listing known: nothing can be called an orphan. */
export const NO_ORPHAN_FACTS: OrphanFacts = { listings: [] };

/** A listing older than its interval times this is stale (as every reading, model.ts). */
const STALE_FACTOR = 3;
const MINUTE = 60_000;

/** The docker-machine listings of the settings, with what the engine's sources say of them. */
export function managerListings(
  settings: Pick<Settings, 'dockerMachine'>,
  sources: readonly SourceHealth[],
  now: number,
): ManagerListing[] {
  return settings.dockerMachine.map((dm) => {
    const source = `docker-machine:${dm.id}`;
    const health = sources.find((s) => s.id === source);
    const label = health?.label || `docker-machine on ${dm.manager}`;
    return {
      source,
      label,
      fleet: dm.fleet,
      namePrefix: dm.namePrefix ?? null,
      lastOkAt: health?.lastOkAt ?? null,
      problem: listingProblem(health, now),
    };
  });
}

function listingProblem(health: SourceHealth | undefined, now: number): string | null {
  if (!health) return 'not collected by this process';
  if (health.lastError) return `last listing failed: ${health.lastError.message}`;
  if (health.lastOkAt === null) return 'has not listed its machines yet';
  // A listing from the future means the clock was set back: its age is unknown.
  if (now < health.lastOkAt) return 'last listing is dated in the future (clock set back)';
  if (now - health.lastOkAt > health.intervalMs * STALE_FACTOR)
    return `last listing is ${Math.round((now - health.lastOkAt) / 1000)} s old (stale)`;
  return null;
}

/**
 * What the whole inventory says about the manager listings and the servers, beyond one
 * machine: a listing that answered can still be wrong (a `docker-machine ls` under another
 * user or MACHINE_STORAGE_PATH lists nothing, and exits 0), and one server may be listed in
 * several fleets when Hetzner selectors overlap.
 */
export interface OrphanContext {
  /** Per listing source: why its list is evidently incomplete. */
  doubts: ReadonlyMap<string, string>;
  /**
   * Per listing source: the runner token parts (`runnerTokenPart`) of the machines it
   * lists. A list without name prefix speaks only for those runners' VMs: another
   * manager's runners (not configured here) may share the Hetzner project.
   */
  tokens: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per Hetzner server id: the machine keys under which something accounts for it, and what. */
  accountedAs: ReadonlyMap<string, readonly { key: string; why: string }[]>;
}

/** Nothing known beyond the machine itself. */
export const NO_ORPHAN_CONTEXT: OrphanContext = {
  doubts: new Map(),
  tokens: new Map(),
  accountedAs: new Map(),
};

/**
 * Whether the listing speaks for a server of that name: docker+machine names every VM
 * `runner-<token>-…`, so a server named otherwise was never its; within the name prefix;
 * without a prefix, only for the runner tokens a good, non-empty list shows.
 */
function covers(l: ManagerListing, machine: Machine, context: OrphanContext): boolean {
  if (l.fleet !== machine.fleet || !isDockerMachineName(machine.name)) return false;
  if (l.namePrefix !== null) return machine.name.startsWith(l.namePrefix);
  // Only a good list that shows machines narrows what it speaks for; a failed or empty
  // one speaks for every runner's VMs, so that its problem blocks them all.
  const tokens = context.tokens.get(l.source);
  if (l.problem !== null || tokens === undefined || tokens.size === 0) return true;
  const token = runnerTokenPart(machine.name);
  return token !== null && tokens.has(token);
}

const inventoried = (m: Machine) =>
  !m.removed &&
  m.status.value !== 'gone' &&
  m.status.value !== 'deleting' &&
  (m.listedBy ?? []).some((id) => id.startsWith('hetzner:'));

const jobIdsOn = (m: Machine) => [
  ...new Set([...(m.jobs.value ?? []), ...(m.gitlabJobs.value ?? [])].map((j) => j.jobId)),
];

/**
 * The listings' doubts and the servers accounted for elsewhere, from every machine the
 * engine knows. A listing that lists none of the servers it covers, or leaves out one GitLab
 * runs a job on, is not evidence that the rest are unowned.
 */
export function orphanContext(
  machines: readonly Machine[],
  listings: readonly ManagerListing[],
): OrphanContext {
  const tokens = new Map<string, Set<string>>();
  for (const l of listings) {
    const listed = machines.filter((m) => (m.listedBy ?? []).includes(l.source));
    tokens.set(
      l.source,
      new Set(listed.map((m) => runnerTokenPart(m.name)).filter((t): t is string => t !== null)),
    );
  }
  // Doubts look at what a list could own by name, whichever runner token it shows.
  const byName: OrphanContext = { ...NO_ORPHAN_CONTEXT, tokens: new Map() };
  const doubts = new Map<string, string>();
  for (const l of listings) {
    const covered = machines.filter((m) => inventoried(m) && covers(l, m, byName));
    if (covered.length === 0) continue;
    const unlisted = covered.filter((m) => !(m.listedBy ?? []).includes(l.source));
    // GitLab placing a running job on a server means a runner uses it now, so its manager
    // should list it. (A job container alone does not: a server a lost machine store left
    // behind may still run one, and that server is the orphan to find.)
    const inUse = unlisted.find((m) => (m.gitlabJobs.value ?? []).length > 0);
    if (inUse)
      doubts.set(
        l.source,
        `its list is incomplete: it does not list ${inUse.name}, where GitLab runs job ${(
          inUse.gitlabJobs.value ?? []
        )
          .map((j) => `#${j.jobId}`)
          .join(', ')} (wrong MACHINE_STORAGE_PATH or user?)`,
      );
    else if (unlisted.length === covered.length)
      doubts.set(
        l.source,
        `lists no machine at all while Hetzner shows ${covered.length} it covers; an empty list is not trusted (wrong MACHINE_STORAGE_PATH or user?)`,
      );
  }
  const accountedAs = new Map<string, { key: string; why: string }[]>();
  const add = (id: string, key: string, why: string) =>
    accountedAs.set(id, [...(accountedAs.get(id) ?? []), { key, why }]);
  for (const m of machines) {
    if (m.providerId === null || m.provider !== 'hetzner') continue;
    const lister = listings.find(
      (l) => l.fleet === m.fleet && (m.listedBy ?? []).includes(l.source),
    );
    const jobs = jobIdsOn(m);
    if (lister) add(m.providerId, m.key, `listed by ${lister.label} as ${m.key}`);
    else if (jobs.length > 0)
      add(
        m.providerId,
        m.key,
        `job ${jobs.map((id) => `#${id}`).join(', ')} running on it as ${m.key}`,
      );
  }
  return { doubts, tokens, accountedAs };
}

/** What the check found. Only `unlisted` concerns orphans; the others say why not. */
export type OrphanCheck =
  /** A manager lists it, or a runner uses it: accounted for. */
  | { state: 'accounted'; why: string }
  /** Not a server orphan detection speaks about (no listing covers it, not a deletable VM). */
  | { state: 'none'; why: string }
  /** No manager lists it: an orphan when `status.state` is `orphan`. */
  | { state: 'unlisted'; status: OrphanStatus };

const minutes = (ms: number) => `${Math.floor(ms / MINUTE)} min`;

/**
 * Whether the machine is an orphan of its fleet. The order matters: a positive sign of use
 * (a manager lists it, a job runs on it) settles it whatever else is unknown; then the
 * identity rules every deletion needs (autoscaled fleet, not a build host, not a manager,
 * not delete-protected); then what keeps an unlisted server from being called an orphan.
 */
export function checkOrphan(
  machine: Machine,
  fleet: FleetSettings,
  facts: OrphanFacts,
  identity: IdentityFacts,
  dedicated: readonly Machine[],
  now: number,
  context: OrphanContext = NO_ORPHAN_CONTEXT,
): OrphanCheck {
  if (fleet.kind !== 'autoscaled')
    return { state: 'none', why: `fleet ${fleet.id} is ${fleet.kind}` };
  if (machine.removed) return { state: 'none', why: 'deleted by this app' };
  const status = machine.status.value;
  if (status === 'gone' || status === 'deleting')
    return { state: 'none', why: `the server is ${status}` };
  const listedBy = machine.listedBy ?? [];
  if (machine.provider !== 'hetzner' || !listedBy.some((id) => id.startsWith('hetzner:')))
    return { state: 'none', why: 'no Hetzner project lists it' };
  const owners = facts.listings.filter((l) => covers(l, machine, context));
  if (owners.length === 0)
    return {
      state: 'none',
      why: `no runner manager's machine list covers it (no dockerMachine entry of fleet ${fleet.id} for this name)`,
    };
  const lister = owners.find((l) => listedBy.includes(l.source));
  if (lister) return { state: 'accounted', why: `listed by ${lister.label}` };
  const containers = machine.jobs.value ?? [];
  if (containers.length > 0)
    return {
      state: 'accounted',
      why: `job container${containers.length === 1 ? '' : 's'} ${containers.map((j) => `#${j.jobId}`).join(', ')} running on it`,
    };
  const linked = machine.gitlabJobs.value ?? [];
  if (linked.length > 0)
    return {
      state: 'accounted',
      why: `GitLab runs job ${linked.map((j) => `#${j.jobId}`).join(', ')} on it`,
    };
  // The same server under another key (Hetzner selectors of two fleets overlap).
  const elsewhere = (
    machine.providerId === null ? [] : (context.accountedAs.get(machine.providerId) ?? [])
  ).find((a) => a.key !== machine.key);
  if (elsewhere) return { state: 'accounted', why: elsewhere.why };
  const blockers = deleteBlockers(machine, fleet, identity, dedicated, 'hcloud-delete');
  if (blockers.length > 0) return { state: 'none', why: blockers.join('; ') };

  const graceMs = fleet.reaper.orphanGraceMinutes * MINUTE;
  const afterMs = fleet.reaper.orphanAfterMinutes * MINUTE;
  const notYet: string[] = [];
  const unknown: string[] = [];
  const created = machine.createdAt;
  if (created === null) unknown.push('creation time unknown');
  else if (now - created < graceMs)
    notYet.push(
      `created ${minutes(now - created)} ago, within the ${fleet.reaper.orphanGraceMinutes} min grace period (it may still be provisioning)`,
    );
  for (const owner of owners) {
    const problem = owner.problem ?? context.doubts.get(owner.source) ?? null;
    if (problem) unknown.push(`${owner.label}: ${problem}`);
    else if (created !== null && (owner.lastOkAt ?? 0) < created + graceMs)
      notYet.push(`${owner.label} has not listed machines since the grace period ended`);
  }
  const { jobs, gitlabJobs } = machine;
  if (jobs.value === null)
    unknown.push(`job containers on the machine unknown${jobs.error ? ` (${jobs.error})` : ''}`);
  else if (jobs.stale) unknown.push('job container reading is stale');
  if (gitlabJobs.value === null)
    unknown.push(
      `GitLab job state unknown${gitlabJobs.error ? ` (${gitlabJobs.error})` : ' (no fresh GitLab reading)'}`,
    );
  else if (gitlabJobs.stale) unknown.push('GitLab job reading is stale');
  const evidence = machine.idleEvidence;
  let noJobSince: number | null = null;
  const lastJobId = evidence?.lastJob?.jobId ?? null;
  if (!evidence || evidence.gitlabSince === null) {
    unknown.push("GitLab's finished jobs are not all linked to their machines yet");
  } else {
    const windowStart = Math.max(evidence.gitlabSince, created ?? evidence.gitlabSince);
    noJobSince = evidence.lastJob ? evidence.lastJob.finishedAt : windowStart;
    const quiet = now - noJobSince;
    if (quiet < afterMs) {
      if (evidence.lastJob)
        notYet.push(
          `GitLab job #${evidence.lastJob.jobId} ran on it ${minutes(quiet)} ago (orphan after ${fleet.reaper.orphanAfterMinutes} min without a job)`,
        );
      else if (created !== null && created >= evidence.gitlabSince)
        notYet.push(
          `no GitLab job since it was created ${minutes(quiet)} ago, less than ${fleet.reaper.orphanAfterMinutes} min`,
        );
      else
        unknown.push(
          `GitLab's job history covers only ${minutes(quiet)}, less than ${fleet.reaper.orphanAfterMinutes} min`,
        );
    }
  }
  const price = facts.price?.(machine) ?? { unknown: 'no price list' };
  const perHour = 'perHour' in price ? price.perHour : null;
  return {
    state: 'unlisted',
    status: {
      state: notYet.length === 0 && unknown.length === 0 ? 'orphan' : 'unlisted',
      managers: owners.map((o) => o.label),
      managerSources: owners.map((o) => o.source),
      notYet,
      unknown,
      noJobSince,
      lastJobId,
      perHour,
      costSoFar:
        perHour === null || created === null
          ? null
          : (perHour * Math.max(0, now - created)) / 3_600_000,
      currency: facts.currency ?? null,
      unpricedReason: 'unknown' in price ? price.unknown : null,
    },
  };
}

/** Build hosts as the probe reached them: their addresses are never a VM's (see identity.ts). */
export function dedicatedMachines(machines: readonly Machine[]): Machine[] {
  return machines.filter((m) => m.kind === 'dedicated' || m.provider === 'ssh');
}

/**
 * The machines with their orphan status set (and cleared where it no longer applies), for
 * the snapshot: the Fleet view, `scan --json` and the CLI table show it.
 */
export function annotateOrphans(
  machines: readonly Machine[],
  fleets: readonly FleetSettings[],
  facts: OrphanFacts,
  identity: IdentityFacts,
  now: number,
): Machine[] {
  const byId = new Map(fleets.map((f) => [f.id, f]));
  const dedicated = dedicatedMachines(machines);
  const context = orphanContext(machines, facts.listings);
  return machines.map((machine) => {
    const fleet = byId.get(machine.fleet);
    const check = fleet
      ? checkOrphan(machine, fleet, facts, identity, dedicated, now, context)
      : null;
    if (check?.state === 'unlisted') return { ...machine, orphan: check.status };
    if (machine.orphan === undefined) return machine;
    const { orphan: _dropped, ...rest } = machine;
    return rest;
  });
}
