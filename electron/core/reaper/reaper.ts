import type { FleetEvent } from '../../../shared/fleet';
import type { Machine, MachineRemoval } from '../../../shared/machine';
import { REMOVAL_RETENTION_MS } from '../fleet/model';
import { readRemovals, trackRemovals, type RecordedRemoval } from './removals';
import type { Proposal, ReaperAction, ReaperMode, RecheckResult } from '../../../shared/proposal';
import type { FleetSettings } from '../../../shared/settings';
import type { AuditListRequest, AuditRecord } from '../../../shared/audit';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AUDIT_FILE, AuditLog, currentUser, readAudit, type AuditSink } from '../audit/audit-log';
import { RwError } from '../errors/rw-error';
import type { Disposable } from '../lifecycle';
import type { ActionRunner } from './actions/action';
import { Executor, type ConfirmOptions, type ExecutionResult } from './executor';
import type { IdentityFacts } from './identity';
import type { OrphanFacts } from './orphans';
import { History, type HistoryOptions } from './history';
import { KillLedger } from './ledger';
import { evaluate, modeOf } from './policy';
import { proposalFields } from './proposal-fields';
import { emptyState, StateStore, type ReaperState } from './state-store';
import type { ActionGate } from '../state-lock/state-dir-lock';

/** The part of the engine the reaper uses. */
export interface ReaperEngine {
  onEvent(listener: (event: FleetEvent) => void): Disposable;
  machines(): Machine[];
  setProposals(proposals: Proposal[]): void;
  /** Marks a machine as deleted by this app (shown so, no longer probed). */
  markRemoved?(machineKey: string, removal: MachineRemoval): void;
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
  /**
   * How long `dispose` lets running actions finish before it aborts them and records them
   * as interrupted (default `SHUTDOWN_GRACE_MS`).
   */
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
  /**
   * SSH hosts, runner managers and inventory filters, read each cycle (GitLab's runner
   * managers change); see `identityFacts`. Absent: none known.
   */
  identity?: () => IdentityFacts;
  /**
   * The runner managers' machine lists as the engine last read them, and prices (see
   * `managerListings`), read each cycle and again after a re-check. Absent: no orphans.
   */
  orphans?: () => OrphanFacts;
  /**
   * The state directory's lock (`StateDirLock`). While another process holds it this
   * reaper only watches: it reads the state file each cycle, shows proposals blocked with
   * the holder named, writes nothing, and takes over when the lock comes free. Without a
   * lock (tests, in-memory state) the reaper acts alone.
   */
  lock?: ActionGate | null;
}

/**
 * Running actions get this long to finish on shutdown. It stays well inside the hosts'
 * 10 s bound after SIGTERM (electron/cli/main.ts), so an action that cannot finish is
 * aborted and recorded as interrupted — and checked against the provider on the next
 * start — rather than cut off unrecorded when the process is ended.
 */
