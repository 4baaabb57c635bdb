import type { CheckNowResult } from '../../shared/check';
import type { FleetEvent, FleetPolicy, FleetSnapshot } from '../../shared/fleet';
import type { Machine, MachineRemoval } from '../../shared/machine';
import type { MachineRefresh } from '../../shared/machine-refresh';
import type { Proposal } from '../../shared/proposal';
import type { Runner } from '../../shared/runner';
import type { FleetCounters } from '../../shared/runner-metrics';
import type { SourceHealth } from '../../shared/source';
import { backoffDelay, type BackoffOptions } from './backoff';
import { toApiError } from './errors/rw-error';
import { diffMachine } from './fleet/machine-diff';
import { FleetModel } from './fleet/model';
import { DisposableStore, toDisposable, type Disposable } from './lifecycle';
import type { CollectContext, CollectResult, Source } from './sources/source';

/** Listener for fleet events. */
export type FleetListener = (event: FleetEvent) => void;

/** What the engine needs from the outside world; tests pass their own. */
export interface EngineOptions {
  sources: Source[];
  now?: () => number;
  random?: () => number;
  backoff?: Partial<BackoffOptions>;
  /** The fleets' thresholds and modes in force, read at every publish (see FleetPolicy). */
  fleets?: () => FleetPolicy[];
  /** Where the engine reports readings it refused (see FleetModel); default: stderr. */
  warn?: (message: string) => void;
  /**
   * Adds what is derived from the whole fleet and the sources' health to the merged
   * machines (the orphan status), wherever the engine hands machines out.
   */
  annotate?: (machines: Machine[], view: AnnotateView) => Machine[];
}

/** What `EngineOptions.annotate` sees besides the machines. */
export interface AnnotateView {
  sources: readonly SourceHealth[];
  runners: readonly Runner[];
  now: number;
}

interface SourceState {
  source: Source;
  health: SourceHealth;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
  abort: AbortController | null;
  /** The server asked to wait at least this long before the next call (Retry-After, rate limit). */
  retryAfterMs: number | undefined;
}

/**
 * The engine: runs every source on its interval with a timeout and jittered backoff,
 * merges results into the fleet model and pushes snapshot/delta events. Plain Node; each
 * host (Electron, serve, CLI) only adapts its events and API.
 */
export class Engine implements Disposable {
  readonly model: FleetModel;
  private readonly states = new Map<string, SourceState>();
  private readonly listeners = new Set<FleetListener>();
  private readonly disposables = new DisposableStore();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private runners = new Map<string, Runner[]>();
  /** Runner counters per runner metrics source; kept (with their time) when a source fails. */
  private counters = new Map<string, FleetCounters[]>();
  private lastCountersJson = '[]';
  private proposals: Proposal[] = [];
  private version = 0;
  /** Each machine as clients last received it, to send only what changed. */
  private lastSent = new Map<string, Machine>();
  private lastRunnersJson = '[]';
  private lastProposalsJson = '[]';
  private lastFleetsJson = '[]';
  private readonly fleets: () => FleetPolicy[];
  private readonly annotate: EngineOptions['annotate'];
  private started = false;
  private stopped = false;
  private paused = false;
  /** Bumped by every pause, so a run that started before it never re-arms its timer. */
  private epoch = 0;
  private readonly pauseListeners = new Set<(paused: boolean) => void>();
  /** The "Check now" cycle in progress, shared by every caller who asks meanwhile. */
  private checking: Promise<CheckNowResult> | null = null;
  private readonly checkListeners = new Set<(checking: boolean) => void>();
  /**
   * Bumped whenever a source's health or the runners change (what `annotate` reads besides
   * the model), so the machines of one moment are built once (see modelMachines).
   */
  private viewRevision = 0;
  private built: {
    modelRevision: number;
    viewRevision: number;
    now: number;
    machines: Machine[];
  } | null = null;

  constructor(options: EngineOptions) {
    this.now = options.now ?? Date.now;
    this.fleets = options.fleets ?? (() => []);
    this.annotate = options.annotate;
    this.model = new FleetModel(options.warn ?? defaultWarn);
    this.random = options.random ?? Math.random;
    this.backoff = { baseMs: 5_000, maxMs: 10 * 60_000, jitter: 0.2, ...options.backoff };
    for (const source of options.sources) {
      if (this.states.has(source.id)) throw new Error(`duplicate source id ${source.id}`);
      this.model.registerSource(source.id, source.intervalMs);
      this.states.set(source.id, {
        source,
        timer: null,
        running: null,
        abort: null,
        retryAfterMs: undefined,
        health: {
          id: source.id,
          kind: source.kind,
          label: source.label,
          state: 'pending',
          lastRunAt: null,
          lastOkAt: null,
          nextRunAt: null,
          lastDurationMs: null,
          consecutiveFailures: 0,
          lastError: null,
          warnings: [],
          intervalMs: source.intervalMs,
        },
      });
      if (source.dispose) this.disposables.add({ dispose: () => source.dispose?.() });
    }
  }

