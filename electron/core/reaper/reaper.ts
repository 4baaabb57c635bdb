import type { FleetEvent } from '../../../shared/fleet';
import type { Machine } from '../../../shared/machine';
import type { Proposal, ReaperAction, ReaperMode, RecheckResult } from '../../../shared/proposal';
import type { FleetSettings } from '../../../shared/settings';
import type { AuditListRequest, AuditRecord } from '../../../shared/audit';
import { AuditLog, currentUser, readAudit, type AuditSink } from '../audit/audit-log';
import { RwError } from '../errors/rw-error';
import type { Disposable } from '../lifecycle';
import type { ActionRunner } from './actions/action';
import { Executor, type ExecutionResult } from './executor';
import { History, type HistoryOptions } from './history';
import { KillLedger } from './ledger';
import { evaluate, modeOf } from './policy';
import { proposalFields } from './proposal-fields';
import { StateStore, type ReaperState } from './state-store';

/** The part of the engine the reaper uses. */
export interface ReaperEngine {
  onEvent(listener: (event: FleetEvent) => void): Disposable;
  machines(): Machine[];
  setProposals(proposals: Proposal[]): void;
}

/** What the reaper service needs. */
export interface ReaperOptions {
  engine: ReaperEngine;
  fleets: readonly FleetSettings[];
  /** Where the audit log and the state file live (`settings.stateDir`, `~` expanded). */
  stateDir: string;
  actions: Partial<Record<ReaperAction, ActionRunner>>;
  /** Reads one machine again now; see `createEngineRecheck`. */
  recheck(machineKey: string, signal: AbortSignal): Promise<Machine>;
  /** Defaults to an `AuditLog` in `stateDir`. */
  audit?: AuditSink & { flush?(): Promise<void> };
  /** Defaults to a `StateStore` in `stateDir`; null keeps state in memory (tests). */
  store?: StateStore | null;
  history?: HistoryOptions;
  now?: () => number;
  monotonic?: () => number;
  /** Dry-run lines ("would delete …"); the CLI prints them. */
  log?: (line: string) => void;
  /** How long `dispose` lets running actions finish. */
  shutdownGraceMs?: number;
  /**
   * Adjusts every fleet's mode, e.g. the CLI's `reap --dry-run` forces `dry-run` and
   * `reap --confirm` turns `auto` into `notify` so one command does one kill.
   */
  modeOverride?: (mode: ReaperMode) => ReaperMode;
  /** Auto mode tries a refused or failed proposal again after this long (default 10 min). */
  autoRetryAfterMs?: number;
  /** Resources the reaper owns (e.g. its SSH pool), disposed after it has shut down. */
  disposables?: Disposable[];
}

/** Pause between checks of actions left in flight whose provider did not answer. */
const RECOVERY_RETRY_MS = 60_000;

/** Drop remembered proposals this long after they were first seen (the audit keeps them). */
const FORGET_AFTER_MS = 7 * 24 * 3_600_000;

/**
 * The reaper service: follows the engine's events, keeps the history, evaluates the
 * policy, hands proposals to the engine, executes automatically in `auto` mode (within
 * every guard) and records what `dry-run` would do. Every proposal, confirmation,
 * refusal, result and mode switch goes to the audit log. Start it with `Reaper.start`.
 */
export class Reaper implements Disposable {
  private readonly history: History;
  private readonly executor: Executor;
  private readonly ledger: KillLedger;
  private readonly now: () => number;
  private readonly fleets: readonly FleetSettings[];
  private current: Proposal[] = [];
  private subscription: Disposable | null = null;
  private publishing = false;
  private cycleQueued = false;
  private work: Promise<void> = Promise.resolve();
  private readonly autoRuns = new Set<Promise<unknown>>();
  private disposed = false;
  private disposing: Promise<void> | null = null;
  private recovering = false;
  private lastRecoveryAt: number | null = null;

