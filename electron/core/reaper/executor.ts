import type { Machine } from '../../../shared/machine';
import type { ExecutionResult, Proposal, ReaperAction, ReaperMode } from '../../../shared/proposal';

export type { ExecutionResult };
import type { FleetSettings } from '../../../shared/settings';
import type { AuditSink } from '../audit/audit-log';
import { isRwError, RwError } from '../errors/rw-error';
import { messageOf, step, type ActionRunner } from './actions/action';
import { maxWatchedUse, type History } from './history';
import type { KillLedger } from './ledger';
import { NO_FACTS, type IdentityFacts } from './identity';
import { checkOrphan, dedicatedMachines, orphanContext, type OrphanFacts } from './orphans';
import { evaluate, modeOf, orphanModeOf } from './policy';
import { proposalFields } from './proposal-fields';
import type { InFlightAction, ReaperState, StateStore } from './state-store';

/** What a person's confirmation carries besides who confirmed. */
export interface ConfirmOptions {
  /** The person acknowledged "job state on the machine is unknown" (unreachable rule). */
  acknowledgeUnknownJobState?: boolean;
}

/**
 * Differences between the server a proposal was made for and the one the re-check found
 * under the same name: another id, creation time or Hetzner project is another server.
 * Proposals made before these fields existed (no `providerId` key) are not compared.
 */
export function serverChanges(proposal: Proposal, fresh: Machine): string[] {
  const changes: string[] = [];
  if (proposal.providerId !== undefined && proposal.providerId !== fresh.providerId)
    changes.push(
      `server replaced under the same name: id ${proposal.providerId ?? 'unknown'} → ${fresh.providerId ?? 'unknown'}`,
    );
  if (proposal.serverCreatedAt !== undefined && proposal.serverCreatedAt !== fresh.createdAt)
    changes.push(
      `server replaced under the same name: created ${iso(proposal.serverCreatedAt)} → ${iso(fresh.createdAt)}`,
    );
  if (proposal.providerSource !== undefined && proposal.providerSource !== fresh.status.source)
    changes.push(
      `server now listed by ${fresh.status.source ?? 'no source'}, not ${proposal.providerSource ?? 'no source'}`,
    );
  return changes;
}

const iso = (at: number | null | undefined) =>
  at === null || at === undefined ? 'unknown' : new Date(at).toISOString();

/** What the guards look at when they run again before an action. */
export interface GuardContext {
  machines: readonly Machine[];
  fleets: readonly FleetSettings[];
  /** Modes in force (run-time overrides); the fleets' settings otherwise. */
  modes?: ReadonlyMap<string, ReaperMode>;
  /** SSH hosts, runner managers and inventory filters (who may be deleted at all). */
  identity?: IdentityFacts;
  /** Runner managers' machine lists and prices (the orphan rule); read again after the re-check. */
  orphans?: OrphanFacts;
}

/** What the executor needs; every edge is injected. */
export interface ExecutorOptions {
  /**
   * Reads the machine again now (the runtime refreshes the machine's sources and GitLab)
   * and returns it. Its readings must be newer than the call, or the action is refused.
   */
  recheck(machineKey: string, signal: AbortSignal): Promise<Machine>;
  /** The current fleet and settings, for the guards that look beyond one machine. */
  context(): GuardContext;
  history: History;
  ledger: KillLedger;
  actions: Partial<Record<ReaperAction, ActionRunner>>;
  audit: AuditSink;
  /** The persisted state (mutated in place) and where it is saved; null store keeps it in memory. */
  state: ReaperState;
  store: StateStore | null;
  now?: () => number;
  /**
   * Asked right before the first side effect: a reason when this process may no longer act
   * (another process took the state directory's lock, the state file became unreadable).
   */
  beforeAction?: () => Promise<string | null>;
}

interface Running {
  promise: Promise<ExecutionResult>;
  abort: AbortController;
}

/**
 * Executes confirmed (or automatic) proposals. Before any action it re-reads the machine
 * and runs the whole policy again on the fresh reading — the same guards that made the
 * proposal — and refuses, with every reason, when anything changed: the rule no longer
 * fires or fires for a new episode, a reading is unknown, stale or not new, the running
 * jobs differ, a guard blocks. At most one action per machine at a time; a proposal that
 * was executed is not executed again. The action is recorded as in flight (durably)
 * before it starts, so a crash is recovered by checking the provider, never by repeating.
 */
export class Executor {
  private readonly running = new Map<string, Running>();
  private readonly now: () => number;
  private stopping = false;