  /** Starts polling: inventory sources first, probe sources right after. */
  start(): Disposable {
    if (this.started) throw new Error('engine already started');
    this.started = true;
    if (!this.paused) this.schedule();
    return toDisposable(() => this.dispose());
  }

  /** Runs every source now, inventory first, and keeps each on its interval afterwards. */
  private schedule(): void {
    const inventory = [...this.states.values()].filter((s) => s.source.phase === 'inventory');
    const probes = [...this.states.values()].filter((s) => s.source.phase === 'probe');
    void Promise.allSettled(inventory.map((s) => this.run(s))).then(() => {
      for (const state of probes) void this.run(state);
    });
  }

  /** True while monitoring is paused (the tray's "Pause monitoring"). */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Stops polling without disposing: timers are cleared and running collections aborted,
   * so no source touches the network until `resume()`. Values then age into stale, and
   * stale is never idle, so nothing is proposed from data collected before the pause.
   * Explicit refreshes (the confirm dialog's re-check) still run.
   */
  pause(): void {
    if (this.paused || this.stopped) return;
    this.paused = true;
    this.epoch += 1;
    for (const state of this.states.values()) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = null;
      state.health.nextRunAt = null;
      state.abort?.abort(new PausedError('monitoring paused'));
    }
    this.viewRevision += 1;
    this.notifyPause();
    this.publish();
  }