  private constructor(
    private readonly options: ReaperOptions,
    private readonly state: ReaperState,
    private readonly store: StateStore | null,
    private readonly sink: AuditSink & { flush?(): Promise<void> },
  ) {
    this.now = options.now ?? Date.now;
    this.fleets = options.fleets;
    this.history = new History(options.history);
    this.ledger = new KillLedger(state.ledger, options.monotonic);
    this.executor = new Executor({
      recheck: options.recheck,
      context: () => ({
        machines: options.engine.machines(),
        fleets: this.fleets,
        modes: this.modes(),
      }),
      history: this.history,
      ledger: this.ledger,
      actions: options.actions,
      audit: sink,
      state,
      store,
      now: this.now,
    });
  }

  /**
   * Loads the state, recovers actions left in flight (checking the provider), then
   * subscribes to the engine. A corrupt state file is moved aside and audited.
   */
  static async start(options: ReaperOptions): Promise<Reaper> {
    const store = options.store === undefined ? new StateStore(options.stateDir) : options.store;
    const audit =
      options.audit ??
      new AuditLog({ dir: options.stateDir, ...(options.now ? { now: options.now } : {}) });
    let state: ReaperState = { version: 1, modes: {}, proposals: {}, inFlight: [], ledger: [] };
    if (store) {
      const loaded = await store.load();
      state = loaded.state;
      if (loaded.corrupt) {
        await audit.append({
          type: 'recovery',
          outcome: 'failed',
          detail: `reaper state file was unreadable (${loaded.corrupt.reason}); moved to ${loaded.corrupt.movedTo}; actions in flight before it cannot be checked automatically`,
        });
      }
    }
    const reaper = new Reaper(options, state, store, audit);
    await reaper.executor.recover();
    reaper.lastRecoveryAt = reaper.now();
    reaper.subscription = options.engine.onEvent(() => reaper.onEngineEvent());
    reaper.scheduleCycle();
    await reaper.settled();
    return reaper;
  }

  /** The proposals of the last evaluation. */
  proposals(): Proposal[] {
    return this.current;
  }

  /** Audit records, newest first (the `rw:audit:list` channel). */
  async audit(request: AuditListRequest): Promise<AuditRecord[]> {
    await this.sink.flush?.();
    return (
      await readAudit({ dir: this.options.stateDir, limit: request.limit, filter: request.filter })
    ).records;
  }

  /** Who confirms from this host. */
  who(): string {
    return currentUser();
  }

  /** The mode in force for a fleet. */
  mode(fleet: string): ReaperMode {
    const settings = this.fleet(fleet);
    return modeOf(settings, this.modes());
  }

  /** Resolves when queued evaluations and their audit records are done. */
  async settled(): Promise<void> {
    let last: Promise<void> | null = null;
    while (last !== this.work) {
      last = this.work;
      await last;
    }
  }

  /** Waits for automatic executions started so far (tests, CLI). */
  async idle(): Promise<void> {
    await this.settled();
    while (this.autoRuns.size > 0) {
      await Promise.allSettled([...this.autoRuns]);
      await this.settled();
    }
  }

  /** Executes a proposal that a person confirmed; `who` is `user@host`. */
  async confirm(proposalId: string, who: string): Promise<ExecutionResult> {
    if (this.disposed) throw new RwError('refused', 'the reaper is shutting down');
    await this.settled();
    const proposal = this.current.find((p) => p.id === proposalId);
    if (!proposal) {
      const known = this.state.proposals[proposalId];
      if (known?.state === 'done')
        return {
          proposalId,
          outcome: 'ok',
          reasons: [],
          detail: `already done: ${known.lastResult ?? ''}`.trim(),
        };
      throw new RwError(
        'not_found',
        `no current proposal ${proposalId}; it may have expired — refresh and confirm again`,
      );
    }
    const result = await this.executor.execute(proposal, who);
    this.scheduleCycle();
    await this.settled();
    return result;
  }