export const SHUTDOWN_GRACE_MS = 5_000;

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
  /** Set while the state file is unreadable: every action stops (see `StateStore.load`). */
  private halted: string | null = null;
  private lockSubscription: Disposable | null = null;
  /** Size of the audit file when a watching process last read the deletions from it. */
  private auditSizeSeen: number | null = null;

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
        machines: this.liveMachines(),
        fleets: this.fleets,
        modes: this.modes(),
        ...(options.identity ? { identity: options.identity() } : {}),
        ...(options.orphans ? { orphans: options.orphans() } : {}),
      }),
      history: this.history,
      ledger: this.ledger,
      actions: options.actions,
      audit: sink,
      state,
      store,
      now: this.now,
      beforeAction: () => this.actionBlock(),
    });
  }

  /**
   * Loads the state, recovers actions left in flight (checking the provider), then
   * subscribes to the engine. An unreadable state file stops every action (it is kept,
   * copied aside and audited) until it is repaired or removed. While another process
   * holds the state directory's lock, the reaper starts read-only.
   */
  static async start(options: ReaperOptions): Promise<Reaper> {
    const store = options.store === undefined ? new StateStore(options.stateDir) : options.store;
    const markRemoved = ({ machineKey, removal }: RecordedRemoval) =>
      options.engine.markRemoved?.(machineKey, removal);
    // Every successful delete this reaper records marks its machine at once; the ones
    // recorded before this start come from the audit log below.
    const audit = trackRemovals(
      options.audit ??
        new AuditLog({ dir: options.stateDir, ...(options.now ? { now: options.now } : {}) }),
      markRemoved,
    );
    const lock = options.lock ?? null;
    const acting = lock?.readOnlyReason() == null;
    let state: ReaperState = emptyState();
    let halted: string | null = null;
    if (store) {
      const loaded = await store.load({ backup: acting });
      state = loaded.state;
      halted = loaded.corrupt?.message ?? null;
    }
    const reaper = new Reaper(options, state, store, audit);
    reaper.halted = halted;
    await reaper.loadRemovals();
    if (acting) {
      if (halted) await audit.append({ type: 'recovery', outcome: 'failed', detail: halted });
      else await reaper.executor.recover();
    }
    reaper.lastRecoveryAt = reaper.now();
    reaper.lockSubscription = lock?.onChange((held) => reaper.onLockChange(held)) ?? null;
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

  /**
   * Why this process cannot act now: another process holds the state directory (read-only)
   * or the state file is unreadable. Shown as host warnings (AppInfo, CLI).
   */
  warnings(): string[] {
    return [this.options.lock?.readOnlyReason() ?? null, this.halted].filter(
      (w): w is string => w !== null,
    );
  }

  /** Executes a proposal that a person confirmed; `who` is `user@host`. */
  async confirm(
    proposalId: string,
    who: string,
    options: ConfirmOptions = {},
  ): Promise<ExecutionResult> {
    if (this.disposed) throw new RwError('refused', 'the reaper is shutting down');
    await this.settled();
    this.assertMayAct();
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
    const result = await this.executor.execute(proposal, who, options);
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
    await this.settled();
    this.assertMayAct();
    await this.options.lock?.assertHeld();
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
    await this.lockSubscription?.dispose();
    await this.subscription?.dispose();
    await this.work.catch(() => undefined);
    await this.executor.shutdown(this.options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS);
    await Promise.allSettled([...this.autoRuns]);
    await this.store?.flush();
    await this.sink.flush?.();
    for (const item of this.options.disposables ?? []) await item.dispose();
  }

  /** Throws the typed error of `warnings()` when this process may not act. */
  private assertMayAct(): void {
    const readOnly = this.options.lock?.readOnlyReason() ?? null;
    if (readOnly) throw new RwError('read_only', readOnly);
    if (this.halted) throw new RwError('state_corrupt', this.halted);
  }

  /** The executor's last question before a side effect: may this process still act? */
  private async actionBlock(): Promise<string | null> {
    if (this.halted) return this.halted;
    try {
      await this.options.lock?.assertHeld();
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** The engine's machines without the ones this app deleted: they are no fleet members. */
  private liveMachines(): Machine[] {
    return this.options.engine.machines().filter((m) => !m.removed);
  }

  /** Marks the machines the audit log says were deleted (before this start, or by the holder). */
  private async loadRemovals(): Promise<void> {
    if (!this.options.engine.markRemoved) return;
    const since = this.now() - REMOVAL_RETENTION_MS;
    try {
      for (const { machineKey, removal } of await readRemovals(this.options.stateDir, since))
        this.options.engine.markRemoved(machineKey, removal);
    } catch (error) {
      this.options.log?.(
        `cannot read past deletions from the audit log: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Replaces the state in place: the executor and the ledger hold the same objects. */
  private replaceState(next: ReaperState): void {
    this.state.modes = next.modes;
    this.state.proposals = next.proposals;
    this.state.inFlight.splice(0, this.state.inFlight.length, ...next.inFlight);
    this.state.ledger.splice(0, this.state.ledger.length, ...next.ledger);
  }

  /**
   * Reads the state file again. A watching process does so every cycle, to show the
   * holder's budget, modes and outcomes; the holder does so while the file is unreadable,
   * and resumes once a person repaired or removed it.
   */
  private async reload(acting: boolean): Promise<void> {
    if (!this.store) return;
    const wasHalted = this.halted;
    const loaded = await this.store.load({ backup: false });
    this.halted = loaded.corrupt?.message ?? null;
    if (loaded.corrupt) return;
    this.replaceState(loaded.state);
    if (!acting) {
      // The holder's deletions reach this process through the audit log, read again when
      // it grew (every record of a kill is appended there).
      const size = await fs
        .stat(path.join(this.options.stateDir, AUDIT_FILE))
        .then((s) => s.size)
        .catch(() => null);
      if (size !== this.auditSizeSeen) {
        this.auditSizeSeen = size;
        await this.loadRemovals();
      }
    }
    if (acting && wasHalted) {
      await this.sink.append({
        type: 'recovery',
        outcome: 'ok',
        detail: `the reaper state file ${this.store.file} is readable again (${loaded.state.ledger.length} budget entries, ${loaded.state.inFlight.length} in flight); actions resume`,
      });
      await this.executor.recover();
    }
  }

  private onLockChange(held: boolean): void {
    if (this.disposed) return;
    this.work = this.work
      .then(async () => {
        if (!held) return;
        // Taken over from a holder that exited: its state is on disk; read it fresh and
        // check what it left in flight, exactly as a restart would.
        const loaded = this.store ? await this.store.load() : null;
        this.halted = loaded?.corrupt?.message ?? null;
        if (loaded && !loaded.corrupt) this.replaceState(loaded.state);
        await this.loadRemovals();
        await this.sink.append({
          type: 'recovery',
          outcome: this.halted ? 'failed' : 'ok',
          detail:
            this.halted ??
            `this process (pid ${process.pid}) now acts on ${this.options.stateDir}: the previous holder of the state directory lock exited`,
        });
        if (!this.halted) await this.executor.recover();
        this.lastRecoveryAt = this.now();
      })
      .catch((error: unknown) => {
        this.options.log?.(
          `reaper take-over failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    this.scheduleCycle();
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
          : old.rule === 'orphan'
            ? 'it is no orphan any more (a runner manager lists it, a job ran on it, or the settings changed)'
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
    const readOnly = this.options.lock?.readOnlyReason() ?? null;
    if (readOnly || this.halted) await this.reload(readOnly === null);
    const block = readOnly ?? this.halted;
    const due =
      this.lastRecoveryAt === null ||
      Math.abs(this.now() - this.lastRecoveryAt) >= RECOVERY_RETRY_MS;
    if (
      block === null &&
      this.executor.hasLeftovers() &&
      due &&
      !this.recovering &&
      !this.executor.isStopping
    ) {
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
    const machines = this.liveMachines();
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
      ...(this.options.identity ? { identity: this.options.identity() } : {}),
      ...(this.options.orphans ? { orphans: this.options.orphans() } : {}),
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
      if (block) proposal.blocked.unshift(block);
      // A watching process writes nothing: the holder records its own proposals. Remembered
      // only once its record is written: if the audit log cannot be written (disk full), the
      // next cycle tries again, and nothing acts on an unrecorded proposal.
      if (!known && !readOnly) {
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
        this.state.proposals[proposal.id] = {
          firstSeenAt: now,
          state: 'pending',
          lastResult: null,
        };
        dirty = true;
      }
    }
    for (const [id, entry] of Object.entries(this.state.proposals)) {
      if (now - entry.firstSeenAt > FORGET_AFTER_MS) {
        delete this.state.proposals[id];
        dirty = true;
      }
    }
    // A watching process writes nothing: the holder records the withdrawals too.
    if (!readOnly && (await this.closeWithdrawn(evaluated, machines))) dirty = true;
    if (dirty && block === null) await this.store?.save(this.state);
    this.current = evaluated;
    this.publishing = true;
    try {
      this.options.engine.setProposals(evaluated);
    } finally {
      this.publishing = false;
    }
    const retryAfter = this.options.autoRetryAfterMs ?? 10 * 60_000;
    for (const proposal of block ? [] : evaluated) {
      if (proposal.mode !== 'auto' || proposal.blocked.length > 0) continue;
      // What needs a person's acknowledgement (unknown job state) waits for one.
      if (proposal.acknowledge) continue;
      // A refused or failed attempt is retried after a pause (a job ended, Hetzner is back):
      // the same condition is still there, and a missed kill stalls the fleet too. Every
      // retry is re-checked and counted against the hourly budget like the first.
      const known = this.state.proposals[proposal.id];
      const retry =
        (proposal.state === 'refused' || proposal.state === 'failed') &&
        now - (known?.updatedAt ?? known?.firstSeenAt ?? now) >= retryAfter;
      if (proposal.state !== 'pending' && !retry) continue;
      if (this.executor.isStopping || this.disposed) break;
      const run = this.executor
        .execute(proposal, 'auto')
        .then((result) => {
          if (result.outcome === 'failed')
            this.options.log?.(
              `auto ${proposal.action} of ${proposal.machineName} failed: ${result.detail ?? ''}`,
            );
        })
        .finally(() => {
          this.autoRuns.delete(run);
          this.scheduleCycle();
        });
      this.autoRuns.add(run);
    }
  }
}