  /** Resumes polling: every source runs at once, then on its interval. */
  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    this.notifyPause();
    if (this.started) this.schedule();
  }

  /** Called with the new state after every pause or resume. */
  onPauseChange(listener: (paused: boolean) => void): Disposable {
    this.pauseListeners.add(listener);
    return toDisposable(() => {
      this.pauseListeners.delete(listener);
    });
  }

  private notifyPause(): void {
    for (const listener of this.pauseListeners) listener(this.paused);
  }

  /**
   * One full collection cycle without timers: every inventory source, then every probe
   * source. Used by `scan` and tests. Resolves to the snapshot after the cycle.
   */
  async runOnce(): Promise<FleetSnapshot> {
    const all = [...this.states.values()];
    await Promise.all(
      all.filter((s) => s.source.phase === 'inventory').map((s) => this.collect(s)),
    );
    await Promise.all(all.filter((s) => s.source.phase === 'probe').map((s) => this.collect(s)));
    this.publish();
    return this.snapshot();
  }

  /** True while a "Check now" cycle runs (the tray disables its entry meanwhile). */
  get isChecking(): boolean {
    return this.checking !== null;
  }

  /**
   * "Check now": one full collection cycle at once (inventory, then probes), outside the
   * schedule. A second ask while one runs joins it instead of starting another, so a
   * person clicking twice never doubles the load on GitLab or the hosts. Runs while
   * paused too: it is an explicit ask, like the confirm dialog's re-check.
   */
  checkNow(): Promise<CheckNowResult> {
    if (this.stopped) return Promise.reject(new Error('engine stopped'));
    if (this.checking) return this.checking;
    const startedAt = this.now();
    const run = this.runOnce().then((snapshot) => ({
      startedAt,
      finishedAt: this.now(),
      version: snapshot.version,
      failingSources: snapshot.sources.filter((s) => s.state === 'failing').length,
    }));
    this.checking = run.finally(() => {
      this.checking = null;
      this.notifyCheck();
    });
    this.notifyCheck();
    return this.checking;
  }

  /** Called with `true` when a "Check now" cycle starts and `false` when it ends. */
  onCheckChange(listener: (checking: boolean) => void): Disposable {
    this.checkListeners.add(listener);
    return toDisposable(() => {
      this.checkListeners.delete(listener);
    });
  }

  private notifyCheck(): void {
    for (const listener of this.checkListeners) listener(this.checking !== null);
  }

  /** Runs one source now (e.g. the executor's re-check), outside its schedule. */
  async refresh(sourceId: string): Promise<void> {
    const state = this.states.get(sourceId);
    if (!state) throw new Error(`unknown source ${sourceId}`);
    await this.collect(state);
    this.publish();
  }

  snapshot(): FleetSnapshot {
    const now = this.now();
    return {
      version: this.version,
      generatedAt: now,
      machines: this.modelMachines(now),
      runners: [...this.runners.values()].flat(),
      sources: [...this.states.values()].map((s) => ({ ...s.health })),
      proposals: this.proposals,
      ...(this.counters.size > 0 ? { counters: [...this.counters.values()].flat() } : {}),
      fleets: this.fleets(),
    };
  }

  /** Machines right now; what sources and the reaper read between cycles. */
  machines(): Machine[] {
    return this.modelMachines(this.now());
  }

  /** The model's machines, annotated (see `EngineOptions.annotate`). */
  private modelMachines(now: number): Machine[] {
    // Several readers ask within one moment (the publish, each probe-phase source, the
    // reaper); building 1,000 machines leaves ~5 MB of garbage each time. Unchanged state at
    // the same `now` answers from the last build: a new array (callers may sort or splice
    // it) of the same machine objects, which nothing mutates.
    const memo = this.built;
    const modelRevision = this.model.changeCount;
    if (
      memo &&
      memo.now === now &&
      memo.modelRevision === modelRevision &&
      memo.viewRevision === this.viewRevision
    )
      return memo.machines.slice();
    const fromModel = this.model.machines(now);
    const machines = this.annotate
      ? this.annotate(fromModel, {
          sources: [...this.states.values()].map((s) => s.health),
          runners: [...this.runners.values()].flat(),
          now,
        })
      : fromModel;
    this.built = { modelRevision, viewRevision: this.viewRevision, now, machines };
    return machines.slice();
  }

  /**
   * Marks a machine as deleted by this app (the reaper does, from its audit records); it
   * is shown so, not probed, and dropped once no source lists it.
   */
  markRemoved(machineKey: string, removal: MachineRemoval): void {
    this.model.markRemoved(machineKey, removal);
    this.publish();
  }

  /** Replaces the reaper's proposals (set by the reaper after each cycle). */
  setProposals(proposals: Proposal[]): void {
    this.proposals = proposals;
    this.publish();
  }

  /** Subscribes to events; the listener first receives a full snapshot. */
  onEvent(listener: FleetListener): Disposable {
    this.listeners.add(listener);
    listener({ type: 'snapshot', snapshot: this.snapshot() });
    return toDisposable(() => {
      this.listeners.delete(listener);
    });
  }

  /** Stops scheduling, aborts running collections and waits for them to settle. */
  async dispose(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const running: Promise<void>[] = [];
    for (const state of this.states.values()) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = null;
      state.abort?.abort(new Error('engine stopped'));
      if (state.running) running.push(state.running);
    }
    await Promise.allSettled(running);
    this.listeners.clear();
    this.pauseListeners.clear();
    this.checkListeners.clear();
    await this.disposables.dispose();
  }

  private async run(state: SourceState): Promise<void> {
    if (this.stopped || this.paused) return;
    const epoch = this.epoch;
    const startedAt = performance.now();
    const ok = await this.collect(state);
    if (epoch !== this.epoch) return;
    this.publish();
    if (this.stopped || this.paused) return;
    const { source, health } = state;
    // Start to start: a sample every interval, not every interval plus the time a cycle
    // takes (N samples of the disk rule would otherwise take N × (interval + cycle)). A
    // cycle longer than its interval is followed by a short breather, not by another at once.
    const elapsed = performance.now() - startedAt;
    const delay = ok
      ? Math.round(
          Math.max(source.intervalMs - elapsed, source.intervalMs / 10, state.retryAfterMs ?? 0),
        )
      : backoffDelay(
          health.consecutiveFailures,
          this.backoffFor(source),
          this.random,
          state.retryAfterMs,
        );
    health.nextRunAt = this.now() + delay;
    this.viewRevision += 1;
    state.timer = setTimeout(() => void this.run(state), delay);
    state.timer.unref?.();
  }

  private backoffFor(source: Source): BackoffOptions {
    return { ...this.backoff, baseMs: Math.min(this.backoff.baseMs, source.intervalMs) };
  }

  /** Runs one collection with its timeout; returns whether it succeeded. */
  private collect(state: SourceState): Promise<boolean> {
    if (state.running) return state.running.then(() => state.health.lastError === null);
    const promise = this.collectNow(state);
    state.running = promise.then(() => undefined);
    return promise.finally(() => {
      state.running = null;
    });
  }

  private async collectNow(state: SourceState): Promise<boolean> {
    const { source, health } = state;
    const abort = new AbortController();
    state.abort = abort;
    const started = this.now();
    health.lastRunAt = started;
    this.viewRevision += 1;
    const timeout = setTimeout(
      () =>
        abort.abort(new TimeoutError(`${source.label}: no answer within ${source.timeoutMs} ms`)),
      source.timeoutMs,
    );
    const context: CollectContext = { now: this.now, machines: () => this.machines() };
    try {
      const result = await raceAbort(source.collect(abort.signal, context), abort.signal);
      if (this.stopped) return false;
      this.accept(state, result);
      return result.failure === undefined;
    } catch (error) {
      // A pause is not a failure of the source: its health stays as it was.
      if (abort.signal.reason instanceof PausedError) return false;
      const apiError =
        abort.signal.aborted && abort.signal.reason instanceof TimeoutError
          ? { code: 'timeout' as const, message: abort.signal.reason.message }
          : toApiError(error);
      health.state = 'failing';
      health.consecutiveFailures += 1;
      health.lastError = apiError;
      const hint = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
      state.retryAfterMs = typeof hint === 'number' ? hint : undefined;
      this.model.fail(source.id, apiError.message);
      return false;
    } finally {
      clearTimeout(timeout);
      state.abort = null;
      health.lastDurationMs = this.now() - started;
      this.viewRevision += 1;
    }
  }

  private accept(state: SourceState, result: CollectResult): void {
    const { source, health } = state;
    const at = this.now();
    this.viewRevision += 1;
    this.model.apply(source.id, result, at);
    if (result.runners) this.runners.set(source.id, result.runners);
    if (result.counters) this.counters.set(source.id, result.counters);
    health.warnings = result.warnings ?? [];
    state.retryAfterMs = result.retryAfterMs;
    if (result.failure) {
      health.state = 'failing';
      health.lastError = result.failure;
      health.consecutiveFailures += 1;
      return;
    }
    health.state = health.warnings.length > 0 ? 'degraded' : 'ok';
    health.lastOkAt = at;
    health.lastError = null;
    health.consecutiveFailures = 0;
  }

  /** Emits a delta with what changed since the last event. */
  private publish(): void {
    const now = this.now();
    this.model.prune(now);
    const machines = this.modelMachines(now);
    const upserted: Machine[] = [];
    // Machines read at the same moment move the same way: one entry for all of them.
    const refreshed = new Map<string, MachineRefresh>();
    const seen = new Set<string>();
    for (const machine of machines) {
      seen.add(machine.key);
      const sent = this.lastSent.get(machine.key);
      const change = sent ? diffMachine(sent, machine) : ({ kind: 'changed' } as const);
      if (change.kind === 'same') continue;
      this.lastSent.set(machine.key, machine);
      if (change.kind === 'changed') {
        upserted.push(machine);
        continue;
      }
      const signature = JSON.stringify(change.patch);
      const group = refreshed.get(signature);
      if (group) group.keys.push(machine.key);
      else refreshed.set(signature, { keys: [machine.key], ...change.patch });
    }
    const removed = [...this.lastSent.keys()].filter((key) => !seen.has(key));
    for (const key of removed) this.lastSent.delete(key);
    const runners = [...this.runners.values()].flat();
    const runnersJson = JSON.stringify(runners);
    const proposalsJson = JSON.stringify(this.proposals);
    const runnersChanged = runnersJson !== this.lastRunnersJson;
    const proposalsChanged = proposalsJson !== this.lastProposalsJson;
    const counters = [...this.counters.values()].flat();
    const countersJson = JSON.stringify(counters);
    const countersChanged = countersJson !== this.lastCountersJson;
    this.lastCountersJson = countersJson;
    this.lastRunnersJson = runnersJson;
    this.lastProposalsJson = proposalsJson;
    const fleets = this.fleets();
    const fleetsJson = JSON.stringify(fleets);
    const fleetsChanged = fleetsJson !== this.lastFleetsJson;
    this.lastFleetsJson = fleetsJson;
    this.version += 1;
    const event: FleetEvent = {
      type: 'delta',
      version: this.version,
      at: now,
      upserted,
      refreshed: [...refreshed.values()],
      removed,
      sources: [...this.states.values()].map((s) => ({ ...s.health })),
      runners: runnersChanged ? runners : null,
      proposals: proposalsChanged ? this.proposals : null,
      ...(countersChanged ? { counters } : {}),
      fleets: fleetsChanged ? fleets : null,
    };
    for (const listener of this.listeners) listener(event);
  }
}

class TimeoutError extends Error {}
class PausedError extends Error {}

function defaultWarn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/** Rejects as soon as the signal aborts, even if the promise ignores the signal. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