  /** Reads the proposal's machine again and evaluates it, without acting (confirm dialog). */
  async recheck(proposalId: string): Promise<RecheckResult> {
    await this.settled();
    const proposal = this.current.find((p) => p.id === proposalId);
    if (!proposal) throw new RwError('not_found', `no current proposal ${proposalId}`);
    const fleet = this.fleet(proposal.fleet);
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new RwError('timeout', 're-check timed out')),
      fleet.reaper.stepTimeoutSec * 1000,
    );
    let machine: Machine;
    try {
      machine = await this.options.recheck(proposal.machineKey, abort.signal);
    } finally {
      clearTimeout(timer);
    }
    this.history.observe(machine, fleet);
    this.scheduleCycle();
    await this.settled();
    const fresh = this.current.find((p) => p.machineKey === proposal.machineKey) ?? null;
    return {
      machine,
      proposal: fresh,
      executable: fresh !== null && fresh.id === proposalId && fresh.blocked.length === 0,
    };
  }

  /** Switches a fleet's mode (audited with who switched and from what). */
  async setMode(fleet: string, mode: ReaperMode, who: string): Promise<void> {
    const settings = this.fleet(fleet);
    const from = modeOf(settings, this.modes());
    this.state.modes[fleet] = mode;
    await this.store?.save(this.state);
    await this.sink.append({
      type: 'mode-switch',
      fleet,
      who,
      modeFrom: from,
      modeTo: mode,
      detail: `${from} → ${mode}`,
    });
    this.scheduleCycle();
    await this.settled();
  }

  /**
   * Stops evaluating, lets running actions finish up to the grace period (the rest are
   * recorded as interrupted and stay in flight for the next start), then flushes.
   */
  dispose(): Promise<void> {
    // Every caller (signal handler, host shutdown, finally blocks) waits for the same shutdown.
    this.disposing ??= this.shutdown();
    return this.disposing;
  }

  private async shutdown(): Promise<void> {
    this.disposed = true;
    await this.subscription?.dispose();
    await this.work.catch(() => undefined);
    await this.executor.shutdown(this.options.shutdownGraceMs ?? 30_000);
    await Promise.allSettled([...this.autoRuns]);
    await this.store?.flush();
    await this.sink.flush?.();
    for (const item of this.options.disposables ?? []) await item.dispose();
  }

  private fleet(id: string): FleetSettings {
    const fleet = this.fleets.find((f) => f.id === id);
    if (!fleet) throw new RwError('not_found', `no fleet ${id} in the settings`);
    return fleet;
  }

  private modes(): Map<string, ReaperMode> {
    const modes = new Map<string, ReaperMode>();
    const override = this.options.modeOverride ?? ((mode: ReaperMode) => mode);
    for (const fleet of this.fleets)
      modes.set(fleet.id, override(this.state.modes[fleet.id] ?? fleet.reaper.mode));
    return modes;
  }

  /**
   * Writes the closing record of every proposal of the last cycle that is gone from this
   * one while nobody acted on it, so the audit log says how each proposal ended. Its
   * state entry is dropped: the same proposal firing again is recorded as new.
   */
  private async closeWithdrawn(evaluated: Proposal[], machines: Machine[]): Promise<boolean> {
    const still = new Set(evaluated.map((p) => p.id));
    let changed = false;
    for (const old of this.current) {
      if (still.has(old.id)) continue;
      const known = this.state.proposals[old.id];
      if (known && known.state !== 'pending' && known.state !== 'dry-run') continue;
      const machine = machines.find((m) => m.key === old.machineKey);
      const why =
        !machine || machine.status.value === 'gone'
          ? 'the machine is gone'
          : 'no rule fires on it any more (a job started, the disk was cleaned, or the settings changed)';
      await this.sink.append({
        type: 'withdrawn',
        ...proposalFields(old),
        detail: `proposal withdrawn: ${why}`,
      });
      if (known) {
        delete this.state.proposals[old.id];
        changed = true;
      }
    }
    return changed;
  }

  private onEngineEvent(): void {
    // setProposals publishes synchronously; that echo must not start another cycle.
    if (this.publishing || this.disposed) return;
    this.scheduleCycle();
  }

  private scheduleCycle(): void {
    if (this.cycleQueued || this.disposed) return;
    this.cycleQueued = true;
    this.work = this.work
      .then(async () => {
        this.cycleQueued = false;
        await this.cycle();
      })
      .catch((error: unknown) => {
        this.options.log?.(
          `reaper cycle failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
  }

  private async cycle(): Promise<void> {
    if (this.disposed) return;
    const due =
      this.lastRecoveryAt === null ||
      Math.abs(this.now() - this.lastRecoveryAt) >= RECOVERY_RETRY_MS;
    if (this.executor.hasLeftovers() && due && !this.recovering && !this.executor.isStopping) {
      // Actions left from before a restart whose provider could not be asked yet; at most
      // once a minute, so an unreachable provider does not fill the audit log.
      this.lastRecoveryAt = this.now();
      this.recovering = true;
      try {
        await this.executor.recover();
      } finally {
        this.recovering = false;
      }
    }
    const now = this.now();
    const machines = this.options.engine.machines();
    this.history.ingest(machines, this.fleets);
    this.ledger.prune(now);
    const evaluated = evaluate({
      machines,
      history: this.history,
      fleets: this.fleets,
      killsInLastHour: this.ledger.inLastHour(now),
      recent: this.ledger.machinesInLastHour(now),
      now,
      modes: this.modes(),
      busy: this.executor.busyMachines(),
    });
    const busy = this.executor.busyMachines();
    let dirty = false;
    for (const proposal of evaluated) {
      const known = this.state.proposals[proposal.id];
      if (
        busy.has(proposal.machineKey) &&
        this.state.inFlight.some((a) => a.proposalId === proposal.id)
      ) {
        proposal.state = 'executing';
      } else if (known && known.state !== 'pending' && known.state !== 'dry-run') {
        proposal.state = known.state === 'done' ? 'done' : known.state;
      }
      if (known) proposal.lastResult = known.lastResult;
      if (!known) {
        this.state.proposals[proposal.id] = {
          firstSeenAt: now,
          state: 'pending',
          lastResult: null,
        };
        dirty = true;
        await this.sink.append({
          type: 'proposal',
          ...proposalFields(proposal),
          reasons: proposal.blocked,
          evidence: proposal.evidence,
          detail: proposal.summary,
        });
        if (proposal.mode === 'dry-run' && proposal.blocked.length === 0) {
          const line = `dry-run: would ${proposal.action} ${proposal.machineName} (${proposal.rule}): ${proposal.summary}`;
          this.options.log?.(line);
          await this.sink.append({
            type: 'dry-run',
            outcome: 'dry-run',
            ...proposalFields(proposal),
            evidence: proposal.evidence,
            detail: line,
          });
        }
      }
    }
    for (const [id, entry] of Object.entries(this.state.proposals)) {
      if (now - entry.firstSeenAt > FORGET_AFTER_MS) {
        delete this.state.proposals[id];
        dirty = true;
      }
    }
    if (await this.closeWithdrawn(evaluated, machines)) dirty = true;
    if (dirty) await this.store?.save(this.state);
    this.current = evaluated;
    this.publishing = true;
    try {
      this.options.engine.setProposals(evaluated);
    } finally {
      this.publishing = false;
    }
    const retryAfter = this.options.autoRetryAfterMs ?? 10 * 60_000;
    for (const proposal of evaluated) {
      if (proposal.mode !== 'auto' || proposal.blocked.length > 0) continue;
      // A refused or failed attempt is retried after a pause (a job ended, Hetzner is back):
      // the same condition is still there, and a missed kill stalls the fleet too. Every
      // retry is re-checked and counted against the hourly budget like the first.
      const known = this.state.proposals[proposal.id];
      const retry =
        (proposal.state === 'refused' || proposal.state === 'failed') &&
        now - (known?.updatedAt ?? known?.firstSeenAt ?? now) >= retryAfter;
      if (proposal.state !== 'pending' && !retry) continue;
      if (this.executor.isStopping || this.disposed) break;
      const run = this.executor.execute(proposal, 'auto').finally(() => {
        this.autoRuns.delete(run);
        this.scheduleCycle();
      });
      this.autoRuns.add(run);
    }
  }
}