  constructor(private readonly options: ExecutorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Machines with an action in flight (also those left over from before a restart). */
  busyMachines(): Set<string> {
    return new Set([
      ...this.running.keys(),
      ...this.options.state.inFlight.map((a) => a.machineKey),
    ]);
  }

  /** True when actions from before a restart still wait for their provider check. */
  hasLeftovers(): boolean {
    return this.options.state.inFlight.some((a) => !this.running.has(a.machineKey));
  }

  /** True while shutdown has begun: no new action starts. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /**
   * Executes a proposal on behalf of `who` (`user@host`, or `auto`). Resolves with the
   * outcome; it does not throw for refusals or failed actions — those are results, and
   * every one is in the audit log.
   */
  async execute(
    proposal: Proposal,
    who: string,
    options: ConfirmOptions = {},
  ): Promise<ExecutionResult> {
    const audit = this.options.audit;
    const base = { ...proposalFields(proposal), who };
    const refuse = async (
      reasons: string[],
      evidence = proposal.evidence,
    ): Promise<ExecutionResult> => {
      await audit.append({ ...base, type: 'refusal', outcome: 'refused', reasons, evidence });
      // Remembered so auto mode does not retry the same proposal every cycle; a person may.
      if (this.options.state.proposals[proposal.id]?.state !== 'done') {
        await this.markProposal(proposal.id, 'refused', reasons.join('; '));
      }
      return { proposalId: proposal.id, outcome: 'refused', reasons, detail: null };
    };
    if (this.stopping) return refuse(['the reaper is shutting down; no new action starts']);
    const previous = this.options.state.proposals[proposal.id];
    if (previous?.state === 'done') {
      return {
        proposalId: proposal.id,
        outcome: 'ok',
        reasons: [],
        detail: `already done: ${previous.lastResult ?? ''}`.trim(),
      };
    }
    if (this.busyMachines().has(proposal.machineKey)) {
      return refuse(['another action is running on this machine']);
    }
    const abort = new AbortController();
    let settle!: (result: ExecutionResult) => void;
    const promise = new Promise<ExecutionResult>((resolve) => (settle = resolve));
    this.running.set(proposal.machineKey, { promise, abort });
    try {
      const result = await this.executeLocked(proposal, who, options, abort.signal, base, refuse);
      settle(result);
      return result;
    } catch (error) {
      const result: ExecutionResult = {
        proposalId: proposal.id,
        outcome: 'failed',
        reasons: [],
        detail: messageOf(error),
      };
      // Remembered (in memory at least: the failure may be a full disk) so auto mode waits
      // before the next attempt instead of retrying in a tight loop.
      await this.markProposal(proposal.id, 'failed', result.detail ?? 'failed').catch(
        () => undefined,
      );
      settle(result);
      return result;
    } finally {
      this.running.delete(proposal.machineKey);
    }
  }

  private async executeLocked(
    proposal: Proposal,
    who: string,
    options: ConfirmOptions,
    signal: AbortSignal,
    base: Record<string, string>,
    refuse: (reasons: string[], evidence?: Proposal['evidence']) => Promise<ExecutionResult>,
  ): Promise<ExecutionResult> {
    const { audit, state } = this.options;
    const context = this.options.context();
    const fleet = context.fleets.find((f) => f.id === proposal.fleet);
    if (!fleet) return refuse([`fleet ${proposal.fleet} is not configured`]);
    const modes = context.modes ?? new Map(Object.entries(state.modes));
    const mode = proposal.rule === 'orphan' ? orphanModeOf(fleet, modes) : modeOf(fleet, modes);
    await audit.append({
      ...base,
      type: 'confirm',
      evidence: proposal.evidence,
      detail: `mode ${mode}${options.acknowledgeUnknownJobState ? '; acknowledged: job state on the machine is unknown' : ''}`,
    });
    if (mode === 'off') return refuse([`reaper mode is off for fleet ${fleet.id}`]);
    if (proposal.rule === 'orphan') {
      if (fleet.reaper.orphans === 'off')
        return refuse([`the orphan rule is off for fleet ${fleet.id} (reaper.orphans)`]);
      if (who === 'auto' && mode !== 'auto')
        return refuse([
          `orphans of fleet ${fleet.id} are deleted automatically only with reaper.orphans "auto"`,
        ]);
    }

    if (proposal.acknowledge === 'unknown-job-state') {
      // The machine cannot be probed: only a person, knowingly, may act on it.
      if (who === 'auto')
        return refuse([
          `the ${proposal.rule} rule is never executed automatically: the job state on the machine is unknown`,
        ]);
      if (options.acknowledgeUnknownJobState !== true)
        return refuse([
          'the job state on the machine is unknown: confirm with the acknowledgement "job state on the machine is unknown"',
        ]);
    }

    // Re-check: a new reading of this machine, then every guard again on it.
    const stepTimeoutMs = fleet.reaper.stepTimeoutSec * 1000;
    const checkStartedAt = this.now();
    let fresh: Machine;
    try {
      fresh = await step(`re-check of ${proposal.machineName}`, stepTimeoutMs, signal, (s) =>
        this.options.recheck(proposal.machineKey, s),
      );
    } catch (error) {
      return refuse([`re-check failed: ${messageOf(error)}`]);
    }
    const lost = (await this.options.beforeAction?.()) ?? null;
    if (lost) return refuse([lost]);
    // No await from here to the ledger entry below: the guards (hourly budget, minimum
    // fleet size) and the record that spends them must be one step, or two actions running
    // at once both pass a budget of one.
    // The managers' lists as the re-check left them: orphan-ness is verified on them.
    const orphans = proposal.rule === 'orphan' ? this.options.context().orphans : context.orphans;
    const reasons = this.recheckReasons(
      proposal,
      fresh,
      fleet,
      { ...context, ...(orphans ? { orphans } : {}) },
      checkStartedAt,
    );
    const freshProposal = reasons.proposal;
    if (reasons.list.length > 0)
      return refuse(reasons.list, freshProposal?.evidence ?? proposal.evidence);

    if (mode === 'dry-run') {
      await audit.append({
        ...base,
        type: 'dry-run',
        outcome: 'dry-run',
        evidence: freshProposal?.evidence ?? proposal.evidence,
        detail: `would run ${proposal.action} on ${proposal.machineName}${fresh.providerId ? ` (server ${fresh.providerId})` : ''}; re-check passed`,
      });
      await this.markProposal(proposal.id, 'dry-run', 're-check passed; dry run');
      return {
        proposalId: proposal.id,
        outcome: 'dry-run',
        reasons: [],
        detail: 're-check passed; nothing done (dry run)',
      };
    }
    if (this.stopping) return refuse(['the reaper is shutting down; no new action starts']);
    const runner = this.options.actions[proposal.action];
    if (!runner) return refuse([`no ${proposal.action} action is configured on this host`]);

    // Durable before the first side effect: a crash from here on is recovered, not repeated.
    const inFlight: InFlightAction = {
      ...proposalFields(proposal),
      providerId: fresh.providerId,
      // The project that listed this server (its token deletes it), never just the first one:
      // another project's token answers 404, which would read as "already gone".
      providerSource: fresh.status.source?.startsWith('hetzner:') ? fresh.status.source : null,
      startedAt: this.now(),
      who,
      hcloudActionId: null,
      step: 'starting',
    };
    state.inFlight.push(inFlight);
    this.options.ledger.record(proposal.fleet, proposal.machineKey, inFlight.startedAt);
    await this.save();
    await audit.append({
      ...base,
      type: 'action-start',
      evidence: freshProposal?.evidence ?? proposal.evidence,
      detail: `${proposal.action} on ${proposal.machineName}${fresh.providerId ? ` (server ${fresh.providerId})` : ''}`,
    });
    try {
      const detail = await runner.run({
        machine: fresh,
        inFlight,
        signal,
        stepTimeoutMs,
        progress: async (patch) => {
          Object.assign(inFlight, patch);
          await this.save();
        },
      });
      this.removeInFlight(proposal.id);
      await this.markProposal(proposal.id, 'done', detail);
      await audit.append({ ...base, type: 'result', outcome: 'ok', detail });
      return { proposalId: proposal.id, outcome: 'ok', reasons: [], detail };
    } catch (error) {
      const detail = messageOf(error);
      if (signal.aborted && this.stopping) {
        // Left in flight on purpose: the next start checks the provider.
        inFlight.step = `interrupted by shutdown at: ${inFlight.step}`;
        await this.save();
        await audit.append({ ...base, type: 'interrupted', outcome: 'interrupted', detail });
        return { proposalId: proposal.id, outcome: 'interrupted', reasons: [], detail };
      }
      this.removeInFlight(proposal.id);
      await this.markProposal(proposal.id, 'failed', detail);
      await audit.append({ ...base, type: 'result', outcome: 'failed', detail });
      return { proposalId: proposal.id, outcome: 'failed', reasons: [], detail };
    }
  }

  /** Every reason the fresh reading does not allow the proposal's action now. */
  private recheckReasons(
    proposal: Proposal,
    fresh: Machine,
    fleet: FleetSettings,
    context: GuardContext,
    checkStartedAt: number,
  ): { list: string[]; proposal: Proposal | null } {
    const list: string[] = [];
    if (fresh.key !== proposal.machineKey)
      list.push(`re-check returned another machine (${fresh.key})`);
    list.push(...serverChanges(proposal, fresh));
    for (const [name, field] of [
      ['job containers', fresh.jobs],
      ['GitLab jobs', fresh.gitlabJobs],
      ['disk', fresh.disks],
    ] as const) {
      if (field.observedAt === null || field.observedAt < checkStartedAt) {
        list.push(
          `re-check brought no new reading of ${name}${field.error ? ` (${field.error})` : ''}`,
        );
      }
    }
    if (proposal.rule === 'orphan') {
      // Every manager that could own it must have listed its machines again, without it.
      for (const listing of context.orphans?.listings ?? []) {
        if (listing.fleet !== fresh.fleet) continue;
        if (listing.namePrefix !== null && !fresh.name.startsWith(listing.namePrefix)) continue;
        if (listing.lastOkAt === null || listing.lastOkAt < checkStartedAt)
          list.push(
            `re-check brought no new machine list from ${listing.label}${listing.problem ? ` (${listing.problem})` : ''}`,
          );
      }
    }
    if (proposal.rule === 'disk') {
      // Checked on the fresh reading itself, not only through the history's sample run.
      const { pct } = maxWatchedUse(fresh, fleet.watchedMounts);
      if (pct === null || pct < fleet.reaper.diskThresholdPct) {
        list.push(`the disk rule no longer fires: ${this.whatChanged(proposal, fresh, fleet)}`);
      }
    }
    const { history } = this.options;
    history.observe(fresh, fleet);
    const machines = context.machines.map((m) => (m.key === fresh.key ? fresh : m));
    if (!machines.some((m) => m.key === fresh.key)) machines.push(fresh);
    const busy = this.busyMachines();
    busy.delete(proposal.machineKey);
    const now = this.now();
    const evaluated = evaluate({
      machines,
      history,
      fleets: [fleet],
      killsInLastHour: this.options.ledger.inLastHour(now),
      recent: this.options.ledger.machinesInLastHour(now),
      now,
      modes: context.modes ?? new Map(Object.entries(this.options.state.modes)),
      busy,
      ...(context.identity ? { identity: context.identity } : {}),
      ...(context.orphans ? { orphans: context.orphans } : {}),
    });
    // Only this machine's proposal matters; others' urgency must not take its budget.
    const mine = evaluated.find((p) => p.machineKey === proposal.machineKey) ?? null;
    if (!mine) {
      list.push(
        `the ${proposal.rule} rule no longer fires: ${this.whatChanged(proposal, fresh, fleet, context, machines)}`,
      );
      return { list: [...new Set(list)], proposal: null };
    }
    if (mine.rule !== proposal.rule)
      list.push(
        `now the ${mine.rule} rule fires instead of ${proposal.rule}; confirm the new proposal`,
      );
    else if (mine.id !== proposal.id)
      list.push(
        `the ${proposal.rule} condition restarted since the proposal (something ran in between)`,
      );
    if (mine.action !== proposal.action)
      list.push(`the action would now be ${mine.action}, not ${proposal.action}`);
    if ((mine.acknowledge ?? null) !== (proposal.acknowledge ?? null))
      list.push('what the confirmation must acknowledge changed; confirm the new proposal');
    const ownBlocks = mine.blocked.filter(
      (reason) =>
        !reason.includes('taken by more urgent') && !reason.includes('broken by more urgent'),
    );
    list.push(...ownBlocks);
    const before = proposal.evidence.runningJobIds.join(',');
    const after = mine.evidence.runningJobIds.join(',');
    if (before !== after)
      list.push(`running jobs changed since the proposal: [${before}] → [${after}]`);
    return { list: [...new Set(list)], proposal: mine };
  }

  private whatChanged(
    proposal: Proposal,
    fresh: Machine,
    fleet: FleetSettings,
    context?: GuardContext,
    machines: readonly Machine[] = [],
  ): string {
    if (fresh.status.value === 'gone' || fresh.status.value === 'deleting')
      return `the machine is ${fresh.status.value}`;
    if (proposal.rule === 'orphan') {
      const check = checkOrphan(
        fresh,
        fleet,
        context?.orphans ?? { listings: [] },
        context?.identity ?? NO_FACTS,
        dedicatedMachines(machines),
        this.now(),
        orphanContext(machines, context?.orphans?.listings ?? []),
      );
      if (check.state !== 'unlisted') return check.why;
      return (
        [...check.status.notYet, ...check.status.unknown].join('; ') || 'the condition is gone'
      );
    }
    if (proposal.rule === 'disk') {
      const { pct } = maxWatchedUse(fresh, fleet.watchedMounts);
      if (pct === null) return 'disk use unknown';
      return `disk at ${pct} % (was ${proposal.evidence.diskPct ?? '?'} %, threshold ${fleet.reaper.diskThresholdPct} %)`;
    }
    if (proposal.rule === 'idle') {
      const jobs = [...(fresh.jobs.value ?? []), ...(fresh.gitlabJobs.value ?? [])].map(
        (j) => `#${j.jobId}`,
      );
      if (jobs.length > 0) return `job ${[...new Set(jobs)].join(', ')} started`;
      return 'job state unknown or not idle long enough';
    }
    if (proposal.rule === 'unreachable') return 'the machine answers again';
    return 'the condition is gone';
  }

  private removeInFlight(proposalId: string): void {
    const list = this.options.state.inFlight;
    const index = list.findIndex((a) => a.proposalId === proposalId);
    if (index >= 0) list.splice(index, 1);
  }

  private async markProposal(
    id: string,
    state: ReaperState['proposals'][string]['state'],
    lastResult: string,
  ): Promise<void> {
    const entry = this.options.state.proposals[id];
    this.options.state.proposals[id] = {
      firstSeenAt: entry?.firstSeenAt ?? this.now(),
      updatedAt: this.now(),
      state,
      lastResult,
    };
    await this.save();
  }

  private async save(): Promise<void> {
    await this.options.store?.save(this.options.state);
  }

  /**
   * On start: each action left in flight is checked against its provider and recorded as
   * completed or reported; never repeated. An action whose provider cannot be asked stays
   * in flight (its machine stays untouchable) and is checked again on the next call.
   */
  async recover(): Promise<void> {
    const { state, audit } = this.options;
    for (const inFlight of [...state.inFlight]) {
      if (this.running.has(inFlight.machineKey)) continue;
      const fleet = this.options.context().fleets.find((f) => f.id === inFlight.fleet);
      const stepTimeoutMs = (fleet?.reaper.stepTimeoutSec ?? 60) * 1000;
      const base = {
        fleet: inFlight.fleet,
        machineKey: inFlight.machineKey,
        machineName: inFlight.machineName,
        proposalId: inFlight.proposalId,
        rule: inFlight.rule,
        action: inFlight.action,
        who: inFlight.who,
      };
      const runner = this.options.actions[inFlight.action];
      if (!runner) {
        await audit.append({
          ...base,
          type: 'recovery',
          outcome: 'failed',
          detail: `${inFlight.action} was in flight (step: ${inFlight.step}) and cannot be checked on this host; it stays marked in flight`,
        });
        continue;
      }
      try {
        const outcome = await runner.recover(inFlight, new AbortController().signal, stepTimeoutMs);
        this.removeInFlight(inFlight.proposalId);
        await this.markProposal(
          inFlight.proposalId,
          outcome.completed ? 'done' : 'failed',
          outcome.detail,
        );
        await audit.append({
          ...base,
          type: 'recovery',
          outcome: outcome.completed ? 'ok' : 'failed',
          detail: `in flight since ${new Date(inFlight.startedAt).toISOString()} (step: ${inFlight.step}): ${outcome.detail}`,
        });
      } catch (error) {
        await audit.append({
          ...base,
          type: 'recovery',
          outcome: 'failed',
          detail: `could not check the ${inFlight.action} left in flight: ${messageOf(error)}; will check again`,
        });
      }
    }
    await this.save();
  }

  /**
   * Shutdown: no new action starts; running ones get up to `graceMs` to finish, then are
   * aborted and recorded as interrupted (they stay in flight for the next start to check).
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    const pending = [...this.running.values()];
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const all = Promise.allSettled(pending.map((r) => r.promise));
      const first = await Promise.race([all, graceOver]);
      clearTimeout(timer);
      if (first === 'timeout') {
        for (const r of this.running.values())
          r.abort.abort(new RwError('timeout', 'interrupted by shutdown'));
        await Promise.allSettled([...this.running.values()].map((r) => r.promise));
      }
    }
    // An unreadable state file refuses every save (it must stay as the user finds it);
    // nothing ran in that case, so there is nothing to record.
    await this.save().catch((error: unknown) => {
      if (!isRwError(error) || error.code !== 'state_corrupt') throw error;
    });
    await this.options.store?.flush();
  }
}
